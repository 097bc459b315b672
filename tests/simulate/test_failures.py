"""Failure kinds, messages, and the rate-limited reporter."""

from __future__ import annotations

import io

import httpx
import pytest
from rich.console import Console

from modelbeacon.errors import ModelbeaconError, UnavailableError
from modelbeacon.simulate.failures import FailureReporter, failure_kind, failure_message


def _response(status: int, body: object) -> httpx.Response:
    request = httpx.Request("POST", "http://server/api/predict")
    return httpx.Response(status, json=body, request=request)


def test_failure_kind_sorts_connection_4xx_and_5xx() -> None:
    assert failure_kind(httpx.ConnectError("refused")) == "connection"
    assert failure_kind(httpx.ReadTimeout("slow")) == "connection"
    assert failure_kind(_response(404, {})) == "4xx"
    assert failure_kind(_response(503, {})) == "5xx"
    with pytest.raises(ValueError):
        failure_kind(_response(200, {}))


def test_failure_kind_and_message_of_the_clients_errors() -> None:
    unreachable = UnavailableError("cannot reach http://server: ConnectError: refused")
    refused = ModelbeaconError("GET /api/x -> HTTP 503 unavailable: db", details={"status": 503})
    assert failure_kind(unreachable) == "connection"
    assert failure_kind(refused) == "5xx"
    assert failure_kind(ModelbeaconError("x", details={"status": 401})) == "4xx"
    assert failure_message(refused, "http://server") == refused.message
    assert failure_message(httpx.ConnectError("x"), "http://server").startswith(
        "cannot reach http://server"
    )


def test_reporter_prints_at_most_one_line_per_interval_with_a_count() -> None:
    out = io.StringIO()
    now = [0.0]
    reporter = FailureReporter(Console(file=out, width=200), 5.0, lambda: now[0])
    for i in range(30):
        now[0] = i * 0.5  # 15 s of failures, two a second
        reporter.failure("cannot reach it")
    reporter.flush()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # at 0 s, 5 s, 10 s, and the flushed rest
    assert "failed requests since the last report" in lines[1]
    now[0] = 20.0
    reporter.success()
    assert "requests succeed again after 30 failures" in out.getvalue()
    reporter.success()
    assert out.getvalue().count("succeed again") == 1

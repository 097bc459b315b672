"""Failure kinds, messages, and the rate-limited reporter."""

from __future__ import annotations

import io

import httpx
import pytest
from rich.console import Console

from modelbeacon.simulate.failures import FailureReporter, describe_failure, failure_kind


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


def test_describe_failure_quotes_the_servers_error() -> None:
    body = {"error": {"code": "no_active_model", "message": "no model is deployed", "details": {}}}
    line = describe_failure(_response(404, body), "http://server")
    assert line == "POST /api/predict -> HTTP 404 no_active_model: no model is deployed"
    assert "cannot reach http://server" in describe_failure(
        httpx.ConnectError("x"), "http://server"
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

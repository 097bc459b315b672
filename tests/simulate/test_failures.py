"""Failure kinds and the rate-limited reporter."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from rich.console import Console

from modelbeacon.client import AsyncClient, LogDeliveryError, LogQueueFullError
from modelbeacon.errors import InvalidInputError, ModelbeaconError, UnavailableError
from modelbeacon.simulate.failures import FailureReporter, failure_kind


def test_failure_kind_sorts_connection_4xx_and_5xx() -> None:
    unreachable = UnavailableError("cannot reach http://server: ConnectError: refused")
    refused = ModelbeaconError("GET /api/x -> HTTP 503 unavailable: db", details={"status": 503})
    assert failure_kind(unreachable) == "connection"
    assert failure_kind(refused) == "5xx"
    assert failure_kind(InvalidInputError("bad", details={"status": 422})) == "4xx"
    assert failure_kind(ModelbeaconError("x", details={"status": 401})) == "4xx"
    with pytest.raises(ValueError):
        failure_kind(ModelbeaconError("x", details={"status": 200}))


def test_failure_kind_of_logged_predictions_without_an_answer_is_connection() -> None:
    lost = LogDeliveryError("3 logged predictions were not logged", details={"status": None})
    assert failure_kind(lost) == "connection"
    assert failure_kind(LogQueueFullError("full", details={"queued": 10})) == "connection"
    refused = LogDeliveryError("refused", details={"status": 422})
    assert failure_kind(refused) == "4xx"


async def test_the_clients_failures_sort_into_kinds() -> None:
    """The simulator counts what the client raises; the transport is a fake because a real
    server does not refuse a connection or answer a predict with 422 and a body it chose."""
    sent: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/models":
            raise httpx.ConnectError("refused", request=request)
        sent.append(json.loads(request.content))
        return httpx.Response(422, json={"error": {"code": "invalid_input", "message": "no"}})

    client = AsyncClient("http://server", transport=httpx.MockTransport(answer), retries=0)
    async with client:
        with pytest.raises(UnavailableError, match="cannot reach http://server") as down:
            await client.models()
        with pytest.raises(ModelbeaconError, match="HTTP 422 invalid_input: no") as refused:
            await client.predict([1.0, 2.0], label=1)
    assert failure_kind(down.value) == "connection"
    assert failure_kind(refused.value) == "4xx"
    assert sent == [{"features": [1.0, 2.0], "label": 1}]


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

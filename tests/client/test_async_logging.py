"""AsyncClient logging against a real ``modelbeacon serve`` (batches, flush on close, no
retry on a refusal), and retries on answers a real server cannot give on demand."""

from __future__ import annotations

import json

import httpx
import pytest

from modelbeacon.client import AsyncClient, Client, LogDeliveryError
from tests.client.conftest import BeaconServer, iris_record, logged_ids, register, watch


async def test_async_client_sends_batches_and_the_rest_when_closed(
    beacon_server: BeaconServer,
) -> None:
    url = beacon_server.url
    model_id = register(url, "async-batches")
    async with AsyncClient(url, batch_size=10, flush_interval=60.0) as beacon:
        sent = watch(beacon.http)
        ids = await beacon.log_predictions(model_id, [iris_record(n) for n in range(25)])
        one = await beacon.log_prediction(model_id, **iris_record(25), prediction_id="mine-1")
    assert one == "mine-1" and len(sent.logs()) == 3 and sent.statuses == [201, 201, 201]
    assert logged_ids(url, model_id) == sorted([*ids, one])


async def test_async_client_does_not_retry_a_refused_batch_and_raises_it(
    beacon_server: BeaconServer,
) -> None:
    url = beacon_server.url
    model_id = register(url, "async-422")
    beacon = AsyncClient(url, flush_interval=60.0, retries=5)
    sent = watch(beacon.http)
    bad = await beacon.log_prediction(model_id, features=[1.0], prediction=0)
    with pytest.raises(LogDeliveryError) as refused:
        await beacon.close()
    assert sent.statuses == [422] and len(sent.requests) == 1
    assert refused.value.details["details"]["record"] == 0
    assert [r["prediction_id"] for r in refused.value.records] == [bad]
    assert beacon.last_error is refused.value and logged_ids(url, model_id) == []


def _answers(*statuses: int) -> tuple[httpx.MockTransport, list[list[str]]]:
    """A fake server answering each log request with the next status (then 201 for good),
    recording the ids each request carried."""
    seen: list[list[str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        ids = [r["prediction_id"] for r in json.loads(request.content)["records"]]
        seen.append(ids)
        status = statuses[len(seen) - 1] if len(seen) <= len(statuses) else 201
        body = {"prediction_ids": ids, "logged": len(ids)} if status == 201 else {}
        return httpx.Response(status, json=body, headers={"Retry-After": "0"})

    return httpx.MockTransport(answer), seen


async def test_async_client_retries_a_503_with_the_same_records() -> None:
    """A real server answers 503 only when its database is down: a fake says it on cue."""
    transport, seen = _answers(503, 503)
    async with AsyncClient("http://fake", transport=transport, backoff=0.01) as beacon:
        ids = await beacon.log_predictions("1", [iris_record(n) for n in range(3)])
    assert seen == [ids, ids, ids]


async def test_async_client_gives_up_after_its_retries_and_says_so() -> None:
    """A server failing for good (500 every time), which a real one will not do on demand."""
    transport, seen = _answers(*[500] * 10)
    beacon = AsyncClient("http://fake", transport=transport, retries=3, backoff=0.01)
    ids = [await beacon.log_prediction("1", **iris_record(0))]
    with pytest.raises(LogDeliveryError) as failed:
        await beacon.flush()
    assert seen == [ids] * 4 and failed.value.details["status"] == 500
    await beacon.close()  # the failure was raised once, by flush


def test_sync_client_retries_a_429_with_the_same_records() -> None:
    """A real server does not rate-limit: a fake answers 429 on cue."""
    transport, seen = _answers(429)
    with Client("http://fake", transport=transport, backoff=0.01) as beacon:
        ids = beacon.log_predictions("1", [iris_record(n) for n in range(3)])
    assert seen == [ids, ids]


async def test_async_client_sends_full_batches_while_the_caller_logs_in_a_tight_loop() -> None:
    """A caller that only ever awaits ``log_prediction`` still lets full batches go before
    the queue fills. The transport is a fake that answers at once, so what counts is when the
    sender got to run, not how fast a server answers."""
    logged: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        records = json.loads(request.content)["records"]
        logged.append(len(records))
        return httpx.Response(201, json={"prediction_ids": [], "logged": len(records)})

    transport = httpx.MockTransport(answer)
    async with AsyncClient("http://beacon.test", transport=transport, batch_size=100) as beacon:
        for n in range(1000):
            await beacon.log_prediction(7, features=[1.0, 2.0], prediction=n % 2)
        sent_before_close = sum(logged)
    assert sent_before_close >= 500
    assert sum(logged) == 1000 and max(logged) <= 100


async def test_async_label_sent_right_after_its_prediction_was_logged_finds_it(
    beacon_server: BeaconServer,
) -> None:
    url = beacon_server.url
    model_id = register(url, "async-label-at-once")
    async with AsyncClient(url, flush_interval=60.0) as beacon:
        first = await beacon.log_prediction(model_id, **iris_record(0))
        assert (await beacon.feedback(first, 1))["created"] is True
        second = await beacon.log_prediction(model_id, **iris_record(1))
        results = await beacon.feedback_many({second: 0, "never-logged": 1})
        assert [r["status"] for r in results] == ["accepted", "not_found"]

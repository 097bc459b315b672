"""The log queue without I/O: when a batch is due, what goes in it, and how a batch the
server finds too large is halved until it fits."""

from __future__ import annotations

import json

import httpx
import pytest

from modelbeacon.client import LogDeliveryError, LogOptions
from modelbeacon.client._batching import LogBuffer, delivery
from modelbeacon.client._records import QueuedRecord, prediction_record


def _record(model_id: str, n: int, at: float = 0.0) -> QueuedRecord:
    return prediction_record(
        model_id,
        features=[float(n)],
        prediction=0,
        probabilities=None,
        latency_ms=None,
        label=None,
        prediction_id=f"p{n}",
        timestamp=None,
        queued_at=at,
    )


def _answer(status: int, body: object = None) -> httpx.Response:
    request = httpx.Request("POST", "http://server/api/models/1/predictions")
    return httpx.Response(status, json=body or {}, request=request)


def test_a_batch_is_due_when_full_when_its_oldest_record_waited_or_on_flush() -> None:
    buffer = LogBuffer(LogOptions(batch_size=3, flush_interval=1.0))
    assert buffer.seconds_until_due(0.0) is None
    assert buffer.add(_record("1", 0, at=10.0))  # the first record starts the interval
    assert buffer.seconds_until_due(10.25) == 0.75
    assert not buffer.add(_record("1", 1, at=10.5))
    assert buffer.seconds_until_due(11.0) == 0.0
    assert buffer.add(_record("1", 2, at=10.6))  # a full batch wakes the sender
    assert buffer.seconds_until_due(10.6) == 0.0

    flushing = LogBuffer(LogOptions(batch_size=3, flush_interval=1.0))
    flushing.add(_record("1", 0, at=10.0))
    point = flushing.flush_point()
    assert flushing.seconds_until_due(10.0) == 0.0 and not flushing.flushed(point)
    taken = flushing.take()
    assert not flushing.flushed(point)  # taken is not settled
    assert flushing.holds_any(["p0"]) and not flushing.holds_any(["p9"])
    flushing.settle(taken, [])
    assert flushing.flushed(point) and flushing.take_failures() is None
    assert not flushing.holds_any(["p0"])


def test_a_batch_takes_the_oldest_records_grouped_by_model_in_order() -> None:
    buffer = LogBuffer(LogOptions(batch_size=4, max_queue=6))
    for n, model in enumerate(["1", "2", "1", "1", "2", "2"]):
        buffer.add(_record(model, n))
    assert not buffer.has_room()
    groups = buffer.take()
    assert [[r.prediction_id for r in g] for g in groups] == [["p0", "p2", "p3"], ["p1"]]
    assert len(buffer) == 2 and buffer.has_room()


def test_failures_are_combined_once_and_the_last_stays_readable() -> None:
    buffer = LogBuffer(LogOptions())
    for n, model in enumerate(["1", "1", "2"]):
        buffer.add(_record(model, n))
    first = _failure("1", [0, 1])
    second = _failure("2", [2])
    buffer.settle(buffer.take(), [first, second])
    assert buffer.settled == 3 and not buffer.holds_any(["p0", "p1", "p2"])
    combined = buffer.take_failures()
    assert combined is not None and combined.failures == [first, second]
    assert [r["prediction_id"] for r in combined.records] == ["p0", "p1", "p2"]
    assert combined.details["records"] == 3 and "3 logged predictions" in combined.message
    assert buffer.take_failures() is None and buffer.last_error is second


def _failure(model_id: str, numbers: list[int]) -> LogDeliveryError:
    steps = delivery([_record(model_id, n) for n in numbers], "http://server")
    next(steps)
    with pytest.raises(StopIteration) as done:
        steps.send(_answer(422, {"error": {"code": "invalid_input", "message": "no"}}))
    failures: list[LogDeliveryError] = done.value.value
    return failures[0]


def test_a_413_halves_the_records_until_each_part_fits_in_order() -> None:
    records = [_record("7", n) for n in range(5)]
    steps = delivery(records, "http://server")
    sent: list[list[str]] = []
    call = next(steps)
    try:
        while True:
            ids = [str(r["prediction_id"]) for r in _records_of(call.content)]
            sent.append(ids)
            fits = len(ids) <= 1 or ids == ["p3", "p4"]
            call = steps.send(_answer(201) if fits else _answer(413))
    except StopIteration as done:
        assert done.value == []
    assert call.path == "/api/models/7/predictions"
    assert sent == [
        ["p0", "p1", "p2", "p3", "p4"],
        ["p0", "p1"],
        ["p0"],
        ["p1"],
        ["p2", "p3", "p4"],
        ["p2"],
        ["p3", "p4"],
    ]


def test_a_single_record_too_large_fails_alone() -> None:
    steps = delivery([_record("7", 0), _record("7", 1)], "http://server")
    next(steps)
    steps.send(_answer(413))
    steps.send(_answer(201))  # p0 fits
    with pytest.raises(StopIteration) as done:
        steps.send(_answer(413, {"error": {"code": "payload_too_large", "message": "big"}}))
    (failure,) = done.value.value
    assert failure.details == {"model_id": "7", "records": 1, "status": 413}
    assert [r["prediction_id"] for r in failure.records] == ["p1"]
    assert "HTTP 413 payload_too_large: big" in failure.message


def _records_of(content: bytes | None) -> list[dict[str, object]]:
    assert content is not None
    records: list[dict[str, object]] = json.loads(content)["records"]
    return records


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 0},
        {"batch_size": 1001},
        {"flush_interval": 0},
        {"batch_size": 10, "max_queue": 5},
        {"enqueue_timeout": -1},
    ],
)
def test_log_options_refuse_what_cannot_work(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        LogOptions(**options)  # type: ignore[arg-type]

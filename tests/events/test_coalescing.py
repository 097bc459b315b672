from functools import reduce

from hypothesis import given
from hypothesis import strategies as st

from modelbeacon.events import DEFAULT_COALESCING, Event, types
from modelbeacon.events.coalescing import (
    MAX_PREDICTIONS_PER_MESSAGE,
    keep_newest,
    merge_prediction_batches,
)


def batch(first_id: int, count: int, total: int) -> Event:
    predictions = [
        {"prediction_id": str(i), "prediction": 1, "latency_ms": 0.4, "timestamp": "t"}
        for i in range(first_id, first_id + min(count, MAX_PREDICTIONS_PER_MESSAGE))
    ]
    return Event(
        types.PREDICTION_LOGGED,
        {"model_id": "3", "count": count, "total_predictions": total, "predictions": predictions},
    )


def test_coalescing_table_covers_exactly_the_state_messages() -> None:
    assert set(DEFAULT_COALESCING) == {
        types.SYSTEM_METRICS,
        types.MODEL_METRICS_UPDATE,
        types.PREDICTION_LOGGED,
        types.MODEL_STATUS_REALTIME,
        types.TRAINING_PROGRESS,
    }
    assert DEFAULT_COALESCING[types.MODEL_METRICS_UPDATE] is keep_newest


def test_merge_prediction_batches_sums_counts_and_keeps_the_20_newest() -> None:
    older, newer = batch(0, 15, 115), batch(15, 10, 125)

    merged = merge_prediction_batches(older, newer)

    assert merged.payload["count"] == 25
    assert merged.payload["total_predictions"] == 125
    ids = [p["prediction_id"] for p in merged.payload["predictions"]]
    assert ids == [str(i) for i in range(5, 25)]
    assert merged.timestamp == newer.timestamp
    assert merged.model_id == "3"


def test_merge_prediction_batches_keeps_the_newer_batch_when_shapes_are_wrong() -> None:
    older = Event(types.PREDICTION_LOGGED, {"model_id": "3", "count": "many"})
    newer = batch(0, 2, 2)

    assert merge_prediction_batches(older, newer) is newer


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12))
def test_merge_prediction_batches_matches_the_concatenation_oracle(counts: list[int]) -> None:
    batches, first, total = [], 0, 0
    for count in counts:
        total += count
        batches.append(batch(first, count, total))
        first += count

    merged = reduce(merge_prediction_batches, batches)

    every = [p for b in batches for p in b.payload["predictions"]]
    assert merged.payload["count"] == sum(counts)
    assert merged.payload["total_predictions"] == total
    assert merged.payload["predictions"] == every[-MAX_PREDICTIONS_PER_MESSAGE:]

"""Records are checked and encoded when logged: ids, timestamps and values JSON can hold."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from modelbeacon.client._records import (
    encode_json,
    feedback_items,
    iso_timestamp,
    prediction_record,
)
from modelbeacon.errors import InvalidInputError


def _logged(**values: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "features": [1.0],
        "prediction": 0,
        "probabilities": None,
        "latency_ms": None,
        "label": None,
        "prediction_id": None,
        "timestamp": None,
    }
    fields.update(values)
    record = prediction_record("3", queued_at=0.0, **fields)
    decoded: dict[str, Any] = json.loads(record.encoded)
    assert decoded["prediction_id"] == record.prediction_id and record.model_id == "3"
    return decoded


def test_a_record_gets_a_fresh_id_and_the_time_it_was_logged_and_leaves_out_none() -> None:
    before = time.time()
    first, second = _logged(), _logged()
    assert len(first["prediction_id"]) == 32 and first["prediction_id"] != second["prediction_id"]
    assert set(first) == {"prediction_id", "features", "prediction", "timestamp"}
    logged_at = datetime.fromisoformat(first["timestamp"]).timestamp()
    assert before - 0.001 <= logged_at <= time.time()
    full = _logged(
        prediction_id="req-1:a",
        probabilities={"0": 0.75, "1": 0.25},
        latency_ms=3.5,
        label=0,
        timestamp=1_700_000_000.5,
    )
    assert full == {
        "prediction_id": "req-1:a",
        "features": [1.0],
        "prediction": 0,
        "probabilities": {"0": 0.75, "1": 0.25},
        "latency_ms": 3.5,
        "label": 0,
        "timestamp": "2023-11-14T22:13:20.500000Z",
    }


@pytest.mark.parametrize("bad", ["", "-leading", "has space", "x" * 129, 12])
def test_a_malformed_prediction_id_is_refused_when_logged(bad: Any) -> None:
    with pytest.raises(InvalidInputError, match="prediction_id"):
        _logged(prediction_id=bad)


def test_timestamps_become_iso_utc() -> None:
    moment = datetime(2026, 3, 1, 12, 30, 0, 250_000, tzinfo=UTC)
    expected = "2026-03-01T12:30:00.250000Z"
    assert iso_timestamp(moment) == expected
    assert iso_timestamp(moment.replace(tzinfo=None)) == expected  # naive is UTC
    assert iso_timestamp(moment.astimezone(timezone(timedelta(hours=-5)))) == expected
    assert iso_timestamp(moment.timestamp()) == expected
    assert iso_timestamp(int(moment.timestamp())) == "2026-03-01T12:30:00.000000Z"
    assert iso_timestamp("2026-03-01T12:30:00Z") == "2026-03-01T12:30:00Z"
    with pytest.raises(InvalidInputError, match="timestamp"):
        iso_timestamp(True)


def test_numpy_values_are_sent_as_plain_json_and_nan_is_refused() -> None:
    record = _logged(features=np.array([1.5, 2.0]), prediction=np.int64(2), latency_ms=None)
    assert record["features"] == [1.5, 2.0] and record["prediction"] == 2
    assert encode_json({"x": np.float32(0.5)}) == b'{"x":0.5}'
    with pytest.raises(InvalidInputError, match="JSON"):
        _logged(features=[float("nan")])
    with pytest.raises(InvalidInputError, match="JSON"):
        _logged(features=[object()])


def test_labels_come_as_a_mapping_or_pairs() -> None:
    expected = [{"prediction_id": "a", "label": 1}, {"prediction_id": "b", "label": "x"}]
    assert feedback_items({"a": 1, "b": "x"}) == expected
    assert feedback_items([("a", 1), ("b", "x")]) == expected

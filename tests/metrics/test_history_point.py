"""``history_point``: the charted numbers of a snapshot, on the step's time."""

from __future__ import annotations

import json

from modelbeacon.metrics import LatencyPercentiles
from modelbeacon.metrics.history_point import history_point
from modelbeacon.metrics.interval import AccuracyInterval
from tests.metrics.test_snapshot import make_snapshot


def test_history_point_carries_the_snapshot_numbers_at_the_step_time() -> None:
    snapshot = make_snapshot(accuracy_interval=AccuracyInterval(0.767, 0.907))
    point = history_point(snapshot, at=1795502280.0)
    assert point.as_dict() == {
        "timestamp": "2026-11-24T06:38:00.000000Z",
        "predictions_per_minute": 27,
        "current_accuracy": 0.943,
        "accuracy_interval": {"low": 0.767, "high": 0.907},
        "estimated_accuracy": 0.91,
        "latency_p95_ms": 0.9,
        "error_rate": 0.0,
        "drift_score": snapshot.drift_score,
        "model_health": "healthy",
    }
    assert snapshot.computed_at != point.at


def test_history_point_is_null_where_the_snapshot_has_nothing() -> None:
    snapshot = make_snapshot(
        current_accuracy=None,
        estimated_accuracy=None,
        latency_ms=LatencyPercentiles(),
        error_rate=None,
        model_health="unknown",
        predictions_per_minute=0,
        accuracy_interval=None,
    )
    payload = history_point(snapshot, at=0.0).as_dict()
    assert payload["accuracy_interval"] is None
    assert payload["latency_p95_ms"] is None and payload["current_accuracy"] is None
    assert payload["model_health"] == "unknown" and payload["predictions_per_minute"] == 0
    assert json.loads(json.dumps(payload)) == payload

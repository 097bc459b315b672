"""MetricsSnapshot payload shape and comparison."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

from modelbeacon.metrics import TREND_METRICS, LatencyPercentiles, MetricsSnapshot


def make_snapshot(**changes: object) -> MetricsSnapshot:
    snapshot = MetricsSnapshot(
        model_id="3",
        status="active",
        model_health="healthy",
        total_predictions=1247,
        predictions_per_minute=27,
        current_accuracy=0.943,
        accuracy_window=100,
        estimated_accuracy=0.91,
        latency_ms=LatencyPercentiles(0.41, 0.9, 1.7),
        error_rate=0.0,
        drift_score=0.12,
        uptime_seconds=8100.0,
        trend=MappingProxyType(dict.fromkeys(TREND_METRICS, "flat")),
        computed_at=1795502284.123456,
    )
    return replace(snapshot, **changes)  # type: ignore[arg-type]


def test_snapshot_as_dict_is_the_live_metrics_payload() -> None:
    payload = make_snapshot().as_dict()
    assert list(payload) == [
        "model_id", "status", "model_health", "total_predictions", "predictions_per_minute",
        "current_accuracy", "accuracy_window", "estimated_accuracy", "latency_ms",
        "error_rate", "drift_score", "uptime_seconds", "trend", "computed_at",
    ]  # fmt: skip
    assert payload["latency_ms"] == {"p50": 0.41, "p95": 0.9, "p99": 1.7}
    assert list(payload["trend"]) == [
        "current_accuracy", "estimated_accuracy", "predictions_per_minute",
        "latency_p95_ms", "error_rate", "drift_score",
    ]  # fmt: skip
    assert payload["computed_at"] == "2026-11-24T06:38:04.123456Z"
    assert json.loads(json.dumps(payload)) == payload


def test_snapshot_as_dict_nulls_when_nothing_to_compute_from() -> None:
    payload = make_snapshot(
        current_accuracy=None,
        accuracy_window=0,
        estimated_accuracy=None,
        latency_ms=LatencyPercentiles(),
        error_rate=None,
        drift_score=None,
        uptime_seconds=None,
    ).as_dict()
    assert payload["latency_ms"] == {"p50": None, "p95": None, "p99": None}
    assert payload["current_accuracy"] is None and payload["uptime_seconds"] is None


def test_snapshot_same_numbers_ignores_only_the_clock() -> None:
    base = make_snapshot()
    assert base.same_numbers(make_snapshot(computed_at=1.0, uptime_seconds=9.0))
    assert not base.same_numbers(make_snapshot(predictions_per_minute=28))
    assert not base.same_numbers(make_snapshot(latency_ms=LatencyPercentiles(0.41, 0.9, 1.8)))
    changed = dict.fromkeys(TREND_METRICS, "flat") | {"error_rate": "up"}
    assert not base.same_numbers(make_snapshot(trend=MappingProxyType(changed)))
    assert not base.same_numbers(make_snapshot(status="degraded"))

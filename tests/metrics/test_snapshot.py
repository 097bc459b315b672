"""MetricsSnapshot payload shape and comparison."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

from modelbeacon.metrics import TREND_METRICS, LatencyPercentiles, MetricsSnapshot
from modelbeacon.metrics.interval import AccuracyInterval
from modelbeacon.metrics.labels import Confusion, LabelDelay
from modelbeacon.metrics.psi import DriftSummary, FeatureDrift

DRIFT = DriftSummary(
    0.31,
    (
        FeatureDrift("petal", "numeric", 0.31, "significant"),
        FeatureDrift("sepal", "numeric", 0.02, "none"),
    ),
)


def make_snapshot(**changes: object) -> MetricsSnapshot:
    snapshot = MetricsSnapshot(
        model_id="3",
        status="active",
        model_health="healthy",
        total_predictions=1247,
        predictions_per_minute=27,
        current_accuracy=0.943,
        accuracy_window=100,
        accuracy_interval=AccuracyInterval(0.88, 0.97),
        estimated_accuracy=0.91,
        estimate_gap=-0.033,
        confusion=Confusion((0, 1), ((50, 2), (3, 45))),
        label_coverage=0.4,
        label_delay_seconds=LabelDelay(2.0, 30.0),
        latency_ms=LatencyPercentiles(0.41, 0.9, 1.7),
        error_rate=0.0,
        drift=DRIFT,
        health_reason="accuracy 0.943 [0.880, 0.970] over the last 100 labels is wholly ...",
        uptime_seconds=8100.0,
        trend=MappingProxyType(dict.fromkeys(TREND_METRICS, "flat")),
        computed_at=1795502284.123456,
    )
    return replace(snapshot, **changes)  # type: ignore[arg-type]


def test_snapshot_as_dict_is_the_live_metrics_payload() -> None:
    payload = make_snapshot().as_dict()
    assert list(payload) == [
        "model_id", "status", "model_health", "total_predictions", "predictions_per_minute",
        "current_accuracy", "accuracy_window", "accuracy_interval", "estimated_accuracy",
        "estimate_gap", "confusion", "label_coverage", "label_delay_seconds", "latency_ms",
        "error_rate", "drift_score", "drift", "health_reason", "uptime_seconds", "trend",
        "computed_at",
    ]  # fmt: skip
    assert payload["latency_ms"] == {"p50": 0.41, "p95": 0.9, "p99": 1.7}
    assert payload["accuracy_interval"] == {"low": 0.88, "high": 0.97}
    assert payload["confusion"] == {"classes": [0, 1], "matrix": [[50, 2], [3, 45]]}
    assert payload["label_delay_seconds"] == {"p50": 2.0, "p95": 30.0}
    assert payload["drift_score"] == 0.31
    assert payload["drift"] == {
        "score": 0.31,
        "features": [
            {"name": "petal", "kind": "numeric", "psi": 0.31, "level": "significant"},
            {"name": "sepal", "kind": "numeric", "psi": 0.02, "level": "none"},
        ],
    }
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
        accuracy_interval=None,
        estimated_accuracy=None,
        estimate_gap=None,
        confusion=None,
        label_coverage=None,
        label_delay_seconds=None,
        latency_ms=LatencyPercentiles(),
        error_rate=None,
        drift=None,
        uptime_seconds=None,
    ).as_dict()
    for name in ("accuracy_interval", "estimate_gap", "confusion", "label_coverage"):
        assert payload[name] is None
    assert payload["label_delay_seconds"] is None
    assert payload["drift"] is None and payload["drift_score"] is None
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

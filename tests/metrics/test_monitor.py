"""ModelMonitor examples: lifecycle, transitions, lookup, labels, upkeep."""

from __future__ import annotations

import pytest

from modelbeacon.metrics import (
    TREND_METRICS,
    ModelMonitor,
    PredictionRecord,
    StatusTransition,
)
from tests.policies import health_policy

POLICY = health_policy(min_labelled=4)


def call(
    i: int, *, label: int | None = None, latency: float = 1.0, t: float = 0.0
) -> PredictionRecord:
    return PredictionRecord(
        f"p{i}", 1000.0 + t + i, latency, prediction=1, top_probability=0.9, label=label
    )


def shape(transitions: list[StatusTransition]) -> list[tuple[str, str, str, str]]:
    return [(t.old_status, t.new_status, t.old_health, t.new_health) for t in transitions]


def test_monitor_degrades_when_active_and_critical_then_recovers() -> None:
    monitor = ModelMonitor("m", POLICY)
    got = monitor.set_base_status("active", at=1000.0)
    assert shape(got) == [("ready", "active", "unknown", "unknown")]
    assert got[0].reason.startswith("lifecycle status set to 'active'")
    for i in range(3):
        assert monitor.record_call(call(i, label=0)) == []
    got = monitor.record_call(call(3, label=0))  # 4th label: judged, 0% correct
    assert shape(got) == [("active", "degraded", "unknown", "critical")]
    assert got[0].reason.startswith(
        "accuracy 0.000 [0.000, 0.490] over the last 4 labels is wholly below the critical "
        "line 0.80"
    )
    assert monitor.status == "degraded" and monitor.health == "critical"
    assert monitor.record_call(call(4, label=0)) == []  # no change, no transition
    transitions: list[StatusTransition] = []
    recovered_at = None
    for i in range(5, 120):
        got = monitor.record_call(call(i, label=1))
        if got and recovered_at is None:
            recovered_at = i
        transitions += got
    # 5 wrong, then right labels: after 57 right ones the CUSUM for a rise above both lines
    # passes 7.5 (57 x ln(0.88 / 0.77)), before the interval clears 0.85 (69 of 74 right).
    assert shape(transitions) == [("degraded", "active", "critical", "healthy")]
    assert recovered_at == 61
    assert transitions[0].reason.startswith(
        "accuracy 0.919 [0.825, 0.965] over the last 62 labels is at or above the warning line "
        "0.85, and the label stream's CUSUM for a rise above both lines (7.6) passed its limit 7.5"
    )


def test_monitor_critical_but_not_active_is_not_degraded() -> None:
    monitor = ModelMonitor("m", POLICY, base_status="ready")
    for i in range(4):
        monitor.record_call(call(i, label=0))
    assert (monitor.status, monitor.health) == ("ready", "critical")
    got = monitor.set_base_status("active", at=5.0)
    assert shape(got) == [("ready", "degraded", "critical", "critical")]
    got = monitor.set_base_status("inactive")
    assert shape(got) == [("degraded", "inactive", "critical", "critical")]
    assert monitor.set_base_status("inactive") == []


def test_monitor_rejects_unknown_lifecycle_status() -> None:
    with pytest.raises(ValueError, match="degraded"):
        ModelMonitor("m", POLICY).set_base_status("degraded")
    with pytest.raises(ValueError):
        ModelMonitor("m", POLICY, base_status="weird")
    with pytest.raises(ValueError):
        ModelMonitor("m", POLICY, history_size=0)


def test_monitor_uptime_only_while_active() -> None:
    monitor = ModelMonitor("m", POLICY, base_status="active", deployed_at=100.0)
    assert monitor.snapshot(160.0).uptime_seconds == 60.0
    assert monitor.snapshot(50.0).uptime_seconds == 0.0  # clock stepped back past deploy
    monitor.set_base_status("inactive")
    assert monitor.snapshot(160.0).uptime_seconds is None
    monitor.set_base_status("active", at=150.0)
    assert monitor.snapshot(160.0).uptime_seconds == 10.0


def test_monitor_failed_calls_count_only_in_error_rate() -> None:
    monitor = ModelMonitor("m", POLICY, total_predictions=10)
    monitor.record_call(call(0))
    monitor.record_call(PredictionRecord("e1", 1001.0, 3.0, error="ValueError"))
    snap = monitor.snapshot(1001.0)
    assert snap.total_predictions == 11
    assert snap.predictions_per_minute == 1
    assert snap.error_rate == 0.5
    assert snap.latency_ms.p99 == 1.0
    assert monitor.lookup("e1") is None
    assert list(snap.as_dict()["trend"]) == list(TREND_METRICS)


def test_monitor_lookup_finds_ring_successes_only() -> None:
    monitor = ModelMonitor("m", POLICY, history_size=3)
    for i in range(5):
        monitor.record_call(call(i))
    assert monitor.lookup("p1") is None
    record = monitor.lookup("p4")
    assert record is not None and record.prediction_id == "p4"


def test_monitor_late_label_counts_once_and_sets_record_label() -> None:
    monitor = ModelMonitor("m", POLICY)
    prediction = call(0)
    monitor.record_call(prediction)
    monitor.record_label(prediction, 2, 1003.0)
    monitor.record_label(prediction, 2, 1009.0)
    record = monitor.lookup("p0")
    assert record is not None and record.label == 2 and record.labelled_at == 1003.0
    snap = monitor.snapshot(1010.0)
    assert (snap.current_accuracy, snap.accuracy_window) == (0.0, 1)
    assert snap.label_delay_seconds is not None and snap.label_delay_seconds.p95 == 3.0
    assert snap.label_coverage == 1.0
    assert snap.confusion is not None and snap.confusion.as_dict() == {
        "classes": [2, 1],
        "matrix": [[0, 1], [0, 0]],
    }
    assert snap.estimate_gap == 0.9 - 0.0


def test_monitor_late_label_for_evicted_prediction_uses_its_timestamp() -> None:
    monitor = ModelMonitor("m", POLICY, history_size=2, accuracy_size=2)
    for i in range(5):
        monitor.record_call(call(i, label=1))  # all correct, window keeps p3, p4
    old = PredictionRecord("old", 1000.5, 1.0, prediction=1)
    monitor.record_label(old, 0, 1009.0)  # older: dropped
    assert monitor.snapshot(1010.0).current_accuracy == 1.0
    mid = PredictionRecord("mid", 1003.5, 1.0, prediction=1)
    monitor.record_label(mid, 0, 1009.0)  # between p3 and p4
    snap = monitor.snapshot(1010.0)
    assert (snap.current_accuracy, snap.accuracy_window) == (0.5, 2)


def test_monitor_snapshot_keeps_latency_transition_for_next_call() -> None:
    monitor = ModelMonitor("m", health_policy(min_labelled=0), base_status="active")
    monitor.record_call(call(0, latency=5000.0))
    assert monitor.health == "unknown"  # latency p95 is only refreshed by a snapshot
    monitor.snapshot(1001.0)
    assert monitor.status == "degraded"
    got = monitor.record_call(call(1, latency=1.0))
    assert shape(got) == [("active", "degraded", "unknown", "critical")]
    assert "latency p95 5000.0 ms" in got[0].reason
    assert monitor.record_call(call(2)) == []


def test_monitor_evaluate_returns_latency_transition_at_once() -> None:
    monitor = ModelMonitor("m", health_policy(min_labelled=0), base_status="active")
    monitor.record_call(call(0, latency=300.0))
    snap, got = monitor.evaluate(1001.0)
    assert shape(got) == [("active", "active", "unknown", "warning")]
    assert snap.model_health == "warning"
    assert monitor.evaluate(1001.0)[1] == []


def test_monitor_recompute_check_reports_and_fixes_corruption() -> None:
    monitor = ModelMonitor("m", health_policy(min_labelled=0))
    for i in range(10):
        monitor.record_call(call(i, label=1))
    assert monitor.recompute_check() == []
    before = monitor.snapshot(1010.0)
    history = monitor._history
    history._errors = 3
    history._by_id.pop("p5")
    history._probabilities.add(2000.0, 0.1)
    monitor._accuracy._hits = 0
    monitor._rate._times.pop()
    found = monitor.recompute_check()
    assert found == [
        "error count 3 != recomputed 0",
        "prediction id index did not match the successes ring",
        "estimated-accuracy window did not match the successes ring",
        "accuracy window hits 0 != recomputed 10",
        "rate window was missing 1 timestamps",
    ]
    assert monitor.recompute_check() == []
    assert monitor.lookup("p5") is not None
    assert monitor.snapshot(1010.0).same_numbers(before)


def test_monitor_restore_without_data_is_a_fresh_monitor() -> None:
    restored = ModelMonitor.restore(
        "m",
        POLICY,
        base_status="active",
        deployed_at=5.0,
        reference=None,
        total_predictions=42,
        recent_calls=[],
        labelled=[],
        rate_timestamps=[],
    )
    fresh = ModelMonitor("m", POLICY, base_status="active", deployed_at=5.0, total_predictions=42)
    assert restored.snapshot(10.0) == fresh.snapshot(10.0)
    assert restored.status == "active" and restored.health == "unknown"


def test_newest_returns_the_latest_successes_oldest_first() -> None:
    monitor = ModelMonitor("m", health_policy())
    for i in range(30):
        error = "boom" if i % 10 == 9 else None
        monitor.record_call(
            PredictionRecord(
                prediction_id=f"p{i}", timestamp=float(i), latency_ms=1.0, prediction=0, error=error
            )
        )
    assert [r.prediction_id for r in monitor.newest(3)] == ["p26", "p27", "p28"]
    assert len(monitor.newest(100)) == 27
    assert monitor.newest(0) == []

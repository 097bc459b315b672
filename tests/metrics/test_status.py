"""StatusTracker: deferred transitions and silent settling."""

from __future__ import annotations

from modelbeacon.metrics.status import StatusTracker
from tests.policies import health_policy


def test_status_tracker_deferred_transitions_come_first_and_once() -> None:
    tracker = StatusTracker("m", health_policy(min_labelled=0), "active")
    assert tracker.set_latency_p95(5000.0)
    deferred = tracker.settle()
    tracker.defer(deferred)
    assert tracker.set_latency_p95(1.0)
    assert tracker.judge_window(50, 50)
    got = tracker.settle()
    assert [(t.new_status, t.new_health) for t in got] == [
        ("degraded", "critical"),
        ("active", "healthy"),
    ]
    assert tracker.take_pending() == []
    assert tracker.settle() == []


def test_status_tracker_settle_silently_emits_nothing() -> None:
    tracker = StatusTracker("m", health_policy(min_labelled=0), "active")
    tracker.set_error_rate(0.9)
    tracker.settle_silently()
    assert (tracker.status, tracker.health) == ("degraded", "critical")
    assert tracker.settle() == []


def test_status_tracker_set_reports_part_changes_only() -> None:
    tracker = StatusTracker("m", health_policy(), "ready")
    assert not tracker.set_error_rate(0.01)  # still healthy
    assert tracker.set_error_rate(0.1)
    assert not tracker.set_error_rate(0.15)  # still warning
    assert not tracker.observe_label(False, 1, 3)  # unknown below min_labelled

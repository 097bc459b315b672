"""``LatestByTime`` and ``TimedDrift`` against brute force: the latest items by time, in any
arrival order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelbeacon.metrics.latest import LatestByTime
from modelbeacon.metrics.psi import DriftReference, DriftWindow, NumericReference
from modelbeacon.metrics.timed_drift import TimedDrift

times = st.lists(st.integers(min_value=0, max_value=40).map(float), max_size=120)


def latest(arrivals: list[float], size: int) -> list[tuple[float, int]]:
    """The ``size`` latest ``(time, arrival index)`` pairs: by time, then by arrival."""
    ordered = sorted((t, i) for i, t in enumerate(arrivals))
    return ordered[-size:]


@settings(max_examples=300)
@given(times, st.integers(min_value=1, max_value=30))
def test_latest_by_time_keeps_the_latest_in_time_order(arrivals: list[float], size: int) -> None:
    window: LatestByTime[tuple[float, int]] = LatestByTime(size)
    for i, t in enumerate(arrivals):
        kept, evicted = window.add(t, (t, i))
        assert (t, i) in list(window) or not kept
        assert evicted is None or evicted not in list(window)
    assert list(window) == latest(arrivals, size)


def test_latest_by_time_counts_late_inserts_only() -> None:
    window: LatestByTime[str] = LatestByTime(3)
    for t in (1.0, 2.0, 2.0, 5.0):
        window.add(t, f"at {t}")
    assert window.late_inserts == 0
    assert window.add(0.5, "too old") == (False, None)
    assert window.add(3.0, "late") == (True, "at 2.0")
    assert window.late_inserts == 1
    assert list(window) == ["at 2.0", "late", "at 5.0"]


REFERENCE = DriftReference(
    (NumericReference("x", (1.0, 2.0, 3.0), (0.2, 0.2, 0.2, 0.2, 0.2), missing=True),)
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 500).map(float), st.sampled_from([0.5, 1.5, 2.5, 3.5, None])),
        max_size=400,
    ),
    st.sampled_from([4, 50, 150]),
)
def test_timed_drift_equals_a_window_of_the_latest_vectors(
    arrivals: list[tuple[float, float | None]], size: int
) -> None:
    drift = TimedDrift(REFERENCE, size)
    for t, x in arrivals:
        drift.add(t, (x,))
    expected = DriftWindow(REFERENCE, size)
    for _, i in latest([t for t, _ in arrivals], size):
        expected.add((arrivals[i][1],))
    assert drift.window().summary() == expected.summary()
    assert drift.window().halves() == expected.halves()

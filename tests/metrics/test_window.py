"""AccuracyWindow and RateWindow against brute force."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelbeacon.metrics.records import LabelledOutcome
from modelbeacon.metrics.window import AccuracyWindow, RateWindow

outcomes = st.lists(
    st.tuples(st.integers(0, 30).map(float), st.sampled_from("abcdefgh"), st.booleans()),
    max_size=80,
)


@given(st.integers(1, 12), outcomes)
def test_accuracy_window_keeps_top_keys_counted_once(
    size: int, added: list[tuple[float, str, bool]]
) -> None:
    window = AccuracyWindow(size)
    first: dict[str, tuple[float, bool]] = {}
    for timestamp, letter, correct in added:
        pid = f"{letter}{int(timestamp)}"  # an id repeats only with its own timestamp
        window.add(LabelledOutcome(timestamp, pid, correct))
        first.setdefault(pid, (timestamp, correct))
    # Brute force: each id counted once with its first outcome, newest `size` by key.
    keyed = sorted(((ts, pid), ok) for pid, (ts, ok) in first.items())[-size:]
    assert len(window) == len(keyed)
    assert window.correctness() == [ok for _, ok in keyed]
    assert [o.prediction_id for o in window.outcomes()] == [pid for (_, pid), _ in keyed]
    assert window.accuracy == (sum(ok for _, ok in keyed) / len(keyed) if keyed else None)
    assert window.recompute_check() == []


def test_accuracy_window_drops_outcome_older_than_full_window() -> None:
    window = AccuracyWindow(2)
    assert window.add(LabelledOutcome(10.0, "b", True))
    assert window.add(LabelledOutcome(11.0, "c", False))
    assert not window.add(LabelledOutcome(5.0, "a", False))
    assert window.add(
        LabelledOutcome(10.0, "ba", True)
    )  # same timestamp, larger id than "b": newer
    assert window.correctness() == [True, False]
    assert window.accuracy == 0.5


def test_accuracy_window_ignores_second_outcome_for_same_prediction() -> None:
    window = AccuracyWindow(5)
    assert window.add(LabelledOutcome(1.0, "p", True))
    assert not window.add(LabelledOutcome(1.0, "p", False))
    assert window.accuracy == 1.0 and len(window) == 1


def test_accuracy_window_recompute_check_fixes_hits() -> None:
    window = AccuracyWindow(5)
    window.add(LabelledOutcome(1.0, "p", True))
    window._hits = 7
    assert window.recompute_check() == ["accuracy window hits 7 != recomputed 1"]
    assert window.accuracy == 1.0


def test_accuracy_window_rejects_empty_size() -> None:
    with pytest.raises(ValueError, match="size"):
        AccuracyWindow(0)


# Whole seconds make exact boundary hits (t == now - 60, now == high_water - 300) common.
clock_moves = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(-5, 0)),  # a timestamp at most 5 s behind
        st.tuples(
            st.just("step"),
            st.integers(-300, 700) | st.sampled_from([-300, -60, 60, 120, 300, 419, 420, 421]),
        ),
        st.tuples(st.just("burst"), st.integers(1, 3000)),
        st.just(("count", 0)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(clock_moves)
def test_rate_window_counts_match_brute_force_within_backward_tolerance(
    moves: list[tuple[str, int]],
) -> None:
    retention = 420.0
    window = RateWindow(retention)
    seen: list[float] = []
    clock = high_water = 1000.0
    for kind, value in moves:
        if kind == "step":
            clock = max(clock + value, high_water - 300.0)
            high_water = max(high_water, clock)
        elif kind in ("add", "burst"):
            for _ in range(value if kind == "burst" else 1):
                timestamp = clock + (value if kind == "add" else 0)
                window.add(timestamp)
                seen.append(timestamp)
                high_water = max(high_water, timestamp)
        else:
            window.observe(clock)
        for after, until in ((clock - 60, clock), (clock - 120, clock - 60)):
            assert window.count(after, until) == sum(after < t <= until for t in seen)
    # Bounded memory: nothing at or before the cutoff survives a prune.
    window.observe(clock)
    assert all(t > window.high_water - retention for t in window.timestamps())
    assert window.timestamps() == sorted(window.timestamps())
    assert window.recompute_check() == []


def test_rate_window_prunes_in_chunks_while_adding() -> None:
    window = RateWindow(10.0)
    for i in range(100_000):
        window.add(i * 0.01)
    # 10 s at 100/s are needed; amortised pruning keeps at most about twice that plus a chunk.
    assert len(window) <= 2 * 1000 + 2048
    assert window.count(990.0, 1000.0) == 999


def test_rate_window_from_unsorted_timestamps() -> None:
    window = RateWindow(420.0, [5.0, 1.0, 3.0])
    assert window.timestamps() == [1.0, 3.0, 5.0]
    assert window.high_water == 5.0
    assert window.count(0.0, 3.0) == 2


def test_rate_window_recompute_check_resorts() -> None:
    window = RateWindow(420.0, [1.0, 2.0])
    window._times[0] = 9.0
    assert window.recompute_check() == ["rate window timestamps were out of order"]
    assert window.timestamps() == [2.0, 9.0]


def test_rate_window_exact_for_a_clock_300_seconds_behind_high_water() -> None:
    window = RateWindow(420.0)
    window.add(1000.0)
    window.observe(1419.0)
    # now = 1119 = high_water - 300: the minute before last, (999, 1059], still holds 1000.
    assert window.count(999.0, 1059.0) == 1
    window.observe(1420.0)
    # From here a clock 300 s back (now 1120) asks about (1000, 1060]: 1000 may go.
    assert window.timestamps() == []

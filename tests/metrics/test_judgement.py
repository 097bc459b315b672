"""The accuracy judgement: its hard rules hold after every label, whatever the stream."""

from __future__ import annotations

import random
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelbeacon.metrics.interval import wilson_interval
from modelbeacon.metrics.judgement import AccuracyJudge

# Streams of runs: (length, accuracy), so the window wanders across both lines.
runs = st.lists(
    st.tuples(st.integers(1, 150), st.sampled_from([0.0, 0.6, 0.75, 0.8, 0.82, 0.85, 0.88, 1.0])),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(
    runs,
    st.integers(0, 2**32),
    st.sampled_from([(0.85, 0.80, 20), (0.9, 0.6, 0), (0.7, 0.7, 5), (1.0, 0.0, 1)]),
    st.sampled_from([100, 24]),
)
def test_judgement_keeps_the_hard_rules_after_every_label(
    stream: list[tuple[int, float]], seed: int, lines: tuple[float, float, int], size: int
) -> None:
    rng = random.Random(seed)
    warning, critical, min_labelled = lines
    judge = AccuracyJudge(warning, critical, min_labelled)
    window: deque[bool] = deque()
    for length, accuracy in stream:
        for _ in range(length):
            correct = rng.random() < accuracy
            window.append(correct)
            if len(window) > size:
                window.popleft()
            hits, n = sum(window), len(window)
            changed = judge.observe(correct, hits, n)
            interval = wilson_interval(hits, n)
            assert interval is not None
            if n < min_labelled:
                assert judge.part == "unknown" and not changed
            elif interval.high < critical:
                assert judge.part == "critical"
            elif interval.low >= warning:
                assert judge.part == "healthy"
            else:
                # between the rules, the shown accuracy never contradicts the state
                assert judge.part != "unknown"
            assert all(value >= 0.0 for value in judge.sums)
            reason = judge.explain(hits, n)
            if judge.part != "unknown":
                assert f"accuracy {hits / n:.3f} [{interval.low:.3f}, {interval.high:.3f}]" in (
                    reason
                )
                assert f"over the last {n} labels" in reason


def feed(judge: AccuracyJudge, pattern: list[bool], window: deque[bool]) -> list[str]:
    changes = []
    for correct in pattern:
        window.append(correct)
        if len(window) > 100:
            window.popleft()
        if judge.observe(correct, sum(window), len(window)):
            changes.append(judge.explain(sum(window), len(window)))
    return changes


def test_judgement_says_why_in_words() -> None:
    judge = AccuracyJudge(0.85, 0.80, 20)
    window: deque[bool] = deque()
    changes = feed(judge, [True] * 9 + [False], window) + feed(
        judge, ([True] * 9 + [False]) * 9, window
    )
    assert judge.part == "healthy"
    assert changes[0].endswith("first judgement, placed by the lines 0.80 and 0.85")
    # 90%, then a stream at 3 right of 4: the CUSUM sees the drop before the interval can
    changes = feed(judge, ([True] * 3 + [False]) * 50, window)
    assert judge.part == "critical"
    assert changes[-1].startswith("accuracy 0.7")
    assert (
        "is below the critical line 0.80, and the label stream's CUSUM for a drop below"
        in (changes[-1])
    )
    assert "passed its limit 8.0" in changes[-1]
    held = judge.explain(sum(window), len(window))
    assert "held critical" in held or "wholly below the critical line 0.80" in held


def test_judgement_is_unknown_until_min_labelled() -> None:
    judge = AccuracyJudge(0.85, 0.80, 20)
    assert not judge.observe(False, 0, 1)
    assert judge.explain(0, 1) == "accuracy not judged yet: 1 label, fewer than the 20 needed"
    assert judge.judge(0, 20)
    assert judge.part == "critical"
    assert "wholly below the critical line 0.80" in judge.explain(0, 20)


@pytest.mark.parametrize(("warning", "critical"), [(1.0, 1.0), (0.0, 0.0), (0.99, 0.01)])
def test_judgement_cusums_stay_finite_at_extreme_lines(warning: float, critical: float) -> None:
    judge = AccuracyJudge(warning, critical, 0)
    for i in range(300):
        judge.observe(i % 3 == 0, i % 3 == 0, 1)
    assert all(0.0 <= value < float("inf") for value in judge.sums)

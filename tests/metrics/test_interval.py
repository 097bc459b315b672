"""The Wilson interval against scipy's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from modelbeacon.metrics.interval import wilson_interval


@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_equals_scipy(case: tuple[int, int]) -> None:
    hits, n = case
    got = wilson_interval(hits, n)
    want = binomtest(hits, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert got is not None
    assert got.low == pytest.approx(float(want.low), abs=1e-12)
    assert got.high == pytest.approx(float(want.high), abs=1e-12)
    assert 0.0 <= got.low <= hits / n <= got.high <= 1.0


def test_wilson_interval_of_85_in_100_cannot_tell_85_from_80() -> None:
    interval = wilson_interval(85, 100)
    assert interval is not None
    assert (round(interval.low, 3), round(interval.high, 3)) == (0.767, 0.907)
    assert interval.as_dict() == {"low": interval.low, "high": interval.high}


def test_wilson_interval_is_none_without_labels() -> None:
    assert wilson_interval(0, 0) is None

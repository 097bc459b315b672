"""Nearest-rank percentiles."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelbeacon.metrics import LatencyPercentiles
from modelbeacon.metrics.latency import nearest_rank


def test_nearest_rank_examples() -> None:
    values = [float(v) for v in range(1, 101)]
    assert nearest_rank(values, 50) == 50.0
    assert nearest_rank(values, 95) == 95.0
    assert nearest_rank(values, 99) == 99.0
    assert nearest_rank([7.0], 99) == 7.0
    assert nearest_rank([1.0, 2.0], 50) == 1.0
    assert nearest_rank([1.0, 2.0], 95) == 2.0


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=3000), st.sampled_from([50, 95, 99]))
def test_nearest_rank_matches_ceil_formula(values: list[float], percent: int) -> None:
    ordered = sorted(values)
    assert nearest_rank(ordered, percent) == ordered[math.ceil(percent / 100 * len(values)) - 1]


def test_nearest_rank_rejects_empty_and_bad_percent() -> None:
    with pytest.raises(ValueError):
        nearest_rank([], 50)
    with pytest.raises(ValueError):
        nearest_rank([1.0], 0)


def test_latency_percentiles_of_unsorted_and_empty() -> None:
    assert LatencyPercentiles.of([3.0, 1.0, 2.0]) == LatencyPercentiles(2.0, 3.0, 3.0)
    assert LatencyPercentiles.of([]) == LatencyPercentiles(None, None, None)
    assert LatencyPercentiles.of([]).as_dict() == {"p50": None, "p95": None, "p99": None}

"""Drift score against the training reference."""

from __future__ import annotations

import math
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelbeacon.metrics import FeatureReference
from modelbeacon.metrics.drift import drift_score


def test_drift_score_is_mean_standardised_shift() -> None:
    reference = FeatureReference(means=(0.0, 10.0), stds=(1.0, 2.0))
    vectors = [(1.0, 10.0), (3.0, 14.0)]  # means 2.0 and 12.0: shifts of 2 and 1 std
    assert drift_score(vectors, reference) == 1.5


def test_drift_score_of_constant_training_feature_does_not_divide_by_zero() -> None:
    reference = FeatureReference(means=(5.0,), stds=(0.0,))
    assert drift_score([(5.0,)], reference) == 0.0
    assert drift_score([(6.0,)], reference) == pytest.approx(1e12)


def test_drift_score_rejects_empty_and_ragged_vectors() -> None:
    reference = FeatureReference(means=(0.0, 0.0), stds=(1.0, 1.0))
    with pytest.raises(ValueError):
        drift_score([], reference)
    with pytest.raises(ValueError):
        drift_score([(1.0, 2.0), (1.0,)], reference)


@pytest.mark.parametrize(
    ("means", "stds"),
    [((), ()), ((0.0,), (1.0, 1.0)), ((float("inf"),), (1.0,)), ((0.0,), (-1.0,))],
)
def test_feature_reference_rejects_bad_statistics(
    means: tuple[float, ...], stds: tuple[float, ...]
) -> None:
    with pytest.raises(ValueError):
        FeatureReference(means, stds)


@settings(max_examples=300)
@given(
    rows=st.lists(
        st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=2, max_size=2),
        min_size=1,
        max_size=20,
    ),
    stds=st.tuples(st.floats(min_value=0, max_value=1e6), st.floats(min_value=0, max_value=1e6)),
)
def test_drift_score_is_finite_over_the_whole_float_range(
    rows: list[list[float]], stds: tuple[float, float]
) -> None:
    reference = FeatureReference(means=(0.0, 1.0), stds=stds)
    score = drift_score([tuple(row) for row in rows], reference)

    assert math.isfinite(score) and score >= 0
    exact = [
        abs(sum(Fraction(row[j]) for row in rows) / len(rows) - Fraction(reference.means[j]))
        / Fraction(max(stds[j], 1e-12))
        for j in range(2)
    ]
    capped = [min(term, Fraction(sys.float_info.max)) for term in exact]
    assert score == pytest.approx(float(sum(capped) / 2), rel=1e-9)

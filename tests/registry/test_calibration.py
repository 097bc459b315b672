"""``fit_calibration`` and its ECE: brute-force definitions, synthetic streams, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from modelbeacon.metrics.calibration import RAW
from modelbeacon.registry.calibration import expected_calibration_error, fit_calibration

PROBABILITIES = st.floats(0.0, 1.0) | st.sampled_from([0.0, 0.1, 0.5, 0.6, 0.9, 1.0])
GRID = np.linspace(0.35, 1.0, 66)


def brute_force_ece(confidence: list[float], correct: list[bool], bins: int = 10) -> float:
    """Guo et al. (2017), eq. 3, with the bins ((m - 1) / M, m / M] and 0 in the first."""
    n = len(confidence)
    total = 0.0
    for m in range(1, bins + 1):
        members = [
            i
            for i, c in enumerate(confidence)
            if (m - 1) / bins < c <= m / bins or (m == 1 and c == 0.0)
        ]
        if members:
            accuracy = sum(correct[i] for i in members) / len(members)
            mean_confidence = sum(confidence[i] for i in members) / len(members)
            total += len(members) / n * abs(accuracy - mean_confidence)
    return total


def stream(n: int, seed: int, truth: str) -> tuple[np.ndarray, np.ndarray]:
    """A 3-class model's top-class probabilities and whether each prediction was right, where
    the chance of being right given ``p`` is ``truth``: ``p`` (calibrated) or ``p ** 2``."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(1 / 3, 1.0, n)
    chance = p if truth == "calibrated" else p**2
    return p, rng.random(n) < chance


@given(st.lists(st.tuples(PROBABILITIES, st.booleans()), min_size=1, max_size=100))
def test_ece_is_guo_et_al_definition(pairs: list[tuple[float, bool]]) -> None:
    confidence = [c for c, _ in pairs]
    correct = [k for _, k in pairs]

    ece = expected_calibration_error(np.array(confidence), np.array(correct))

    assert ece == pytest.approx(brute_force_ece(confidence, correct), abs=1e-12)


# Sizes drawn first, so that lists long enough to cross-fit are as common as short ones.
VALIDATION_SPLITS = st.integers(1, 100).flatmap(
    lambda n: st.lists(st.tuples(PROBABILITIES, st.booleans()), min_size=n, max_size=n)
)


@settings(max_examples=50, deadline=None)
@given(VALIDATION_SPLITS, st.integers(0, 9))
def test_fit_calibration_never_does_worse_than_raw(
    pairs: list[tuple[float, bool]], seed: int
) -> None:
    p = np.array([c for c, _ in pairs])
    correct = np.array([k for _, k in pairs])

    calibration = fit_calibration(p, correct, random_state=seed)
    event(calibration.method)

    raw_error = brute_force_ece(p.tolist(), correct.tolist())
    assert calibration.raw_error == pytest.approx(raw_error, abs=1e-12)
    assert calibration.error is not None and calibration.error <= calibration.raw_error
    if calibration.method == "raw":
        assert calibration.error == calibration.raw_error
    n_minority = min(correct.sum(), (~correct).sum())
    if len(p) < 10 or n_minority < 2:
        assert calibration.method == "raw"
    mapped = [calibration(float(v)) for v in np.sort(p)]
    assert all(0.0 <= v <= 1.0 for v in mapped)
    if calibration.method == "isotonic":
        assert mapped == sorted(mapped)


def test_a_miscalibrated_model_gets_a_map_closer_to_the_truth() -> None:
    p, correct = stream(500, seed=0, truth="squared")

    calibration = fit_calibration(p, correct)

    assert calibration.method != "raw"
    assert calibration.error is not None and calibration.raw_error is not None
    assert calibration.error < calibration.raw_error / 2
    # closer to the true chance p ** 2 everywhere on average, by far
    calibrated_gap = np.mean([abs(calibration(x) - x**2) for x in GRID])
    raw_gap = np.mean(np.abs(GRID - GRID**2))
    assert calibrated_gap < raw_gap / 2
    # and better calibrated on a fresh sample of the same stream, not only on its own
    fresh_p, fresh_correct = stream(5000, seed=1, truth="squared")
    fresh_calibrated = np.array([calibration(x) for x in fresh_p])
    fresh_error = expected_calibration_error(fresh_calibrated, fresh_correct)
    assert fresh_error < expected_calibration_error(fresh_p, fresh_correct) / 2


def test_a_calibrated_model_keeps_its_probabilities_or_close_to_them() -> None:
    p, correct = stream(2000, seed=0, truth="calibrated")

    calibration = fit_calibration(p, correct)

    assert calibration.error is not None and calibration.raw_error is not None
    assert calibration.error <= calibration.raw_error
    assert np.mean([abs(calibration(x) - x) for x in GRID]) < 0.05


def test_a_step_in_the_truth_is_fitted_by_a_monotone_isotonic_map() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0.3, 1.0, 3000)
    correct = rng.random(3000) < np.where(p < 0.6, 0.2, 0.95)

    calibration = fit_calibration(p, correct)

    assert calibration.method == "isotonic"
    mapped = [calibration(x) for x in np.linspace(0.0, 1.0, 1001)]
    assert mapped == sorted(mapped)
    assert calibration(0.4) == pytest.approx(0.2, abs=0.06)
    assert calibration(0.8) == pytest.approx(0.95, abs=0.03)


def test_a_sigmoid_truth_is_fitted_by_platt_scaling_with_its_parameters() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(0.3, 1.0, 3000)
    # P(right) = 1 / (1 + exp(-10 p + 6)): Platt's a = -10, b = 6
    correct = rng.random(3000) < 1 / (1 + np.exp(-10 * p + 6))

    calibration = fit_calibration(p, correct, random_state=1)

    assert calibration.method == "sigmoid"
    assert calibration.a == pytest.approx(-10, abs=1.0)
    assert calibration.b == pytest.approx(6, abs=0.7)


@pytest.mark.parametrize("right", [True, False])
def test_all_right_or_all_wrong_keeps_raw_with_its_error(right: bool) -> None:
    p = np.linspace(0.4, 0.9, 50)

    calibration = fit_calibration(p, np.full(50, right))

    assert calibration.method == "raw"
    expected = 1.0 - p.mean() if right else p.mean()
    assert calibration.error == calibration.raw_error == pytest.approx(expected)


def test_too_few_samples_keep_raw() -> None:
    p, correct = stream(9, seed=0, truth="squared")
    assert correct.sum() >= 2 and (~correct).sum() >= 2

    calibration = fit_calibration(p, correct)

    assert calibration.method == "raw"
    assert calibration.raw_error == pytest.approx(expected_calibration_error(p, correct))


def test_the_same_inputs_and_seed_give_the_same_map() -> None:
    p, correct = stream(300, seed=3, truth="squared")

    assert fit_calibration(p, correct, random_state=4) == fit_calibration(
        p, correct, random_state=4
    )


def test_empty_input_is_raw_without_errors() -> None:
    assert fit_calibration(np.array([]), np.array([], dtype=bool)) == RAW


@pytest.mark.parametrize(
    ("p", "correct"),
    [
        (np.array([0.5, 0.6]), np.array([True])),
        (np.array([[0.5]]), np.array([[True]])),
        (np.array([0.5, math.nan]), np.array([True, False])),
    ],
)
def test_fit_calibration_refuses_malformed_input(p: np.ndarray, correct: np.ndarray) -> None:
    with pytest.raises(ValueError, match="calibration needs"):
        fit_calibration(p, correct)

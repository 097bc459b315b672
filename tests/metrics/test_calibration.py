"""The calibration map predicts what scikit-learn's fitted calibrators predict."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped]

from modelbeacon.metrics.calibration import RAW, Calibration

probabilities = st.lists(st.floats(0.0, 1.0), min_size=2, max_size=60)


@settings(max_examples=200, deadline=None)
@given(probabilities, st.integers(0, 2**32), probabilities)
def test_isotonic_map_equals_scikit_learn(xs: list[float], seed: int, asked: list[float]) -> None:
    rng = np.random.default_rng(seed)
    correct = (rng.random(len(xs)) < np.asarray(xs)).astype(float)
    fitted = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(xs, correct)
    calibration = Calibration(
        "isotonic", tuple(fitted.X_thresholds_.tolist()), tuple(fitted.y_thresholds_.tolist())
    )
    want = fitted.predict(np.asarray(asked))
    got = [calibration(p) for p in asked]
    assert got == pytest.approx(want.tolist(), abs=1e-12)


def test_sigmoid_map_is_platt_scaling() -> None:
    calibration = Calibration("sigmoid", a=-4.0, b=2.0)
    assert calibration(0.5) == 0.5
    assert calibration(1.0) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert Calibration("sigmoid", a=1e6, b=0.0)(1.0) == 0.0  # no overflow
    assert Calibration("sigmoid", a=-1e6, b=0.0)(1.0) == 1.0


def test_raw_is_the_identity_and_maps_round_trip() -> None:
    assert RAW(0.37) == 0.37
    for calibration in (
        RAW,
        Calibration("isotonic", (0.2, 0.8), (0.1, 0.9), error=0.01, raw_error=0.05),
        Calibration("sigmoid", a=-3.0, b=1.5, error=0.02, raw_error=0.04),
    ):
        assert Calibration.from_dict(calibration.as_dict()) == calibration


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "isotonic"},
        {"method": "isotonic", "x": (0.5, 0.2), "y": (0.1, 0.2)},
        {"method": "isotonic", "x": (0.2, 0.5), "y": (0.3, 0.1)},
        {"method": "isotonic", "x": (0.2, 1.5), "y": (0.1, 0.2)},
        {"method": "sigmoid", "a": float("nan")},
        {"method": "beta"},
    ],
)
def test_calibration_rejects_maps_it_cannot_apply(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Calibration(**kwargs)  # type: ignore[arg-type]

"""Calibrating a model's top-class probability against whether its prediction was right.

This is the training-time half of confidence-based performance estimation (NannyML, CBPE): on
the validation split, fit a map from the top-class probability ``p`` to the chance that the
prediction is correct, so that the live mean of calibrated ``p`` estimates accuracy without
labels (``metrics.calibration.Calibration`` applies the map). Two maps compete:

- isotonic regression, a non-decreasing step function through the data (Zadrozny & Elkan,
  "Transforming classifier scores into accurate multiclass probability estimates", KDD 2002),
  fitted by scikit-learn's ``IsotonicRegression``;
- Platt scaling, ``1 / (1 + exp(a * p + b))`` (Platt, "Probabilistic outputs for support
  vector machines", 1999), fitted as scikit-learn's ``_SigmoidCalibration`` does: by maximum
  likelihood on Platt's smoothed targets ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)``, which
  keep ``a`` and ``b`` finite even when ``p`` separates right from wrong perfectly.

Each is scored by its expected calibration error (Guo et al., "On calibration of modern neural
networks", ICML 2017) measured out of fold, so a map that merely memorises the validation split
gains nothing; the raw probability needs no fitting and is scored on the whole split. ECE also
rewards a map that flattens confidences towards the overall accuracy (a constant map has an ECE
near 0); scoring out of fold limits that, it does not remove it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

from modelbeacon.metrics.calibration import RAW, Calibration

#: Fewer validation samples than this keep the raw probability: nothing can be cross-fitted.
MIN_CALIBRATION_SAMPLES = 10
MAX_FOLDS = 5
ECE_BINS = 10
# A map must beat the raw ECE by more than float rounding: sums of n terms differ in the last
# bits when both are in truth equal (a constant p equal to the accuracy gives 1e-17, not 0).
_ROUNDING = 1e-12

Fit = Callable[[np.ndarray, np.ndarray], Calibration]


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
) -> float:
    """Guo et al.'s ECE: ``sum over bins B of |B| / n * |mean(correct in B) - mean(conf in B)|``.

    The ``bins`` bins split [0, 1] into equal widths, right-closed as Guo et al. define them,
    ``((m - 1) / bins, m / bins]``, the first one taking 0 as well. ``confidence`` (in [0, 1])
    and ``correct`` (booleans) are 1-D arrays of one non-zero length.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    hits = np.asarray(correct, dtype=np.float64)
    edges = np.arange(1, bins) / bins
    which = np.searchsorted(edges, confidence, side="left")
    gaps = np.bincount(which, weights=hits - confidence, minlength=bins)
    # |sum of (hit - conf)| / n per bin is |B| / n times the bin's |accuracy - confidence|
    return float(np.abs(gaps).sum() / len(confidence))


def fit_calibration(
    top_probability: np.ndarray, correct: np.ndarray, *, random_state: int = 0
) -> Calibration:
    """The calibration map for a model whose validation predictions had these top-class
    probabilities and were ``correct`` or not (1-D arrays of one length).

    Isotonic and sigmoid maps are scored by ECE out of fold: ``StratifiedKFold`` on
    ``correct`` with ``min(5, smallest class count)`` folds, shuffled with ``random_state``;
    each fold is mapped by the map fitted on the others. The map with the lower score wins if
    that score is below the raw probability's ECE by more than rounding, and is then refitted
    on every sample; its ``error`` is the out-of-fold score and ``raw_error`` the raw ECE.
    Otherwise the result is ``raw`` with ``error == raw_error`` (the raw ECE). It is ``raw``
    too when there is nothing to cross-fit: fewer than ``MIN_CALIBRATION_SAMPLES`` samples, or
    fewer than two right or two wrong predictions; and ``RAW`` (no errors) for empty arrays.
    Probabilities are clipped to [0, 1] (``predict_proba`` may overshoot 1 by a rounding
    error). Raises ``ValueError`` for arrays of other shapes or non-finite probabilities.
    Deterministic for a given ``random_state``; emits no warnings.
    """
    p = np.asarray(top_probability, dtype=np.float64)
    hits = np.asarray(correct, dtype=bool)
    if p.ndim != 1 or p.shape != hits.shape:
        raise ValueError(
            f"calibration needs two 1-D arrays of one length, got {p.shape} and {hits.shape}"
        )
    if not np.isfinite(p).all():
        raise ValueError("calibration needs finite probabilities")
    if len(p) == 0:
        return RAW
    p = np.clip(p, 0.0, 1.0)
    raw_error = expected_calibration_error(p, hits)
    keep_raw = Calibration("raw", error=raw_error, raw_error=raw_error)
    folds = min(MAX_FOLDS, int(hits.sum()), int((~hits).sum()))
    if len(p) < MIN_CALIBRATION_SAMPLES or folds < 2:
        return keep_raw
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    splits = list(splitter.split(p.reshape(-1, 1), hits))
    scored = [(_out_of_fold_error(fit, p, hits, splits), fit) for fit in (_isotonic, _sigmoid)]
    best_error, best_fit = min(scored, key=lambda pair: pair[0])
    if best_error >= raw_error - _ROUNDING:
        return keep_raw
    fitted = best_fit(p, hits)
    return Calibration(
        fitted.method,
        x=fitted.x,
        y=fitted.y,
        a=fitted.a,
        b=fitted.b,
        error=best_error,
        raw_error=raw_error,
    )


def _out_of_fold_error(
    fit: Fit, p: np.ndarray, hits: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]]
) -> float:
    calibrated = np.empty_like(p)
    for train, held_out in splits:
        mapping = fit(p[train], hits[train])
        calibrated[held_out] = [mapping(float(value)) for value in p[held_out]]
    return expected_calibration_error(calibrated, hits)


def _isotonic(p: np.ndarray, hits: np.ndarray) -> Calibration:
    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(p, hits)
    return Calibration(
        "isotonic",
        x=tuple(float(v) for v in model.X_thresholds_),
        y=tuple(float(v) for v in model.y_thresholds_),
    )


def _sigmoid(p: np.ndarray, hits: np.ndarray) -> Calibration:
    """Platt's fit: each sample is a right answer with weight ``t`` and a wrong one with weight
    ``1 - t``, ``t`` its smoothed target; an unpenalised logistic regression on ``p`` then
    maximises Platt's likelihood."""
    n_right = int(hits.sum())
    n_wrong = len(hits) - n_right
    target = np.where(hits, (n_right + 1.0) / (n_right + 2.0), 1.0 / (n_wrong + 2.0))
    features = np.concatenate([p, p]).reshape(-1, 1)
    labels = np.concatenate([np.ones(len(p)), np.zeros(len(p))])
    weights = np.concatenate([target, 1.0 - target])
    model = LogisticRegression(C=np.inf).fit(features, labels, sample_weight=weights)
    # P(right) = 1 / (1 + exp(-(coef * p + intercept))), so Platt's a and b are their negatives
    return Calibration("sigmoid", a=-float(model.coef_[0, 0]), b=-float(model.intercept_[0]))

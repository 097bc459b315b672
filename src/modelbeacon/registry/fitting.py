"""How each kind of estimator is fitted so that its progress can be reported as it happens.

A fit strategy takes a configured, unfitted estimator and the training split (its caller has
already announced the start), calls ``report(fraction, details)`` with a non-decreasing
``fraction`` in (0, 1] as real work completes (trees grown, boosting stages done, epochs run),
ending with 1, and returns one fitted object that predicts from the raw, unscaled features: the
estimator itself, or a ``Pipeline`` that puts the scaler it needed in front of it. Reports
are throttled to at most ``MAX_REPORTS`` per fit so a 1000-tree forest does not flood the
event bus.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

FitReporter = Callable[[float, str], None]
FitStrategy = Callable[[Any, np.ndarray, np.ndarray, FitReporter], Any]

MAX_REPORTS = 50
FOREST_BATCH = 10


def _report_every(total: int) -> int:
    """The step between two reports so that ``total`` steps give at most ``MAX_REPORTS``."""
    return max(1, math.ceil(total / MAX_REPORTS))


def fit_scaled_at_once(estimator: Any, X: np.ndarray, y: np.ndarray, report: FitReporter) -> Any:
    """Fit ``StandardScaler`` + ``estimator`` in one call; it has no steps to report between."""
    model = Pipeline([("scale", StandardScaler()), ("model", estimator)])
    model.fit(X, y)
    report(1.0, f"fitted {type(estimator).__name__}")
    return model


def fit_forest_in_batches(estimator: Any, X: np.ndarray, y: np.ndarray, report: FitReporter) -> Any:
    """Grow the forest's trees in batches with ``warm_start``, reporting ``"30/100 trees"``.

    Batches are ``FOREST_BATCH`` trees, or larger when that would exceed ``MAX_REPORTS``. The
    returned forest is the same as a one-shot fit with the same ``random_state`` would grow, and
    has ``warm_start`` switched off again so a later ``fit`` starts afresh.
    """
    total = int(estimator.n_estimators)
    batch = max(FOREST_BATCH, _report_every(total))
    estimator.set_params(warm_start=True)
    grown = 0
    while grown < total:
        grown = min(total, grown + batch)
        estimator.set_params(n_estimators=grown)
        estimator.fit(X, y)
        report(grown / total, f"{grown}/{total} trees")
    estimator.set_params(warm_start=False)
    return estimator


def fit_boosting_with_monitor(
    estimator: Any, X: np.ndarray, y: np.ndarray, report: FitReporter
) -> Any:
    """Fit a gradient-boosting estimator, reporting boosting stages through ``fit(monitor=...)``.

    With ``n_iter_no_change`` set, boosting may stop early; the last report then says how many
    stages were kept.
    """
    total = int(estimator.n_estimators)
    every = _report_every(total)

    def monitor(stage: int, _estimator: Any, _locals: dict[str, Any]) -> bool:
        done = stage + 1
        if done % every == 0 or done == total:
            report(done / total, f"stage {done}/{total}")
        return False  # never stop: early stopping is the estimator's own n_iter_no_change

    estimator.fit(X, y, monitor=monitor)
    kept = int(estimator.n_estimators_)
    if kept < total:
        report(1.0, f"stopped early after {kept}/{total} stages")
    return estimator


def fit_scaled_by_epoch(estimator: Any, X: np.ndarray, y: np.ndarray, report: FitReporter) -> Any:
    """Scale, then run ``partial_fit`` once per epoch for ``estimator.max_iter`` epochs.

    The scaler is fitted once on the training split; every class is announced on the first
    ``partial_fit`` call, as scikit-learn requires. Reports ``"epoch 7/20"``.
    """
    epochs = int(estimator.max_iter)
    every = _report_every(epochs)
    scaler = StandardScaler().fit(X)
    X_scaled = scaler.transform(X)
    classes = np.unique(y)
    for epoch in range(1, epochs + 1):
        if epoch == 1:
            estimator.partial_fit(X_scaled, y, classes=classes)
        else:
            estimator.partial_fit(X_scaled, y)
        if epoch % every == 0 or epoch == epochs:
            report(epoch / epochs, f"epoch {epoch}/{epochs}")
    return Pipeline([("scale", scaler), ("model", estimator)])

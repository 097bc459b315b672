"""Tests for the fit strategies: real steps, throttling, same model as a one-shot fit."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import SGDClassifier

from modelbeacon.registry.datasets import load_dataset
from modelbeacon.registry.fitting import (
    MAX_REPORTS,
    fit_boosting_with_monitor,
    fit_forest_in_batches,
    fit_scaled_by_epoch,
)


class FractionLog:
    def __init__(self) -> None:
        self.fractions: list[float] = []
        self.details: list[str] = []

    def __call__(self, fraction: float, details: str) -> None:
        self.fractions.append(fraction)
        self.details.append(details)


def test_fit_forest_in_batches_grows_the_same_forest_as_one_fit() -> None:
    iris = load_dataset("iris")
    log = FractionLog()

    batched = fit_forest_in_batches(
        RandomForestClassifier(n_estimators=25, random_state=3), iris.X, iris.y, log
    )
    at_once = RandomForestClassifier(n_estimators=25, random_state=3).fit(iris.X, iris.y)

    assert log.details == ["10/25 trees", "20/25 trees", "25/25 trees"]
    assert log.fractions == [0.4, 0.8, 1.0]
    assert len(batched.estimators_) == 25
    assert batched.warm_start is False
    np.testing.assert_array_equal(batched.predict_proba(iris.X), at_once.predict_proba(iris.X))


def test_fit_forest_in_batches_throttles_reports_for_large_forests() -> None:
    iris = load_dataset("iris")
    log = FractionLog()

    fit_forest_in_batches(RandomForestClassifier(n_estimators=600), iris.X, iris.y, log)

    assert len(log.fractions) <= MAX_REPORTS
    assert log.fractions == sorted(log.fractions)
    assert log.details[-1] == "600/600 trees"


def test_fit_boosting_with_monitor_throttles_to_max_reports() -> None:
    iris = load_dataset("iris")
    log = FractionLog()

    fit_boosting_with_monitor(
        GradientBoostingClassifier(n_estimators=120, max_depth=1), iris.X, iris.y, log
    )

    assert len(log.fractions) == 40  # every 3rd of 120 stages
    assert log.details[0] == "stage 3/120"
    assert log.details[-1] == "stage 120/120"
    assert log.fractions[-1] == 1.0


def test_fit_boosting_with_monitor_reports_early_stop() -> None:
    iris = load_dataset("iris")
    log = FractionLog()

    model = fit_boosting_with_monitor(
        GradientBoostingClassifier(n_estimators=500, n_iter_no_change=2, random_state=0),
        iris.X,
        iris.y,
        log,
    )

    assert model.n_estimators_ < 500
    assert log.details[-1] == f"stopped early after {model.n_estimators_}/500 stages"
    assert log.fractions[-1] == 1.0
    assert log.fractions == sorted(log.fractions)


def test_fit_scaled_by_epoch_runs_max_iter_epochs_behind_a_scaler() -> None:
    digits = load_dataset("digits")
    log = FractionLog()
    sgd = SGDClassifier(loss="log_loss", max_iter=120, random_state=0)

    model = fit_scaled_by_epoch(sgd, digits.X, digits.y, log)

    assert sgd.t_ == 120 * len(digits.y) + 1  # scikit-learn counts one update per row, from 1
    assert len(log.fractions) == 40
    assert log.details[-1] == "epoch 120/120"
    assert [name for name, _ in model.steps] == ["scale", "model"]
    assert model.score(digits.X, digits.y) > 0.9

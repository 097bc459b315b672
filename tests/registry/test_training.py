"""Tests for ``train``: stages, real progress, accuracy, feature statistics, drift reference,
calibration, failures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

from modelbeacon.errors import InvalidInputError, TrainingError
from modelbeacon.inputs import numeric_features
from modelbeacon.registry.calibration import expected_calibration_error, fit_calibration
from modelbeacon.registry.datasets import load_dataset
from modelbeacon.registry.reference import drift_reference
from modelbeacon.registry.training import (
    ALGORITHM_NAMES,
    TrainingProgress,
    TrainingSpec,
    train,
)

from .conftest import ProgressLog

STAGES = ["loading_data", "splitting", "fitting", "evaluating"]

# Small enough to keep the module fast, large enough for several progress steps.
FAST_PARAMS: dict[str, dict[str, Any]] = {
    "logistic_regression": {},
    "random_forest": {"n_estimators": 40},
    "gradient_boosting": {"n_estimators": 30},
    "sgd": {"max_iter": 10},
    "mlp": {"max_iter": 30},
}


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_train_reports_stages_in_order_with_non_decreasing_progress(
    algorithm: str, progress_log: ProgressLog
) -> None:
    train(TrainingSpec("iris", algorithm, FAST_PARAMS[algorithm]), progress_log)

    assert progress_log.stages() == STAGES
    percents = [report.progress for report in progress_log.reports]
    assert percents == sorted(percents)
    assert all(0.0 <= p <= 100.0 for p in percents)
    assert percents[0] == 0.0
    assert percents[-1] == 92.0
    fitting = [r.progress for r in progress_log.reports if r.stage == "fitting"]
    assert fitting[0] == 10.0
    assert fitting[-1] == 85.0
    assert all(report.details for report in progress_log.reports)


@pytest.mark.parametrize(
    ("algorithm", "expected_details"),
    [
        ("random_forest", ["10/40 trees", "20/40 trees", "30/40 trees", "40/40 trees"]),
        ("gradient_boosting", [f"stage {i}/30" for i in range(1, 31)]),
        ("sgd", [f"epoch {i}/10" for i in range(1, 11)]),
        ("mlp", [f"epoch {i}/30" for i in range(1, 31)]),
    ],
)
def test_train_fitting_reports_each_real_step(
    algorithm: str, expected_details: list[str], progress_log: ProgressLog
) -> None:
    train(TrainingSpec("iris", algorithm, FAST_PARAMS[algorithm]), progress_log)

    steps = [r for r in progress_log.reports if r.stage == "fitting"][1:]
    assert [r.details for r in steps] == expected_details
    assert len(progress_log.fitting_steps()) >= 3
    # the fraction of work done maps linearly onto 10-85
    assert steps[0].progress == pytest.approx(10 + 75 / len(expected_details), abs=0.1)


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_train_on_iris_is_accurate_and_describes_itself(
    algorithm: str, progress_log: ProgressLog
) -> None:
    iris = load_dataset("iris")

    model = train(TrainingSpec("iris", algorithm, FAST_PARAMS[algorithm]), progress_log)

    assert model.validation_accuracy > 0.8
    assert model.dataset == "iris"
    assert model.algorithm == algorithm
    assert model.feature_names == iris.feature_names
    assert model.features == numeric_features(iris.feature_names)
    assert model.classes == (0, 1, 2)
    assert (model.n_train, model.n_validation) == (120, 30)
    assert [f.name for f in model.reference.features] == list(iris.feature_names)
    # the estimator takes raw features (any scaler is inside it) and gives probabilities
    proba = model.estimator.predict_proba(iris.X[:5])
    assert proba.shape == (5, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.estimator.predict(iris.X).tolist().count(0) >= 40
    evaluating = [r.details for r in progress_log.reports if r.stage == "evaluating"]
    scored = f"validation accuracy {model.validation_accuracy:.3f}"
    assert evaluating[1] == f"{scored}; calibrating the model's confidence"
    assert evaluating[-1].startswith(f"{scored}; ")
    assert model.calibration is not None
    assert f"{model.calibration.raw_error:.3f}" in evaluating[-1]


def test_train_records_effective_params_with_spec_overriding_defaults() -> None:
    model = train(TrainingSpec("iris", "sgd", {"max_iter": 5, "alpha": 0.001}), lambda _: None)

    assert model.params == {"loss": "log_loss", "max_iter": 5, "alpha": 0.001}


def test_train_drift_reference_bins_the_training_split() -> None:
    iris = load_dataset("iris")
    # the split train makes: stratified, 20% held out, seeded by random_state
    X_train, X_val = train_test_split(iris.X, test_size=0.2, stratify=iris.y, random_state=3)

    model = train(TrainingSpec("iris", "logistic_regression", {}, random_state=3), lambda _: None)

    assert model.reference == drift_reference(X_train, model.feature_names)
    # the training split's, not the validation split's nor the whole dataset's
    assert model.reference != drift_reference(X_val, model.feature_names)
    for j, feature in enumerate(model.reference.features):
        np.testing.assert_allclose(
            feature.edges,  # type: ignore[union-attr]
            np.unique(np.quantile(X_train[:, j], np.arange(1, 10) / 10)),
        )


def test_train_calibrates_the_validation_split_top_probability() -> None:
    spec = TrainingSpec("breast_cancer", "random_forest", {"n_estimators": 20}, random_state=5)
    data = load_dataset("breast_cancer")
    _, X_val, _, y_val = train_test_split(
        data.X, data.y, test_size=0.2, stratify=data.y, random_state=5
    )

    model = train(spec, lambda _: None)

    top = model.estimator.predict_proba(X_val).max(axis=1)
    correct = model.estimator.predict(X_val) == y_val
    assert model.calibration == fit_calibration(top, correct, random_state=5)
    assert model.calibration.raw_error == pytest.approx(expected_calibration_error(top, correct))


def test_train_without_probabilities_has_no_calibration() -> None:
    model = train(TrainingSpec("iris", "sgd", {"loss": "hinge", "max_iter": 10}), lambda _: None)

    assert not hasattr(model.estimator, "predict_proba")
    assert model.calibration is None
    assert len(model.reference.features) == 4


@pytest.mark.parametrize(
    ("dataset", "algorithm", "params", "n_features"),
    [
        ("digits", "sgd", {"max_iter": 10}, 64),
        ("breast_cancer", "random_forest", {"n_estimators": 20}, 30),
        ("wine", "mlp", {"max_iter": 20}, 13),
    ],
)
def test_train_on_other_datasets_is_accurate(
    dataset: str, algorithm: str, params: dict[str, Any], n_features: int
) -> None:
    model = train(TrainingSpec(dataset, algorithm, params), lambda _: None)

    assert model.validation_accuracy > 0.85
    assert model.reference.n_features == n_features
    assert len(model.feature_names) == n_features


def test_train_same_spec_gives_same_model() -> None:
    spec = TrainingSpec("iris", "random_forest", {"n_estimators": 20}, random_state=7)
    iris = load_dataset("iris")

    first = train(spec, lambda _: None)
    second = train(spec, lambda _: None)

    np.testing.assert_array_equal(
        first.estimator.predict_proba(iris.X), second.estimator.predict_proba(iris.X)
    )


def test_train_validation_fraction_sets_the_split() -> None:
    model = train(
        TrainingSpec("iris", "logistic_regression", {}, validation_fraction=0.4),
        lambda _: None,
    )

    assert (model.n_train, model.n_validation) == (90, 60)


def test_train_fit_failure_is_training_error() -> None:
    """liblinear passes parameter validation but refuses more than two classes in ``fit``."""
    log = ProgressLog()
    spec = TrainingSpec("iris", "logistic_regression", {"solver": "liblinear"})

    with pytest.raises(TrainingError) as info:
        train(spec, log)

    assert "liblinear" in info.value.message
    assert isinstance(info.value.__cause__, ValueError)
    assert info.value.details["stage"] == "fitting"
    assert log.stages() == ["loading_data", "splitting", "fitting"]


def test_train_same_solver_succeeds_on_a_binary_dataset() -> None:
    spec = TrainingSpec("breast_cancer", "logistic_regression", {"solver": "liblinear"})

    assert train(spec, lambda _: None).validation_accuracy > 0.9


def test_train_invalid_spec_is_training_error_caused_by_invalid_input() -> None:
    with pytest.raises(TrainingError) as info:
        train(TrainingSpec("iris", "random_forest", {"n_estimators": -1}), lambda _: None)

    assert isinstance(info.value.__cause__, InvalidInputError)
    assert "n_estimators" in info.value.message


def test_train_progress_callback_failure_aborts_training() -> None:
    def refuse_fitting(report: TrainingProgress) -> None:
        if report.stage == "fitting":
            raise RuntimeError("job cancelled")

    with pytest.raises(TrainingError) as info:
        train(TrainingSpec("iris", "sgd", {"max_iter": 5}), refuse_fitting)

    assert "job cancelled" in info.value.message
    assert isinstance(info.value.__cause__, RuntimeError)

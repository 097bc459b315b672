"""Tests for ``validate_spec``: every rejection says what to change."""

from __future__ import annotations

from typing import Any

import pytest

from modelbeacon.errors import InvalidInputError
from modelbeacon.registry.algorithms import ALGORITHMS
from modelbeacon.registry.datasets import DATASET_NAMES
from modelbeacon.registry.training import ALGORITHM_NAMES, TrainingSpec, validate_spec


def _rejection(spec: TrainingSpec) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        validate_spec(spec)
    return info.value


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_validate_spec_accepts_every_dataset_and_algorithm_with_defaults(
    dataset: str, algorithm: str
) -> None:
    validate_spec(TrainingSpec(dataset, algorithm, {}))


@pytest.mark.parametrize(
    ("algorithm", "params"),
    [
        ("logistic_regression", {"C": 0.5, "solver": "saga", "max_iter": 500}),
        ("random_forest", {"n_estimators": 50, "max_depth": None, "bootstrap": False}),
        ("gradient_boosting", {"learning_rate": 0.05, "subsample": 0.8, "n_iter_no_change": 5}),
        ("sgd", {"loss": "hinge", "alpha": 1e-3, "penalty": "elasticnet"}),
        ("mlp", {"hidden_layer_sizes": [32, 16], "activation": "tanh", "solver": "sgd"}),
    ],
)
def test_validate_spec_accepts_valid_params(algorithm: str, params: dict[str, Any]) -> None:
    validate_spec(TrainingSpec("iris", algorithm, params))


def test_validate_spec_unknown_algorithm_lists_known_ones() -> None:
    error = _rejection(TrainingSpec("iris", "xgboost", {}))

    assert "xgboost" in error.message
    for name in ALGORITHM_NAMES:
        assert name in error.message
    assert error.details["known_algorithms"] == list(ALGORITHM_NAMES)


def test_validate_spec_unknown_dataset_lists_known_ones() -> None:
    error = _rejection(TrainingSpec("titanic", "sgd", {}))

    assert "titanic" in error.message
    assert error.details["known_datasets"] == list(DATASET_NAMES)


def test_validate_spec_unknown_param_lists_accepted_ones() -> None:
    error = _rejection(TrainingSpec("iris", "random_forest", {"n_trees": 10}))

    assert "'n_trees'" in error.message
    assert "n_estimators" in error.message
    assert "max_depth" in error.details["accepted_params"]
    assert error.details["param"] == "n_trees"


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_validate_spec_accepted_params_exclude_what_modelbeacon_controls(algorithm: str) -> None:
    accepted = ALGORITHMS[algorithm].accepted_params()

    assert not {"random_state", "warm_start", "n_jobs", "verbose"} & set(accepted)
    assert "criterion" not in ALGORITHMS["gradient_boosting"].accepted_params()  # deprecated


@pytest.mark.parametrize(
    ("algorithm", "params", "expected"),
    [
        ("random_forest", {"n_estimators": -1}, "range [1, inf)"),
        ("random_forest", {"n_estimators": "ten"}, "'n_estimators' parameter"),
        ("random_forest", {"n_estimators": 10.5}, "'n_estimators' parameter"),
        ("random_forest", {"n_estimators": True}, "does not take a boolean"),
        ("random_forest", {"criterion": "purity"}, "'criterion' parameter"),
        ("gradient_boosting", {"learning_rate": -0.1}, "'learning_rate' parameter"),
        ("logistic_regression", {"C": "large"}, "'C' parameter"),
        ("sgd", {"loss": "cross_entropy"}, "'loss' parameter"),
        ("mlp", {"activation": "gelu"}, "'activation' parameter"),
    ],
)
def test_validate_spec_rejects_values_scikit_learn_rejects(
    algorithm: str, params: dict[str, Any], expected: str
) -> None:
    error = _rejection(TrainingSpec("iris", algorithm, params))

    assert expected in error.message
    assert error.message.startswith(f"invalid params for {algorithm}: ")
    assert error.details["param"] == next(iter(params))


@pytest.mark.parametrize(
    "value",
    [print, object(), {"nested": 1}, [[1, 2]], (1, 2), float("nan"), float("inf"), "x" * 101],
    ids=["callable", "object", "dict", "nested-list", "tuple", "nan", "inf", "long-string"],
)
def test_validate_spec_rejects_non_json_values(value: object) -> None:
    error = _rejection(TrainingSpec("iris", "logistic_regression", {"C": value}))

    assert "must be a JSON number, string, boolean, null or a flat list" in error.message
    assert error.details["param"] == "C"


@pytest.mark.parametrize(
    ("algorithm", "params", "expected"),
    [
        ("random_forest", {"n_estimators": 1001}, "'n_estimators' is at most 1000"),
        ("gradient_boosting", {"n_estimators": 5000}, "'n_estimators' is at most 1000"),
        ("sgd", {"max_iter": 10001}, "'max_iter' is at most 10000"),
        ("logistic_regression", {"max_iter": 1e9}, "'max_iter' is at most 10000"),
        ("mlp", {"hidden_layer_sizes": [2048]}, "'hidden_layer_sizes' is a list of 1 to 4"),
        ("mlp", {"hidden_layer_sizes": [8] * 5}, "'hidden_layer_sizes' is a list of 1 to 4"),
        ("mlp", {"hidden_layer_sizes": [0]}, "each an integer from 1 to 1024"),
        ("mlp", {"hidden_layer_sizes": []}, "'hidden_layer_sizes' is a list of 1 to 4"),
    ],
)
def test_validate_spec_caps_work_per_job(
    algorithm: str, params: dict[str, Any], expected: str
) -> None:
    error = _rejection(TrainingSpec("iris", algorithm, params))

    assert expected in error.message


def test_validate_spec_accepts_caps_themselves() -> None:
    validate_spec(TrainingSpec("iris", "random_forest", {"n_estimators": 1000}))
    validate_spec(TrainingSpec("iris", "sgd", {"max_iter": 10000}))
    validate_spec(TrainingSpec("iris", "mlp", {"hidden_layer_sizes": [1024] * 4}))


@pytest.mark.parametrize(
    ("algorithm", "param", "value"),
    [
        ("random_forest", "warm_start", True),
        ("random_forest", "oob_score", True),
        ("gradient_boosting", "init", "zero"),
        ("sgd", "early_stopping", True),
        ("sgd", "class_weight", "balanced"),
        ("mlp", "n_iter_no_change", 5),
        ("logistic_regression", "random_state", 3),
        ("logistic_regression", "n_jobs", 2),
    ],
)
def test_validate_spec_rejects_params_modelbeacon_controls(
    algorithm: str, param: str, value: object
) -> None:
    error = _rejection(TrainingSpec("iris", algorithm, {param: value}))

    assert repr(param) in error.message
    assert error.details["param"] == param


def test_validate_spec_rejects_mlp_solver_without_partial_fit() -> None:
    error = _rejection(TrainingSpec("iris", "mlp", {"solver": "lbfgs"}))

    assert "'solver' must be one of 'adam', 'sgd' for mlp" in error.message


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True])
def test_validate_spec_rejects_bad_random_state(seed: Any) -> None:
    error = _rejection(TrainingSpec("iris", "sgd", {}, random_state=seed))

    assert "random_state must be an integer" in error.message


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.51, 1.0, False])
def test_validate_spec_rejects_bad_validation_fraction(fraction: Any) -> None:
    error = _rejection(TrainingSpec("iris", "sgd", {}, validation_fraction=fraction))

    assert "validation_fraction must be a number from 0.05 to 0.5" in error.message

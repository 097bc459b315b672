"""Tests for ``SklearnPredictor``, the scikit-learn implementation of ``Predictor``."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from modelbeacon.errors import InvalidInputError
from modelbeacon.registry.datasets import load_dataset
from modelbeacon.registry.predictor import Predictor, SklearnPredictor
from modelbeacon.registry.training import TrainingSpec, train


def _iris_predictor(loss: str = "log_loss") -> SklearnPredictor:
    model = train(TrainingSpec("iris", "sgd", {"loss": loss, "max_iter": 10}), lambda _: None)
    return SklearnPredictor(model.estimator)


def test_predictor_describes_the_model() -> None:
    predictor = _iris_predictor()

    assert isinstance(predictor, Predictor)
    assert predictor.n_features == 4
    assert predictor.classes == (0, 1, 2)
    assert all(type(label) is int for label in predictor.classes)
    assert predictor.has_proba is True


def test_predictor_predicts_like_the_estimator() -> None:
    iris = load_dataset("iris")
    predictor = _iris_predictor()

    labels = predictor.predict(iris.X[:10])
    proba = predictor.predict_proba(iris.X[:10])

    np.testing.assert_array_equal(labels, predictor.estimator.predict(iris.X[:10]))
    assert proba.shape == (10, 3)
    assert proba.dtype == np.float64
    np.testing.assert_array_equal(np.asarray(predictor.classes)[proba.argmax(axis=1)], labels)


def test_predictor_accepts_integer_arrays() -> None:
    assert _iris_predictor().predict(np.array([[5, 3, 1, 0]])).shape == (1,)


def test_predictor_without_proba_refuses_predict_proba() -> None:
    predictor = _iris_predictor(loss="hinge")

    assert predictor.has_proba is False
    with pytest.raises(InvalidInputError, match="does not produce probabilities"):
        predictor.predict_proba(np.zeros((1, 4)))
    assert predictor.predict(np.zeros((1, 4))).shape == (1,)


@pytest.mark.parametrize("shape", [(4,), (1, 3), (2, 5), (1, 2, 4)])
def test_predictor_rejects_wrong_shape(shape: tuple[int, ...]) -> None:
    predictor = _iris_predictor()

    with pytest.raises(InvalidInputError, match="expected a 2-D array with 4 feature columns"):
        predictor.predict(np.zeros(shape))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_predictor_rejects_non_finite_values(bad: float) -> None:
    X = np.array([[5.0, 3.0, bad, 0.2]])

    with pytest.raises(InvalidInputError, match="finite"):
        _iris_predictor().predict_proba(X)


def test_predictor_rejects_non_numeric_values() -> None:
    with pytest.raises(InvalidInputError, match="must be numbers"):
        _iris_predictor().predict(np.array([["a", "b", "c", "d"]]))


def test_predictor_refuses_what_is_not_a_fitted_classifier() -> None:
    with pytest.raises(ValueError, match="has no predict method"):
        SklearnPredictor(StandardScaler())
    with pytest.raises(ValueError, match="is not a fitted classifier"):
        SklearnPredictor(SGDClassifier())

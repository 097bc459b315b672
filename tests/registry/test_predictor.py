"""Tests for ``SklearnPredictor``, the scikit-learn implementation of ``Predictor``."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

from modelbeacon.errors import InvalidInputError, UncomputableInputError
from modelbeacon.registry.datasets import load_dataset
from modelbeacon.registry.predictor import (
    NAN_DECISION,
    NON_FINITE_OUTPUT,
    Predictor,
    Refusal,
    SklearnPredictor,
    non_finite_rows,
    refused_rows,
)
from modelbeacon.registry.training import TrainingProgress, TrainingSpec, train


def _ignore(_progress: TrainingProgress) -> None:
    pass


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


def _nan_logistic() -> SklearnPredictor:
    """A binary logistic regression that answers NaN, silently, for a first feature >= 1.8e307:
    its decision ``x . coef + intercept`` is then ``inf + -inf``."""
    estimator = LogisticRegression().fit(np.array([[0.0, 0.0], [1.0, 1.0]]), [0, 1])
    estimator.coef_ = np.array([[10.0, 0.0]])
    estimator.intercept_ = np.array([-np.inf])
    return SklearnPredictor(estimator)


@pytest.mark.parametrize(
    ("algorithm", "value"),
    [("logistic_regression", 1.79e308), ("random_forest", 1e39), ("mlp", -1.79e308)],
)
def test_predictor_refuses_finite_values_that_overflow_inside_the_model(
    algorithm: str, value: float
) -> None:
    params = {"n_estimators": 5} if algorithm == "random_forest" else {}
    predictor = SklearnPredictor(train(TrainingSpec("iris", algorithm, params), _ignore).estimator)

    # filterwarnings=error: numpy's overflow warning would fail the test if it escaped
    with pytest.raises(UncomputableInputError, match="too large for the model"):
        predictor.predict_proba(np.array([[value, 3.0, 1.4, 0.2]]))
    with pytest.raises(UncomputableInputError):
        predictor.predict(np.array([[value, 3.0, 1.4, 0.2]]))


def test_refused_rows_names_each_refused_row_in_order() -> None:
    predictor = _iris_predictor()
    X = np.tile([5.1, 3.5, 1.4, 0.2], (40, 1))
    X[[3, 17, 18, 39], 0] = 1.79e308

    assert refused_rows(predictor, X[:3]) == []
    assert [r.row for r in refused_rows(predictor, X)] == [3, 17, 18, 39]
    assert [r.row for r in refused_rows(predictor, X, limit=2)] == [3, 17]
    assert all("too large for the model" in r.reason for r in refused_rows(predictor, X))


def test_refused_rows_halves_instead_of_trying_every_row() -> None:
    calls: list[int] = []
    inner = _iris_predictor()

    class Counting:
        n_features, classes, has_proba = inner.n_features, inner.classes, True

        def predict(self, X: np.ndarray) -> np.ndarray:
            raise AssertionError("not called: the model has probabilities")

        def predict_proba(self, X: np.ndarray) -> np.ndarray:
            calls.append(len(X))
            return inner.predict_proba(X)

    X = np.tile([5.1, 3.5, 1.4, 0.2], (1000, 1))
    X[700, 1] = -1.79e308

    assert [r.row for r in refused_rows(Counting(), X)] == [700]
    assert len(calls) <= 2 * 11  # two halves per level, log2(1000) < 10 levels below the batch


def test_non_finite_probabilities_are_refused_rows_not_numbers() -> None:
    predictor = _nan_logistic()
    X = np.array([[0.5, 0.5], [1e308, 0.0], [0.2, 0.1]])

    probabilities = predictor.predict_proba(X)  # the model itself answers NaN, silently

    assert np.isnan(probabilities[1]).all() and np.isfinite(probabilities[[0, 2]]).all()
    assert non_finite_rows(probabilities) == [Refusal(1, NON_FINITE_OUTPUT)]
    assert non_finite_rows(probabilities[1:], offset=1) == [Refusal(1, NON_FINITE_OUTPUT)]
    assert refused_rows(predictor, X) == [Refusal(1, NON_FINITE_OUTPUT)]


def test_a_label_decided_from_nan_is_refused_not_served() -> None:
    estimator = SGDClassifier(loss="hinge").fit(np.array([[0.0, 0.0], [1.0, 1.0]]), [0, 1])
    estimator.coef_ = np.array([[10.0, 0.0]])
    estimator.intercept_ = np.array([-np.inf])  # decision for x >= 1.8e307: inf + -inf
    predictor = SklearnPredictor(estimator)
    X = np.array([[0.5, 0.5], [1e308, 0.0], [0.2, 0.1]])

    assert predictor.has_proba is False
    with np.errstate(all="ignore"):
        assert estimator.predict(X[1:2]).shape == (1,)  # scikit-learn answers a label anyway
    with pytest.raises(UncomputableInputError, match="decision for it comes out as NaN"):
        predictor.predict(X)
    assert predictor.predict(X[[0, 2]]).shape == (2,)
    assert refused_rows(predictor, X) == [Refusal(1, NAN_DECISION)]

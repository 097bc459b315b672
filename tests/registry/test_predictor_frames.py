"""Tests for ``SklearnPredictor`` over models fitted on a DataFrame: rows of numbers,
categories and missing values; and for ``accepts_missing``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from modelbeacon.errors import InvalidInputError, UncomputableInputError
from modelbeacon.inputs import FeatureSpec
from modelbeacon.registry.predictor import (
    SklearnPredictor,
    accepts_missing,
    non_finite_rows,
    refused_rows,
)
from tests.registry.models import MIXED_ROWS, iris, mixed_frame, mixed_frame_of, mixed_pipeline

MIXED_FEATURES = (
    FeatureSpec("size"),
    FeatureSpec("colour", "categorical", ("blue", "green", "red")),
)


def _no_imputer() -> SklearnPredictor:
    """scale + one-hot (unknown categories refused) + logistic regression, no imputer."""
    frame = mixed_frame().fillna({"size": 0.0, "colour": "red"})
    labels = np.where(frame["size"].to_numpy() > 2.0, "big", "small")
    columns = ColumnTransformer(
        [("num", StandardScaler(), ["size"]), ("cat", OneHotEncoder(), ["colour"])]
    )
    model = Pipeline([("columns", columns), ("model", LogisticRegression())])
    return SklearnPredictor(model.fit(frame, labels), MIXED_FEATURES)


def test_frame_model_takes_rows_of_numbers_categories_and_missing_values() -> None:
    pipeline = mixed_pipeline()
    predictor = SklearnPredictor(pipeline, MIXED_FEATURES)
    rows = np.array(MIXED_ROWS, dtype=object)

    assert predictor.features == MIXED_FEATURES
    assert predictor.classes == ("big", "small")
    assert predictor.runtime == "sklearn"
    assert predictor.accepts_missing is True
    expected = pipeline.predict_proba(mixed_frame_of(MIXED_ROWS))
    np.testing.assert_array_equal(predictor.predict_proba(rows), expected)
    assert predictor.predict(rows).tolist() == pipeline.predict(mixed_frame_of(MIXED_ROWS)).tolist()
    # NaN is missing too, as a float array of an all-numeric row would carry it
    np.testing.assert_array_equal(
        predictor.predict_proba(np.array([[np.nan, "red"]], dtype=object)),
        pipeline.predict_proba(mixed_frame_of([[None, "red"]])),
    )


def test_frame_model_defaults_to_numeric_features_named_by_the_model() -> None:
    X, y = iris()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    predictor = SklearnPredictor(LogisticRegression(max_iter=500).fit(frame, y))

    assert predictor.features == tuple(FeatureSpec(n) for n in "abcd")
    assert predictor.predict(X[:3]).tolist() == [0, 0, 0]


def test_frame_model_refuses_features_that_are_not_its_columns() -> None:
    with pytest.raises(ValueError, match="are not the model's columns"):
        SklearnPredictor(mixed_pipeline(), (MIXED_FEATURES[1], MIXED_FEATURES[0]))
    X, y = iris()
    with pytest.raises(ValueError, match="fitted on an array: it takes 4 numeric features"):
        SklearnPredictor(LogisticRegression().fit(X, y), MIXED_FEATURES)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([1.0, 3], "'colour' takes str categories, got 3"),
        (["big", "red"], "'size' is numeric: 'big' is not a number"),
        ([np.inf, "red"], "'size' must be a finite number or null"),
        ([1.0], "expected a 2-D array with 2 feature columns"),
    ],
)
def test_frame_model_refuses_a_value_of_the_wrong_kind_naming_the_feature(
    row: list[object], message: str
) -> None:
    predictor = SklearnPredictor(mixed_pipeline(), MIXED_FEATURES)

    with pytest.raises(InvalidInputError, match=message) as refused:
        predictor.predict_proba(np.array([row], dtype=object))
    assert not isinstance(refused.value, UncomputableInputError)


def test_a_missing_value_without_an_imputer_is_refused_naming_the_feature() -> None:
    predictor = _no_imputer()

    assert predictor.accepts_missing is False
    with pytest.raises(UncomputableInputError, match="cannot take a missing value for feature"):
        predictor.predict_proba(np.array([[None, "red"]], dtype=object))
    with pytest.raises(UncomputableInputError, match="'colour'") as refused:
        predictor.predict(np.array([[1.0, None]], dtype=object))
    assert refused.value.details == {"features": ["colour"]}
    with pytest.raises(UncomputableInputError, match="unknown categories"):
        predictor.predict_proba(np.array([[1.0, "purple"]], dtype=object))


def test_refused_rows_names_each_missing_value_row_of_an_object_batch() -> None:
    predictor = _no_imputer()
    rows = np.array([[1.0, "red"], [None, "red"], [2.0, "blue"], [3.0, None]], dtype=object)

    refusals = refused_rows(predictor, rows)

    assert [r.row for r in refusals] == [1, 3]
    assert "'size'" in refusals[0].reason and "'colour'" in refusals[1].reason
    assert non_finite_rows(predictor.predict_proba(rows[[0, 2]])) == []


def test_accepts_missing_finds_an_imputer_anywhere_or_hist_gradient_boosting() -> None:
    X, y = iris()
    plain = LogisticRegression(max_iter=500).fit(X, y)
    union = Pipeline(
        [
            ("union", FeatureUnion([("scale", StandardScaler()), ("knn", KNNImputer())])),
            ("model", LogisticRegression(max_iter=500)),
        ]
    ).fit(X, y)
    nested = Pipeline(
        [
            (
                "columns",
                ColumnTransformer([("num", Pipeline([("impute", SimpleImputer())]), [0, 1, 2, 3])]),
            ),
            ("model", LogisticRegression(max_iter=500)),
        ]
    ).fit(X, y)

    assert accepts_missing(plain) is False
    assert accepts_missing(union) is True
    assert accepts_missing(nested) is True
    assert accepts_missing(HistGradientBoostingClassifier(max_iter=3).fit(X, y)) is True
    assert SklearnPredictor(plain).accepts_missing is False

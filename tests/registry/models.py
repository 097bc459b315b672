"""Fitted models the importing, runtime and predictor tests share, built in the test process."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

#: Rows of the mixed model in its column order (size, colour): strings, missing values, a
#: colour it never saw.
MIXED_ROWS: list[list[Any]] = [
    [1.0, "red"],
    [None, "blue"],
    [3.5, None],
    [None, None],
    [2.0, "purple"],
]


def mixed_frame() -> pd.DataFrame:
    """A small table of one numeric and one categorical column, with missing values."""
    rng = np.random.default_rng(7)
    size = rng.normal(2.0, 1.0, 60)
    size[::9] = np.nan
    colour = np.array(["red", "green", "blue"], dtype=object)[rng.integers(0, 3, 60)]
    colour[::11] = None
    return pd.DataFrame({"size": size, "colour": colour})


def mixed_pipeline() -> Pipeline:
    """impute + scale numbers, impute + one-hot categories, then a logistic regression;
    fitted on ``mixed_frame`` with string classes."""
    frame = mixed_frame()
    labels = np.where(np.nan_to_num(frame["size"].to_numpy()) > 2.0, "big", "small")
    numeric = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    columns = ColumnTransformer([("num", numeric, ["size"]), ("cat", categorical, ["colour"])])
    return Pipeline([("columns", columns), ("model", LogisticRegression())]).fit(frame, labels)


def mixed_frame_of(rows: list[list[Any]]) -> pd.DataFrame:
    """``rows`` as the DataFrame scikit-learn itself would be called with (NaN missing)."""
    return pd.DataFrame(
        {
            "size": [np.nan if r[0] is None else r[0] for r in rows],
            "colour": pd.Series([np.nan if r[1] is None else r[1] for r in rows], dtype=object),
        }
    )


def iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return X.astype(np.float32), y

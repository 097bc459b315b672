"""The model "served elsewhere" as the simulator plays it: a small scikit-learn pipeline fitted
in the simulator's own process on a dataset's rows, predicting one request at a time and timing
its own call, as a team's serving process would before logging the prediction.

The pipeline is the plainest that takes every dataset the server has: numeric columns imputed
(median) and scaled, categorical ones imputed (most frequent) and one-hot encoded (a category
never seen is all zeros), then a logistic regression. A column is numeric when its present
values are all numbers (``inputs.is_numeric_column``, as the sampler decides).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer  # type: ignore[import-untyped]
from sklearn.impute import SimpleImputer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # type: ignore[import-untyped]

from modelbeacon.client import DatasetRows
from modelbeacon.simulate.inputs import Value, is_numeric_column


@dataclass(frozen=True)
class LocalPrediction:
    """One prediction: the class, each class's probability keyed by the class as text (as
    the logging API takes them), and the milliseconds the model call took."""

    prediction: int | str
    probabilities: dict[str, float]
    latency_ms: float


class LocalModel:
    """A fitted pipeline over the columns ``feature_names`` (``numeric[i]`` tells the kind of
    column i). Build with ``fit``; ``predict`` is thread-safe (scikit-learn's predict is)."""

    def __init__(
        self, pipeline: Any, feature_names: Sequence[str], numeric: Sequence[bool]
    ) -> None:
        self._pipeline = pipeline
        self._feature_names = list(feature_names)
        self._numeric = tuple(numeric)
        self.classes: tuple[int | str, ...] = tuple(_plain(c) for c in pipeline.classes_)

    @classmethod
    def fit(cls, dataset: DatasetRows) -> LocalModel:
        """Fit on every row of ``dataset`` (seconds for digits; run it off the event loop)."""
        columns = list(zip(*dataset.rows, strict=True))
        numeric = [is_numeric_column(column) for column in columns]
        names = list(dataset.feature_names)
        parts = []
        numbers = [name for name, n in zip(names, numeric, strict=True) if n]
        if numbers:
            scale = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
            parts.append(("numeric", scale, numbers))
        categories = [name for name, n in zip(names, numeric, strict=True) if not n]
        if categories:
            encode = make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore"),
            )
            parts.append(("categorical", encode, categories))
        pipeline = make_pipeline(ColumnTransformer(parts), LogisticRegression(max_iter=2000))
        pipeline.fit(_frame(dataset.rows, names, numeric), list(dataset.labels))
        return cls(pipeline, names, numeric)

    def predict(self, features: Sequence[Value]) -> LocalPrediction:
        """The prediction for one input, its values in column order (``None``: missing)."""
        frame = _frame([features], self._feature_names, self._numeric)
        started = time.perf_counter()
        probabilities = self._pipeline.predict_proba(frame)[0]
        latency_ms = (time.perf_counter() - started) * 1000.0
        best = int(np.argmax(probabilities))
        return LocalPrediction(
            prediction=self.classes[best],
            probabilities={
                str(c): float(p) for c, p in zip(self.classes, probabilities, strict=True)
            },
            latency_ms=latency_ms,
        )


def _frame(
    rows: Sequence[Sequence[Value]], names: Sequence[str], numeric: Sequence[bool]
) -> pd.DataFrame:
    """``rows`` as the pipeline takes them: numbers as floats, categories as objects, and
    every missing value as NaN (what ``SimpleImputer`` looks for)."""
    columns: dict[str, Any] = {}
    for i, (name, is_number) in enumerate(zip(names, numeric, strict=True)):
        values = [row[i] for row in rows]
        if is_number:
            columns[name] = np.array([math.nan if v is None else v for v in values], dtype=float)
        else:
            columns[name] = np.array([math.nan if v is None else v for v in values], dtype=object)
    return pd.DataFrame(columns, columns=list(names))


def _plain(value: Any) -> int | str:
    """A class as JSON writes it: numpy integers become ints, anything else text."""
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    return str(value)

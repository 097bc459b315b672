"""The drift reference: how each feature of the training split falls into its PSI bins.

Built once per training from the training split (never the validation split: that one measures
the model, this one describes what it learnt from) and stored with the model, so the live
monitor compares recent inputs against it bin by bin (``metrics.psi``; DESIGN.md section 3).
``drift_reference`` bins the all-numeric array of a built-in dataset, ``tabular_reference`` the
DataFrame of an uploaded one, missing values and categories included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from modelbeacon.inputs import FeatureSpec
from modelbeacon.metrics.psi import (
    CategoricalReference,
    DriftReference,
    FeatureReference,
    NumericReference,
)

#: The quantiles whose distinct values are a numeric feature's bin edges: the nine deciles.
DECILES = tuple(q / 10 for q in range(1, 10))


def drift_reference(X_train: np.ndarray, feature_names: Sequence[str]) -> DriftReference:
    """The ``DriftReference`` of the training split ``X_train``, one numeric feature per column.

    ``X_train`` is a 2-D array of finite numbers with at least one row and one column per name
    in ``feature_names`` (in that order). For each column, the edges are the distinct values of
    its deciles (``np.quantile`` at 0.1, ..., 0.9, linear interpolation), ascending: one edge
    for a constant column, at most nine. The ``len(edges) + 1`` proportions are the fractions
    of the column in each bin, a value equal to an edge counting in the bin on its right
    (``NumericReference.bin_of``). Raises ``ValueError`` for an input outside that contract.
    """
    X = np.asarray(X_train, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] != len(feature_names):
        raise ValueError(
            f"a drift reference needs a 2-D array with rows and {len(feature_names)} columns, "
            f"got shape {X.shape}"
        )
    if not np.isfinite(X).all():
        raise ValueError("a drift reference needs finite feature values")
    return DriftReference(tuple(_numeric(name, X[:, j]) for j, name in enumerate(feature_names)))


def tabular_reference(frame: pd.DataFrame, features: Sequence[FeatureSpec]) -> DriftReference:
    """The ``DriftReference`` of the training split ``frame`` (at least one row, a column per
    feature named by it, NaN or ``None`` for a missing value), features in ``features`` order.

    A numeric feature's edges are the deciles of its present values, as ``drift_reference``
    takes them, and its bins always end with the missing bin (``NumericReference.missing``),
    every proportion a fraction of all rows. A column missing in every row has no edges: one
    bin for any value, empty, then the missing bin holding everything. A categorical feature's
    bins are its spec's ``categories`` (or, where the spec has none, the sorted distinct
    values of the column), then "other" for any other value and missing ones. Raises
    ``ValueError`` for a frame outside that contract.
    """
    if len(frame) == 0:
        raise ValueError("a drift reference needs at least one row")
    absent = [f.name for f in features if f.name not in frame.columns]
    if absent:
        raise ValueError(f"the frame has no column {', '.join(map(repr, absent))}")
    return DriftReference(tuple(_tabular(feature, frame[feature.name]) for feature in features))


def _tabular(feature: FeatureSpec, column: Any) -> FeatureReference:
    n = len(column)
    if feature.kind == "categorical":
        present = column.dropna()
        categories = feature.categories
        if categories is None:
            categories = tuple(sorted(present.unique().tolist(), key=str))
        counts = present.value_counts()
        known = [int(counts.get(category, 0)) for category in categories]
        return CategoricalReference(
            name=feature.name,
            categories=tuple(categories),
            proportions=tuple(count / n for count in (*known, n - sum(known))),
        )
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    present = values[~np.isnan(values)]
    if np.isinf(present).any():
        raise ValueError(f"feature {feature.name!r}: a drift reference needs finite values")
    return _numeric(feature.name, present, missing=n - len(present))


def _numeric(name: str, column: np.ndarray, missing: int | None = None) -> NumericReference:
    """Bins of the present values ``column``; with a ``missing`` count, a missing bin too."""
    n = len(column) + (missing or 0)
    if len(column):
        edges = np.unique(np.quantile(column, DECILES))
        bins = np.searchsorted(edges, column, side="right")
        counts = np.bincount(bins, minlength=len(edges) + 1).tolist()
    else:
        edges, counts = np.empty(0), [0]
    if missing is not None:
        counts.append(missing)
    return NumericReference(
        name=name,
        edges=tuple(float(edge) for edge in edges),
        proportions=tuple(count / n for count in counts),
        missing=missing is not None,
    )

"""The drift reference: how each feature of the training split falls into its PSI bins.

Built once per training from the training split (never the validation split: that one measures
the model, this one describes what it learnt from) and stored with the model, so the live
monitor compares recent inputs against it bin by bin (``metrics.psi``; DESIGN.md section 3).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from modelbeacon.metrics.psi import DriftReference, NumericReference

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


def _numeric(name: str, column: np.ndarray) -> NumericReference:
    edges = np.unique(np.quantile(column, DECILES))
    bins = np.searchsorted(edges, column, side="right")
    counts = np.bincount(bins, minlength=len(edges) + 1)
    return NumericReference(
        name=name,
        edges=tuple(float(edge) for edge in edges),
        proportions=tuple(float(count) / len(column) for count in counts),
    )

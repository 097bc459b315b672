"""The built-in datasets: the small classification sets shipped inside scikit-learn.

They load from files inside the scikit-learn wheel, so nothing is downloaded. Each is handed
out as a ``Dataset``: float64 features in a fixed column order, integer class labels, and the
feature names clients use to send a prediction request as an object keyed by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from sklearn import datasets as sk_datasets  # type: ignore[import-untyped]

from modelbeacon.errors import InvalidInputError

DATASET_NAMES: tuple[str, ...] = ("iris", "wine", "breast_cancer", "digits")

_LOADERS: Mapping[str, Callable[[], Any]] = MappingProxyType(
    {
        "iris": sk_datasets.load_iris,
        "wine": sk_datasets.load_wine,
        "breast_cancer": sk_datasets.load_breast_cancer,
        "digits": sk_datasets.load_digits,
    }
)


@dataclass(frozen=True, eq=False)
class Dataset:
    """One labelled dataset, ready to split and fit.

    ``X`` is a C-contiguous float64 array of shape (n_samples, n_features) whose columns are
    named, in order, by ``feature_names``. ``y`` holds int64 class labels; ``classes`` is their
    sorted set of distinct values, as plain ints. Arrays are read-only: share, do not mutate.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    classes: tuple[int, ...]

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


def load_dataset(name: str) -> Dataset:
    """Load the built-in dataset called ``name`` (one of ``DATASET_NAMES``).

    Raises ``InvalidInputError`` naming the known datasets when ``name`` is not one of them.
    Feature names are scikit-learn's own (``digits`` names its pixels ``pixel_<row>_<col>``).
    """
    loader = _LOADERS.get(name)
    if loader is None:
        known = ", ".join(DATASET_NAMES)
        raise InvalidInputError(
            f"unknown dataset {name!r}; known datasets: {known}",
            details={"dataset": name, "known_datasets": list(DATASET_NAMES)},
        )
    bunch = loader()
    X = np.ascontiguousarray(bunch.data, dtype=np.float64)
    y = np.ascontiguousarray(bunch.target, dtype=np.int64)
    X.setflags(write=False)
    y.setflags(write=False)
    return Dataset(
        name=name,
        X=X,
        y=y,
        feature_names=tuple(str(feature) for feature in bunch.feature_names),
        classes=tuple(int(label) for label in np.unique(y)),
    )

"""Tests for the built-in datasets."""

import numpy as np
import pytest

from modelbeacon.errors import InvalidInputError
from modelbeacon.registry.datasets import DATASET_NAMES, load_dataset

EXPECTED = {
    # name: (n_samples, n_features, classes, first feature name)
    "iris": (150, 4, (0, 1, 2), "sepal length (cm)"),
    "wine": (178, 13, (0, 1, 2), "alcohol"),
    "breast_cancer": (569, 30, (0, 1), "mean radius"),
    "digits": (1797, 64, tuple(range(10)), "pixel_0_0"),
}


def test_dataset_names_are_the_four_builtin_sets() -> None:
    assert DATASET_NAMES == ("iris", "wine", "breast_cancer", "digits")


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_load_dataset_shapes_names_and_classes(name: str) -> None:
    n_samples, n_features, classes, first_feature = EXPECTED[name]

    data = load_dataset(name)

    assert data.name == name
    assert data.X.shape == (n_samples, n_features)
    assert data.X.dtype == np.float64
    assert data.y.shape == (n_samples,)
    assert data.classes == classes
    assert all(type(label) is int for label in data.classes)
    assert set(np.unique(data.y).tolist()) == set(classes)
    assert len(data.feature_names) == n_features
    assert len(set(data.feature_names)) == n_features
    assert data.feature_names[0] == first_feature
    assert all(type(feature) is str for feature in data.feature_names)


def test_load_dataset_digits_names_pixels_by_row_and_column() -> None:
    names = load_dataset("digits").feature_names

    assert names[:2] == ("pixel_0_0", "pixel_0_1")
    assert names[-1] == "pixel_7_7"


def test_load_dataset_arrays_are_read_only() -> None:
    data = load_dataset("iris")

    with pytest.raises(ValueError):
        data.X[0, 0] = 1.0


def test_load_dataset_unknown_name_lists_known_datasets() -> None:
    with pytest.raises(InvalidInputError) as info:
        load_dataset("mnist")

    for name in DATASET_NAMES:
        assert name in info.value.message
    assert info.value.details["known_datasets"] == list(DATASET_NAMES)
    assert info.value.details["dataset"] == "mnist"

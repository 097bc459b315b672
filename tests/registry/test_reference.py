"""``drift_reference`` and ``tabular_reference`` against brute-force deciles and bin counts."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelbeacon.inputs import FeatureSpec
from modelbeacon.metrics.psi import CategoricalReference, NumericReference
from modelbeacon.registry.frames import frame_of
from modelbeacon.registry.reference import drift_reference, tabular_reference

# Ties (values repeated, values on an edge) are where the binning rule matters, so columns mix
# a few repeated values into arbitrary ones.
VALUES = st.floats(-1e6, 1e6, allow_nan=False) | st.sampled_from([-1.0, 0.0, 0.5, 3.0])
COLUMNS = st.lists(VALUES, min_size=1, max_size=200)


def brute_force_deciles(column: list[float]) -> list[float]:
    """Hyndman & Fan's type 7 (numpy's default): interpolate at (n - 1) * q of the sorted data."""
    ordered = sorted(column)
    deciles = []
    for q in range(1, 10):
        h = (len(ordered) - 1) * q / 10
        lo = math.floor(h)
        hi = min(lo + 1, len(ordered) - 1)
        deciles.append(ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo]))
    return deciles


@given(COLUMNS)
def test_reference_bins_are_the_brute_force_deciles_and_counts(column: list[float]) -> None:
    reference = drift_reference(np.array(column).reshape(-1, 1), ["x"])

    (feature,) = reference.features
    assert isinstance(feature, NumericReference) and feature.name == "x"
    edges = feature.edges
    assert all(a < b for a, b in pairwise(edges))
    # The edges are the deciles, as a set: each edge is a decile and each decile an edge (up
    # to rounding, which may split or merge deciles a few ulps apart).
    tolerance = 1e-9 * (1.0 + max(abs(v) for v in column))
    deciles = brute_force_deciles(column)
    assert all(min(abs(e - d) for d in deciles) <= tolerance for e in edges)
    assert all(min(abs(e - d) for e in edges) <= tolerance for d in deciles)
    counts = [0] * (len(edges) + 1)
    for value in column:
        counts[feature.bin_of(value)] += 1
    assert feature.proportions == tuple(c / len(column) for c in counts)
    assert math.fsum(feature.proportions) == pytest.approx(1.0, abs=1e-12)


def test_a_constant_column_has_one_edge_and_everything_right_of_it() -> None:
    X = np.column_stack([np.full(50, 2.5), np.arange(50.0)])

    constant, ramp = drift_reference(X, ["c", "r"]).features

    assert constant.as_dict() == {
        "name": "c",
        "kind": "numeric",
        "edges": [2.5],
        "proportions": [0.0, 1.0],
    }
    # 50 distinct values: nine edges, none at a data point, five values per bin
    assert isinstance(ramp, NumericReference) and len(ramp.edges) == 9
    assert ramp.proportions == (0.1,) * 10


def test_reference_keeps_the_feature_order_and_names() -> None:
    X = np.random.default_rng(0).normal(size=(100, 3)) * [1.0, 10.0, 100.0]

    reference = drift_reference(X, ["a", "b", "c"])

    assert [f.name for f in reference.features] == ["a", "b", "c"]
    widths = [f.edges[-1] - f.edges[0] for f in reference.features]  # type: ignore[union-attr]
    assert widths == sorted(widths)


@pytest.mark.parametrize(
    ("X", "names"),
    [
        (np.zeros((0, 2)), ["a", "b"]),
        (np.zeros((5, 2)), ["a"]),
        (np.zeros(5), ["a"]),
        (np.array([[1.0], [math.nan]]), ["a"]),
        (np.array([[1.0], [math.inf]]), ["a"]),
    ],
)
def test_reference_refuses_what_it_cannot_bin(X: np.ndarray, names: list[str]) -> None:
    with pytest.raises(ValueError, match="drift reference needs"):
        drift_reference(X, names)


MIXED = (
    FeatureSpec("x"),
    FeatureSpec("colour", "categorical", ("blue", "red", "white")),
    FeatureSpec("gone"),
)


@given(
    st.lists(
        st.tuples(
            VALUES | st.none(),
            st.sampled_from(["red", "blue", "white", "green"]) | st.none(),
            st.none(),
        ),
        min_size=1,
        max_size=200,
    )
)
def test_tabular_reference_bins_present_values_and_counts_missing_ones(
    rows: list[tuple[float | None, str | None, None]],
) -> None:
    reference = tabular_reference(frame_of(rows, MIXED), MIXED)

    x, colour, gone = reference.features
    present = [r[0] for r in rows if r[0] is not None]
    assert isinstance(x, NumericReference) and x.missing
    if present:
        # the present values bin as drift_reference bins them, as a share of every row
        alone = drift_reference(np.array(present).reshape(-1, 1), ["x"]).features[0]
        assert isinstance(alone, NumericReference) and x.edges == alone.edges
        shares = [p * len(present) / len(rows) for p in alone.proportions]
        assert x.proportions[:-1] == pytest.approx(shares)
    else:
        assert (x.edges, x.proportions[0]) == ((), 0.0)
    assert x.proportions[-1] == (len(rows) - len(present)) / len(rows)
    counts = [0] * len(x.proportions)
    for row in rows:
        counts[x.bin_of(row[0])] += 1
    assert x.proportions == pytest.approx([c / len(rows) for c in counts])
    # categories as the spec gives them; "green" (unseen) and missing share the last bin
    assert isinstance(colour, CategoricalReference)
    assert colour.categories == ("blue", "red", "white")
    want = [sum(r[1] == c for r in rows) / len(rows) for c in colour.categories]
    other = sum(r[1] not in colour.categories for r in rows) / len(rows)
    assert colour.proportions == pytest.approx([*want, other])
    # a column missing in every training row: no edges, everything in the missing bin
    assert gone.as_dict() == {
        "name": "gone", "kind": "numeric", "edges": [], "proportions": [0.0, 1.0],
        "missing": True,
    }  # fmt: skip


def test_tabular_reference_takes_categories_from_the_column_where_the_spec_has_none() -> None:
    features = (FeatureSpec("c", "categorical"),)
    frame = frame_of([["b"], ["a"], [None], ["b"]], features)

    (feature,) = tabular_reference(frame, features).features

    assert feature.as_dict() == {
        "name": "c", "kind": "categorical", "categories": ["a", "b"],
        "proportions": [0.25, 0.5, 0.25],
    }  # fmt: skip


def test_tabular_reference_refuses_what_it_cannot_bin() -> None:
    features = (FeatureSpec("x"),)
    with pytest.raises(ValueError, match="at least one row"):
        tabular_reference(frame_of(np.empty((0, 1)), features), features)
    with pytest.raises(ValueError, match="no column 'y'"):
        tabular_reference(frame_of([[1.0]], features), (FeatureSpec("y"),))
    with pytest.raises(ValueError, match="finite"):
        tabular_reference(frame_of([[math.inf]], features), features)

"""Per-feature PSI drift: the incremental window against the definition recomputed from raw
inputs and the reference."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelbeacon.metrics.psi import (
    CategoricalReference,
    DriftReference,
    DriftWindow,
    NumericReference,
    drift_level,
    psi,
)

REFERENCE = DriftReference(
    (
        NumericReference("x", (-1.0, 0.0, 1.0), (0.1, 0.4, 0.4, 0.1)),
        CategoricalReference("colour", ("red", "blue"), (0.5, 0.3, 0.2)),
        NumericReference("flat", (3.0,), (0.0, 1.0)),
        NumericReference("gaps", (0.0, 1.0), (0.2, 0.3, 0.3, 0.2), missing=True),
        NumericReference("unseen", (), (0.0, 1.0), missing=True),  # missing all through training
    )
)


def brute_psi(values: list[Any], feature: Any) -> float:
    """DESIGN.md section 3 literally: bins, proportions floored at 1e-4, the PSI sum."""
    bins = len(feature.proportions)
    counts = [0] * bins
    for value in values:
        if feature.kind == "numeric" and value is None:
            counts[-1] += 1
        elif feature.kind == "numeric":
            counts[len([edge for edge in feature.edges if value >= edge])] += 1
        elif value in feature.categories:
            counts[list(feature.categories).index(value)] += 1
        else:
            counts[-1] += 1
    total = 0.0
    for count, ref in zip(counts, feature.proportions, strict=True):
        cur, ref = max(count / len(values), 1e-4), max(ref, 1e-4)
        total += (cur - ref) * math.log(cur / ref)
    return total


numbers = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 7.0]) | st.floats(-1e308, 1e308)
vectors = st.tuples(
    numbers,
    st.sampled_from(["red", "blue", "green", None, 3.0]),
    # flat has no missing bin: a vector missing it is not counted
    st.sampled_from([3.0, 2.0, 4.0, None]),
    numbers | st.none(),
    numbers | st.none(),
)


def comparable(row: Any) -> bool:
    """Whether the window counts ``row``: no missing value where the reference has no bin."""
    return all(
        row[j] is not None or feature.kind == "categorical" or feature.missing
        for j, feature in enumerate(REFERENCE.features)
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(vectors, max_size=400), st.sampled_from([2, 3, 101, 200, 1000]))
def test_drift_window_equals_psi_of_the_last_vectors(rows: list[Any], size: int) -> None:
    window = DriftWindow(REFERENCE, size)
    for row in rows:
        window.add(row)
    kept = [row for row in rows if comparable(row)][-size:]
    assert len(window) == len(kept)
    summary = window.summary()
    if len(kept) < 100:
        assert summary is None
    else:
        assert summary is not None
        for j, feature in enumerate(summary.features):
            assert feature.psi == pytest.approx(
                brute_psi([r[j] for r in kept], REFERENCE.features[j])
            )
            assert feature.level == drift_level(feature.psi)
            assert feature.name == REFERENCE.features[j].name
        assert summary.score == max(f.psi for f in summary.features)
    halves = window.halves()
    newer = kept[-(size // 2) :]
    older = kept[: len(kept) - len(newer)]
    if len(newer) < 50 or len(older) < 50:
        assert halves is None
    else:
        assert halves is not None
        want = [max(brute_psi([r[j] for r in part], f) for j, f in enumerate(REFERENCE.features))
                for part in (older, newer)]  # fmt: skip
        assert halves == pytest.approx(want)


def test_value_on_an_edge_goes_to_the_bin_on_its_right() -> None:
    feature = REFERENCE.features[0]
    assert [feature.bin_of(v) for v in (-1.5, -1.0, -0.5, 0.0, 1.0, 9.0)] == [0, 1, 1, 2, 3, 3]


def test_unseen_and_missing_categories_go_to_other() -> None:
    feature = REFERENCE.features[1]
    assert [feature.bin_of(v) for v in ("red", "blue", "green", None)] == [0, 1, 2, 2]


def test_missing_numeric_values_go_to_the_missing_bin_where_there_is_one() -> None:
    gaps, unseen = REFERENCE.features[3], REFERENCE.features[4]
    assert [gaps.bin_of(v) for v in (-1.0, 0.0, 0.5, 1.0, None, math.nan)] == [0, 1, 1, 2, 3, 3]
    assert [unseen.bin_of(v) for v in (-1e9, 0.0, None)] == [0, 0, 1]
    with pytest.raises(ValueError, match="no bin for a missing value"):
        REFERENCE.features[0].bin_of(None)


def test_a_vector_missing_a_feature_without_a_missing_bin_is_not_counted() -> None:
    window = DriftWindow(REFERENCE, 10)
    window.add((None, "red", 3.0, 0.0, 0.0))
    window.add((0.0, None, None, 0.0, 0.0))
    window.add((0.0, None, 3.0, None, None))
    assert len(window) == 1


def test_psi_example_and_levels() -> None:
    # a shift of a tenth of the mass between two halves
    assert psi([0.6, 0.4], [0.5, 0.5]) == pytest.approx(0.1 * math.log(1.2) + 0.1 * math.log(1.25))
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert psi([1.0, 0.0], [0.0, 1.0]) == pytest.approx(2 * 0.9999 * math.log(1e4))  # floored
    assert [drift_level(v) for v in (0.0, 0.0999, 0.1, 0.1999, 0.2, 9.0)] == [
        "none", "none", "moderate", "moderate", "significant", "significant",
    ]  # fmt: skip


def test_reference_round_trips_and_rejects_what_is_not_bins() -> None:
    assert DriftReference.from_dict(REFERENCE.as_dict()) == REFERENCE
    assert REFERENCE.as_dict()["features"][1] == {
        "name": "colour", "kind": "categorical", "categories": ["red", "blue"],
        "proportions": [0.5, 0.3, 0.2],
    }  # fmt: skip
    # the missing bin is named only where there is one, so stored references stay valid
    assert REFERENCE.as_dict()["features"][3] == {
        "name": "gaps", "kind": "numeric", "edges": [0.0, 1.0],
        "proportions": [0.2, 0.3, 0.3, 0.2], "missing": True,
    }  # fmt: skip
    assert "missing" not in REFERENCE.as_dict()["features"][0]
    with pytest.raises(ValueError, match="4 bins"):
        NumericReference("x", (0.0, 1.0), (0.3, 0.4, 0.3), missing=True)
    vague = {"name": "x", "kind": "numeric", "edges": [], "proportions": [1], "missing": "yes"}
    with pytest.raises(ValueError, match="true or false"):
        DriftReference.from_dict({"features": [vague]})
    with pytest.raises(ValueError, match="ascending"):
        NumericReference("x", (1.0, 1.0), (0.3, 0.3, 0.4))
    with pytest.raises(ValueError, match="sum to 1"):
        NumericReference("x", (1.0,), (0.3, 0.3))
    with pytest.raises(ValueError, match="2 bins"):
        NumericReference("x", (1.0,), (1.0,))
    with pytest.raises(ValueError, match="unique"):
        CategoricalReference("c", ("a", "a"), (0.5, 0.5, 0.0))
    with pytest.raises(ValueError, match="kind"):
        DriftReference.from_dict({"features": [{"name": "x", "kind": "text", "proportions": [1]}]})
    with pytest.raises(ValueError):
        DriftReference(())


def test_vectors_of_another_width_are_ignored() -> None:
    window = DriftWindow(REFERENCE, 10)
    window.add((0.0, "red"))
    assert len(window) == 0

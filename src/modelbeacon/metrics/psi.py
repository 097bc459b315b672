"""Feature drift by the population stability index of each feature against the training split.

Definitions (DESIGN.md section 3): over the last 1000 predictions (none below 100), for each
feature, PSI = sum over bins of ``(p_cur - p_ref) * ln(p_cur / p_ref)``, each proportion floored
at 1e-4. Numeric bins have edges at the training split's deciles (unique; outer bins open; a
value equal to an edge goes to the bin on its right); categorical bins are the training
categories plus one "other" for everything else, missing values included. A numeric feature
whose model imputes missing values (an uploaded dataset's pipeline) has one more bin, last, for
them. Level: ``none`` below 0.1, ``moderate`` below 0.2, else ``significant`` (Siddiqi, *Credit
Risk Scorecards*, 2006, the usual PSI reading).

``DriftWindow`` keeps bin counts incrementally: a prediction only appends its feature vector;
when the numbers are asked for (at most once per metrics tick), the vectors that arrived since are
binned once each (O(features)) and counted, the ones that left are uncounted, and the PSI of every
feature costs O(bins), never a pass over the window.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from modelbeacon.inputs import is_missing

DriftLevel = Literal["none", "moderate", "significant"]

#: Fewer predictions than this in the window give no drift (``null``).
MIN_DRIFT_PREDICTIONS = 100
#: How many recent predictions drift is measured over.
DRIFT_WINDOW = 1000
PROPORTION_FLOOR = 1e-4
MODERATE_PSI = 0.1
SIGNIFICANT_PSI = 0.2


def psi(current: Sequence[float], reference: Sequence[float]) -> float:
    """PSI of ``current`` bin proportions against ``reference`` (same length), floored."""
    total = 0.0
    for p_cur, p_ref in zip(current, reference, strict=True):
        p_cur = max(p_cur, PROPORTION_FLOOR)
        p_ref = max(p_ref, PROPORTION_FLOOR)
        total += (p_cur - p_ref) * math.log(p_cur / p_ref)
    return total


def drift_level(value: float) -> DriftLevel:
    """``none`` < 0.1 <= ``moderate`` < 0.2 <= ``significant``."""
    if value < MODERATE_PSI:
        return "none"
    if value < SIGNIFICANT_PSI:
        return "moderate"
    return "significant"


def _check_proportions(name: str, proportions: Sequence[float], bins: int) -> None:
    if len(proportions) != bins:
        raise ValueError(f"feature {name!r}: {bins} bins need {bins} proportions")
    if not all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in proportions):
        raise ValueError(f"feature {name!r}: proportions must be numbers in [0, 1]")
    if abs(math.fsum(proportions) - 1.0) > 1e-6:
        raise ValueError(f"feature {name!r}: proportions must sum to 1")


@dataclass(frozen=True, slots=True)
class NumericReference:
    """A numeric feature's decile ``edges`` (ascending, unique) and its ``len(edges) + 1`` bin
    proportions on the training split.

    With ``missing``, one more proportion follows: the share of missing values, whose bin is
    the last. Without it the feature has no bin for a missing value: ``bin_of(None)`` raises
    ``ValueError`` and ``DriftWindow`` ignores a vector missing that feature.
    """

    name: str
    edges: tuple[float, ...]
    proportions: tuple[float, ...]
    kind: Literal["numeric"] = "numeric"
    missing: bool = False

    def __post_init__(self) -> None:
        if not all(math.isfinite(edge) for edge in self.edges):
            raise ValueError(f"feature {self.name!r}: edges must be finite")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"feature {self.name!r}: edges must be strictly ascending")
        _check_proportions(self.name, self.proportions, len(self.edges) + 1 + self.missing)

    def bin_of(self, value: Any) -> int:
        """The bin of ``value``: one right of every edge it is at or above; the missing bin
        for ``None`` or NaN."""
        if is_missing(value):
            if not self.missing:
                raise ValueError(f"feature {self.name!r} has no bin for a missing value")
            return len(self.edges) + 1
        return bisect_right(self.edges, value)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "edges": list(self.edges),
            "proportions": list(self.proportions),
        }
        if self.missing:
            out["missing"] = True
        return out


@dataclass(frozen=True, slots=True)
class CategoricalReference:
    """A categorical feature's ``categories`` and the ``len(categories) + 1`` proportions of
    them and of "other" (any value not listed, missing included) on the training split."""

    name: str
    categories: tuple[Any, ...]
    proportions: tuple[float, ...]
    kind: Literal["categorical"] = "categorical"
    _index: dict[Any, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"feature {self.name!r}: categories must be unique")
        _check_proportions(self.name, self.proportions, len(self.categories) + 1)
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.categories)})

    def bin_of(self, value: Any) -> int:
        """The category's bin, or the last ("other") bin."""
        return self._index.get(value, len(self.categories))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "categories": list(self.categories),
            "proportions": list(self.proportions),
        }


FeatureReference = NumericReference | CategoricalReference


@dataclass(frozen=True, slots=True)
class DriftReference:
    """The training split's bins of every feature, in feature order
    (GET /api/models/{id}/reference)."""

    features: tuple[FeatureReference, ...]

    def __post_init__(self) -> None:
        if not self.features:
            raise ValueError("a drift reference needs at least one feature")

    @property
    def n_features(self) -> int:
        return len(self.features)

    def as_dict(self) -> dict[str, Any]:
        return {"features": [feature.as_dict() for feature in self.features]}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> DriftReference:
        """Inverse of ``as_dict``; ``ValueError``/``KeyError``/``TypeError`` if malformed."""
        features: list[FeatureReference] = []
        for item in stored["features"]:
            proportions = tuple(float(p) for p in item["proportions"])
            if item["kind"] == "numeric":
                edges = tuple(float(e) for e in item["edges"])
                missing = item.get("missing", False)
                if not isinstance(missing, bool):
                    raise ValueError(f"missing must be true or false, got {missing!r}")
                features.append(
                    NumericReference(str(item["name"]), edges, proportions, missing=missing)
                )
            elif item["kind"] == "categorical":
                categories = tuple(item["categories"])
                features.append(CategoricalReference(str(item["name"]), categories, proportions))
            else:
                raise ValueError(f"unknown feature kind {item['kind']!r}")
        return cls(tuple(features))


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    name: str
    kind: str
    psi: float
    level: DriftLevel

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "psi": self.psi, "level": self.level}


@dataclass(frozen=True, slots=True)
class DriftSummary:
    """``drift: {score, features: [{name, kind, psi, level}]}``; score = the largest PSI."""

    score: float
    features: tuple[FeatureDrift, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "features": [f.as_dict() for f in self.features]}


class DriftWindow:
    """Bin counts of the last ``size`` predictions' features, and of the newest half of them.

    ``add`` queues one feature vector (O(1)); ``summary`` and ``halves`` first bin what was
    queued (a C-level bisect over ~10 edges per numeric feature) and move the counts of what
    left the window or its newest half, then turn the counts into PSI per feature. At most
    ``size`` vectors wait: older ones would leave the window before being counted.

    A vector holds what the predict path hands on: a finite number or ``None`` (missing) for a
    numeric feature, any value for a categorical one. Vectors that cannot be compared feature
    by feature are ignored, as if never added: those of another width than the reference, and
    those missing a numeric feature whose reference has no missing bin (a model without an
    imputer, whose predict path refuses such an input anyway).
    """

    __slots__ = ("_binners", "_counts", "_newer", "_newer_counts", "_offsets", "_older",
                 "_queued", "_reference", "_without_missing_bin", "half", "size")  # fmt: skip

    def __init__(self, reference: DriftReference, size: int = DRIFT_WINDOW) -> None:
        if size < 2:
            raise ValueError("drift window size must be >= 2")
        self._reference = reference
        self.size = size
        self.half = size // 2
        # Bins of all features live in one flat list: feature j's bin b is offsets[j] + b.
        widths = [len(f.proportions) for f in reference.features]
        self._offsets = tuple(sum(widths[:j]) for j in range(len(widths)))
        self._binners: tuple[Callable[[Any], int], ...] = tuple(
            _binner(feature) for feature in reference.features
        )
        self._without_missing_bin = tuple(
            j
            for j, feature in enumerate(reference.features)
            if isinstance(feature, NumericReference) and not feature.missing
        )
        self._counts = [0] * sum(widths)
        self._newer_counts = [0] * sum(widths)
        self._newer: deque[tuple[int, ...]] = deque()
        self._older: deque[tuple[int, ...]] = deque()
        self._queued: deque[Sequence[Any]] = deque(maxlen=size)

    def __len__(self) -> int:
        """How many vectors the window holds (counted or queued)."""
        return min(self.size, len(self._newer) + len(self._older) + len(self._queued))

    @property
    def reference(self) -> DriftReference:
        return self._reference

    def accepts(self, features: Sequence[Any]) -> bool:
        """Whether ``features`` can be compared with the reference (else ``add`` ignores it)."""
        if len(features) != len(self._binners):
            return False
        # The C-level membership test keeps vectors without a missing value on the fast path.
        return not (
            None in features and any(features[j] is None for j in self._without_missing_bin)
        )

    def add(self, features: Sequence[Any]) -> None:
        if self.accepts(features):
            self._queued.append(features)

    def _count_queued(self) -> None:
        queued = self._queued
        if not queued:
            return
        binners, offsets = self._binners, self._offsets
        counts, newer_counts, newer, older = (
            self._counts, self._newer_counts, self._newer, self._older
        )  # fmt: skip
        half, older_size = self.half, self.size - self.half
        for features in queued:
            bins = tuple([o + b(v) for b, o, v in zip(binners, offsets, features, strict=True)])
            for i in bins:
                counts[i] += 1
                newer_counts[i] += 1
            newer.append(bins)
            if len(newer) > half:
                moved = newer.popleft()
                for i in moved:
                    newer_counts[i] -= 1
                older.append(moved)
                if len(older) > older_size:
                    for i in older.popleft():
                        counts[i] -= 1
        queued.clear()

    def summary(self) -> DriftSummary | None:
        """PSI of every feature over the window; ``None`` below ``MIN_DRIFT_PREDICTIONS``."""
        self._count_queued()
        n = len(self)
        if n < MIN_DRIFT_PREDICTIONS:
            return None
        return self._summary(self._counts, n)

    def halves(self) -> tuple[float, float] | None:
        """The drift score of the older and of the newer half; ``None`` unless both halves
        hold ``MIN_DRIFT_PREDICTIONS // 2``."""
        self._count_queued()
        n_newer, n_older = len(self._newer), len(self._older)
        least = MIN_DRIFT_PREDICTIONS // 2
        if n_newer < least or n_older < least:
            return None
        older = [c - nc for c, nc in zip(self._counts, self._newer_counts, strict=True)]
        return (
            self._summary(older, n_older).score,
            self._summary(self._newer_counts, n_newer).score,
        )

    def _summary(self, counts: list[int], n: int) -> DriftSummary:
        drifts = []
        for feature, offset in zip(self._reference.features, self._offsets, strict=True):
            bins = counts[offset : offset + len(feature.proportions)]
            value = psi([c / n for c in bins], feature.proportions)
            drifts.append(FeatureDrift(feature.name, feature.kind, value, drift_level(value)))
        return DriftSummary(max(d.psi for d in drifts), tuple(drifts))


def _binner(feature: FeatureReference) -> Callable[[Any], int]:
    if isinstance(feature, NumericReference) and not feature.missing:
        return partial(bisect_right, feature.edges)
    return feature.bin_of

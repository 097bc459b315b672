"""What a model takes as input: its features, each numeric or categorical (DESIGN.md section 8).

Every model describes its inputs as ``features: [{name, kind, categories?}]``. A feature value
is a ``float`` for a numeric feature, a ``str`` (or, for a model whose categories are integers,
an ``int``) for a categorical one, and ``None`` for a missing value. Built-in datasets have
numeric features only; uploaded CSVs and imported models may have both kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

FeatureKind = Literal["numeric", "categorical"]
FEATURE_KINDS: tuple[FeatureKind, ...] = ("numeric", "categorical")

#: One feature value as the predict path hands it on: number, category or missing.
FeatureValue = float | str | int | None


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One input feature. ``categories`` are a categorical feature's known values (those seen
    in training, in the encoder's order), ``None`` where they are not known (an imported model
    that does not carry them) and always ``None`` for a numeric feature."""

    name: str
    kind: FeatureKind = "numeric"
    categories: tuple[str | int, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in FEATURE_KINDS:
            raise ValueError(f"feature {self.name!r}: kind must be numeric or categorical")
        if self.kind == "numeric" and self.categories is not None:
            raise ValueError(f"feature {self.name!r}: a numeric feature has no categories")

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "categorical":
            out["categories"] = None if self.categories is None else list(self.categories)
        return out

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> FeatureSpec:
        """Inverse of ``as_dict``; ``ValueError``/``KeyError``/``TypeError`` if malformed."""
        categories = stored.get("categories")
        return cls(
            name=str(stored["name"]),
            kind=stored.get("kind", "numeric"),
            categories=None if categories is None else tuple(categories),
        )


def is_missing(value: Any) -> bool:
    """Whether a feature value is missing: ``None``, or a float NaN (as pandas and numpy
    write a missing value)."""
    return value is None or (isinstance(value, float) and value != value)


def numeric_features(names: Iterable[str]) -> tuple[FeatureSpec, ...]:
    """All-numeric inputs named ``names`` (the built-in datasets, numpy-fitted models)."""
    return tuple(FeatureSpec(str(name)) for name in names)


def all_numeric(features: Sequence[FeatureSpec]) -> bool:
    return all(feature.kind == "numeric" for feature in features)

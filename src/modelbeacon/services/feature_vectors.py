"""A request's features checked against the model's inputs, and the matrix the model takes.

Each model says what it takes (``ModelRecord.features``, ``accepts_missing``): a numeric
feature takes a finite number, a categorical one a string (or an integer, where the model's
own categories are integers), and either takes ``null`` only when the model has an imputer.
An unknown category is not an error: the model's encoder ignores it and drift counts it as
"other". Everything here is per request, on the event loop: O(features) per row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from modelbeacon.errors import InvalidInputError
from modelbeacon.inputs import FeatureSpec, all_numeric
from modelbeacon.storage.records import ModelRecord

Features = Sequence[Any] | Mapping[str, Any]
Vector = tuple[Any, ...]
_NUMBERS = (float, int)  # exact types: a bool is not a number here


def feature_vector(model: ModelRecord, features: Features, index: int | None) -> Vector:
    """The model's input row for one request's ``features`` (a list in feature order, or an
    object keyed by name), each value checked against its feature. Raises
    ``InvalidInputError`` naming the instance (``index``, in a batch) and the feature."""
    where: dict[str, Any] = {"instance": index} if index is not None else {}
    names = model.feature_names
    if isinstance(features, Mapping):
        missing = [n for n in names if n not in features]
        unknown = [n for n in features if n not in names]
        if missing or unknown:
            raise InvalidInputError(
                f"features must name exactly the model's {len(names)} features",
                details={**where, "missing": missing, "unknown": unknown},
            )
        values: Sequence[Any] = [features[n] for n in names]
    else:
        if not all_numeric(model.features):
            raise InvalidInputError(
                "this model has categorical features: send features as an object keyed by "
                "feature name",
                details={**where, "features": [f.as_dict() for f in model.features]},
            )
        if len(features) != len(names):
            raise InvalidInputError(
                f"expected {len(names)} features, got {len(features)}",
                details={**where, "expected": len(names), "got": len(features)},
            )
        values = features
    if model.accepts_missing or not all(type(v) in _NUMBERS for v in values):
        return tuple(
            _checked(spec, value, model.accepts_missing, where)
            for spec, value in zip(model.features, values, strict=True)
        )
    # the common case, all numbers for a model without an imputer, kept as cheap as it was
    vector = tuple(float(v) for v in values)
    if not all(math.isfinite(v) for v in vector):
        raise InvalidInputError("features must be finite numbers", details=where)
    return vector


def feature_matrix(vectors: Sequence[Vector]) -> np.ndarray:
    """The 2-D array the model's predictor takes: float64 when every value is a number, else
    an object array (categories and ``None`` as they are)."""
    try:
        return np.asarray(vectors, dtype=np.float64)
    except (TypeError, ValueError):
        matrix = np.empty((len(vectors), len(vectors[0])), dtype=object)
        matrix[:] = [list(vector) for vector in vectors]
        return matrix


def _checked(spec: FeatureSpec, value: Any, accepts_missing: bool, where: dict[str, Any]) -> Any:
    details = {**where, "feature": spec.name, "kind": spec.kind}
    if value is None:
        if accepts_missing:
            return None
        raise InvalidInputError(
            f"feature {spec.name!r} is null, and this model has no imputer to fill a missing "
            "value: send a value",
            details=details,
        )
    if isinstance(value, bool):
        raise InvalidInputError(
            f"feature {spec.name!r} is {spec.kind}: got true/false", details=details
        )
    if spec.kind == "numeric":
        if isinstance(value, int | float):
            number = float(value)
            if math.isfinite(number):
                return number
            raise InvalidInputError(f"feature {spec.name!r} must be finite", details=details)
        raise InvalidInputError(
            f"feature {spec.name!r} is numeric: got the string {value!r}, send a number",
            details=details,
        )
    if isinstance(value, str):
        return value
    # JSON has one kind of number: 3 arrives as 3.0 here, and names category 3
    integer_categories = any(isinstance(c, int) for c in spec.categories or ())
    if isinstance(value, int | float) and integer_categories and float(value).is_integer():
        return int(value)
    raise InvalidInputError(
        f"feature {spec.name!r} is categorical: send one of its categories as a string, "
        f"got {value!r}",
        details={**details, "categories": list(spec.categories or ())},
    )

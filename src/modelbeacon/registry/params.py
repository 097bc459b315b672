"""Checking a client's hyperparameters before anything is trained with them.

The checks run in the order a person would fix things: a name the algorithm does not accept,
a value that is not plain JSON, a value too large for this machine, a value modelbeacon's fit
strategy cannot use, and finally scikit-learn's own parameter validation of the configured
estimator. Every failure is an ``InvalidInputError`` whose message says what to change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sklearn.utils._param_validation import (  # type: ignore[import-untyped]
    InvalidParameterError,
)

from modelbeacon.errors import InvalidInputError
from modelbeacon.registry.algorithms import Algorithm

# Upper bounds that keep one training job to minutes on a 2-core machine.
PARAM_LIMITS: Mapping[str, int] = MappingProxyType({"n_estimators": 1000, "max_iter": 10000})
MAX_HIDDEN_LAYERS = 4
MAX_LAYER_SIZE = 1024
MAX_STRING_LENGTH = 100

_SKLEARN_PARAM = re.compile(r"The '(\w+)' parameter of")
_Scalar = (str, int, float, type(None))  # bool is an int


def build_checked_estimator(
    algorithm: Algorithm, params: Mapping[str, Any], random_state: int
) -> Any:
    """Check ``params`` for ``algorithm`` and return the configured, unfitted estimator.

    Raises ``InvalidInputError`` (with ``details``) for an unknown or forbidden name, a value
    that is not a JSON scalar or flat list of scalars, a boolean where a number goes, a value
    over ``PARAM_LIMITS`` or the hidden-layer limits, a value outside ``allowed_values``, or a
    value scikit-learn's own validation rejects.
    """
    accepted = algorithm.accepted_params()
    defaults = algorithm.factory().get_params(deep=False)
    for name, value in params.items():
        _check_name(algorithm, name, accepted)
        _check_json_value(algorithm.name, name, value)
        _check_boolean(algorithm.name, name, value, defaults.get(name))
        _check_limits(algorithm, name, value)
    estimator = algorithm.build(params, random_state)
    try:
        estimator._validate_params()
    except (InvalidParameterError, ValueError, TypeError) as exc:
        named = _SKLEARN_PARAM.search(str(exc))
        raise _invalid(algorithm.name, str(exc), param=named.group(1) if named else None) from exc
    return estimator


def _invalid(algorithm: str, reason: str, *, param: str | None, **extra: Any) -> InvalidInputError:
    details: dict[str, Any] = {"algorithm": algorithm, "reason": reason, **extra}
    if param is not None:
        details["param"] = param
    return InvalidInputError(f"invalid params for {algorithm}: {reason}", details=details)


def _check_name(algorithm: Algorithm, name: object, accepted: tuple[str, ...]) -> None:
    if not isinstance(name, str):
        raise _invalid(algorithm.name, f"parameter names are strings, got {name!r}", param=None)
    reason = algorithm.forbidden.get(name)
    if reason is not None:
        raise _invalid(algorithm.name, f"{name!r} cannot be set: {reason}", param=name)
    if name not in accepted:
        raise _invalid(
            algorithm.name,
            f"unknown parameter {name!r}; accepted parameters: {', '.join(accepted)}",
            param=name,
            accepted_params=list(accepted),
        )


def _is_json_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return len(value) <= MAX_STRING_LENGTH
    return isinstance(value, _Scalar)


def _check_json_value(algorithm: str, name: str, value: object) -> None:
    if _is_json_scalar(value):
        return
    if isinstance(value, list) and all(_is_json_scalar(item) for item in value):
        return
    raise _invalid(
        algorithm,
        f"{name!r} must be a JSON number, string, boolean, null or a flat list of those "
        f"(strings up to {MAX_STRING_LENGTH} characters, numbers finite); "
        f"got {type(value).__name__}",
        param=name,
    )


def _check_limits(algorithm: Algorithm, name: str, value: object) -> None:
    limit = PARAM_LIMITS.get(name)
    if limit is not None and isinstance(value, int | float) and value > limit:
        raise _invalid(
            algorithm.name,
            f"{name!r} is at most {limit} on this server, got {value}",
            param=name,
            limit=limit,
        )
    allowed = algorithm.allowed_values.get(name)
    if allowed is not None and value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        raise _invalid(
            algorithm.name,
            f"{name!r} must be one of {choices} for {algorithm.name}, got {value!r}",
            param=name,
        )
    if name == "hidden_layer_sizes":
        # scikit-learn only checks the layer sizes inside fit; check them here instead
        sizes = value if isinstance(value, list) else [value]
        if not 1 <= len(sizes) <= MAX_HIDDEN_LAYERS or not all(
            isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= MAX_LAYER_SIZE
            for size in sizes
        ):
            raise _invalid(
                algorithm.name,
                f"'hidden_layer_sizes' is a list of 1 to {MAX_HIDDEN_LAYERS} layer sizes, each "
                f"an integer from 1 to {MAX_LAYER_SIZE}; got {value!r}",
                param=name,
            )


def _check_boolean(algorithm: str, name: str, value: object, default: object) -> None:
    """Refuse ``true``/``false`` where scikit-learn would silently read them as 1/0."""
    if isinstance(value, bool) and not isinstance(default, bool):
        raise _invalid(
            algorithm,
            f"{name!r} does not take a boolean, got {str(value).lower()}",
            param=name,
        )

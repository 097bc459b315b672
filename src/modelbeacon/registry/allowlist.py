"""The types an imported skops file may hold beyond those skops trusts by default.

skops lists the types of a file it does not trust by default from the file's schema alone
(``skops.io.get_untrusted_types``: nothing in the file runs). Each listed name is checked here;
the file is loaded only if all pass, trusting exactly those. A name passes when it resolves,
inside scikit-learn, numpy or scipy, to:

- a scikit-learn estimator (a subclass of ``sklearn.base.BaseEstimator``) or one of the few
  scikit-learn classes fitted estimators hold their state in (trees, neighbour trees, distance
  metrics, optimizers, calibrated classifiers);
- a numpy data type: ``numpy.dtype`` and its subclasses, scalar types (``numpy.generic``), the
  random generators (``RandomState``, ``Generator``, bit generators), a ufunc;
- a scipy sparse matrix or array.

Any function other than a numpy ufunc is refused (``posix.system`` from
``FunctionTransformer(func=os.system)``, ``builtins.eval``, scikit-learn's own functions), as
is every name outside the three packages, whose module is never imported: resolving a name
imports modules of scikit-learn, numpy or scipy only, which are installed and trusted, and
never one of their ``__main__`` or test modules.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse  # type: ignore[import-untyped]
from sklearn.base import BaseEstimator  # type: ignore[import-untyped]

from modelbeacon.errors import UntrustedTypeError

TRUSTED_PACKAGES = frozenset({"sklearn", "numpy", "scipy"})

# Classes (matched by name anywhere in a class's MRO) that fitted scikit-learn estimators keep
# their state in without being estimators themselves.
_SKLEARN_STATE = frozenset(
    {
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.neighbors._kd_tree.BinaryTree32",
        "sklearn.neighbors._kd_tree.BinaryTree64",
        "sklearn.neighbors._ball_tree.BinaryTree32",
        "sklearn.neighbors._ball_tree.BinaryTree64",
        "sklearn.metrics._dist_metrics.DistanceMetric",
        "sklearn.neural_network._stochastic_optimizers.BaseOptimizer",
        "sklearn.calibration._CalibratedClassifier",
    }
)
_DATA_TYPES: tuple[type, ...] = (
    np.dtype,
    np.generic,
    np.random.RandomState,
    np.random.Generator,
    np.random.BitGenerator,
    scipy.sparse.spmatrix,
    scipy.sparse.sparray,
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# modules that act when imported (numpy.f2py.__main__ runs f2py) or exist only for tests
_NEVER_IMPORTED = re.compile(r"__\w*__|conftest|tests?|testing|test_\w*")


def check_allowlisted(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` (a file's untrusted types), in order, when every one is allowlisted.

    Raises ``UntrustedTypeError`` naming every refused type (``details["types"]``).
    """
    checked = tuple(names)
    refused = [name for name in checked if not is_allowlisted(name)]
    if refused:
        listed = ", ".join(refused)
        raise UntrustedTypeError(
            f"the model file holds types that are not allowed, so it was not loaded: {listed}. "
            "Only scikit-learn estimators and numpy/scipy data types are accepted; a function "
            "or a class of your own cannot be imported (nothing from the file was run)",
            details={"types": refused},
        )
    return checked


def is_allowlisted(name: str) -> bool:
    """Whether the type skops names ``name`` (``module.qualname``) may be trusted."""
    found = _resolve(name)
    if isinstance(found, np.ufunc):
        return True
    if not isinstance(found, type) or found.__module__.split(".")[0] not in TRUSTED_PACKAGES:
        return False
    if issubclass(found, BaseEstimator):
        return found.__module__.split(".")[0] == "sklearn"
    if issubclass(found, _DATA_TYPES):
        return True
    return any(f"{c.__module__}.{c.__qualname__}" in _SKLEARN_STATE for c in found.__mro__)


def _resolve(name: str) -> Any:
    """What ``name`` denotes: its longest importable module prefix, then attributes. ``None``
    for a name outside the trusted packages (checked before anything is imported), or one
    that does not resolve."""
    parts = name.split(".")
    if (
        len(parts) < 2
        or parts[0] not in TRUSTED_PACKAGES
        or not all(_IDENTIFIER.fullmatch(part) for part in parts)
        or any(_NEVER_IMPORTED.fullmatch(part) for part in parts)
    ):
        return None
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # not a module (ImportError), or one that fails to import
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute, None)
        return found
    return None

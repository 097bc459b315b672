"""The one interface services predict through, and its scikit-learn implementation.

Services hold a ``Predictor``, never an sklearn object, so a faster runtime (an ONNX session
answers a single row in ~10 µs where scikit-learn needs ~0.5 ms) can replace
``SklearnPredictor`` without touching services or routers. Calls block for the model's compute
time: run them off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from modelbeacon.errors import InvalidInputError, UncomputableInputError

#: A refused batch names at most this many of its refused rows (finding each costs model calls).
MAX_NAMED_REFUSALS = 10

NON_FINITE_OUTPUT = (
    "its probabilities come out of the model as NaN or infinity: a feature value is beyond "
    "what the model can compute with"
)
NAN_DECISION = (
    "the model's decision for it comes out as NaN: a feature value is beyond what the model "
    "can compute with"
)


@runtime_checkable
class Predictor(Protocol):
    """A fitted classifier over a fixed number of float features.

    ``X`` is a 2-D array of shape (n_rows, ``n_features``) of finite floats in training column
    order. ``predict`` returns n_rows labels drawn from ``classes``; ``predict_proba`` returns
    an (n_rows, len(classes)) array whose columns follow ``classes``, and raises
    ``InvalidInputError`` when ``has_proba`` is false. Both raise ``InvalidInputError`` for an
    array of the wrong shape or with a non-numeric or non-finite value, and
    ``UncomputableInputError`` when the runtime refuses finite values it cannot compute with
    (they overflow inside the model, or a model without probabilities decides NaN for them:
    raised for the whole array). ``predict_proba`` may instead return non-finite
    probabilities for such rows: callers check (``refused_rows``). Implementations are safe to
    call from several threads at once.
    """

    @property
    def n_features(self) -> int: ...

    @property
    def classes(self) -> tuple[Any, ...]: ...

    @property
    def has_proba(self) -> bool: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...


class SklearnPredictor:
    """A ``Predictor`` around a fitted scikit-learn classifier (or a ``Pipeline`` ending in one).

    Raises ``ValueError`` at construction when ``estimator`` is not a fitted classifier:
    it must expose ``predict``, ``classes_`` and ``n_features_in_``.
    """

    def __init__(self, estimator: Any) -> None:
        if not callable(getattr(estimator, "predict", None)):
            raise ValueError(f"{type(estimator).__name__} has no predict method")
        try:
            n_features = int(estimator.n_features_in_)
            classes = estimator.classes_
        except AttributeError as exc:
            raise ValueError(f"{type(estimator).__name__} is not a fitted classifier") from exc
        self._estimator = estimator
        self._n_features = n_features
        # .tolist() turns numpy scalars into plain Python values, which JSON encodes as is
        self._classes: tuple[Any, ...] = tuple(np.asarray(classes).tolist())
        # Pipelines and SGD expose predict_proba only when their final step/loss supports it
        self._has_proba = hasattr(estimator, "predict_proba")
        # Without probabilities to check, a label argmax'ed from a NaN decision (SGD with the
        # hinge loss) would be served as if it meant something; its decision is checked instead
        self._decision: Callable[[np.ndarray], Any] | None = (
            None if self._has_proba else getattr(estimator, "decision_function", None)
        )

    @property
    def estimator(self) -> Any:
        """The wrapped scikit-learn object (for saving it again, never for predicting)."""
        return self._estimator

    @property
    def n_features(self) -> int:
        return self._n_features

    @property
    def classes(self) -> tuple[Any, ...]:
        return self._classes

    @property
    def has_proba(self) -> bool:
        return self._has_proba

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = self._checked(X)
        labels = self._computed(self._estimator.predict, X, None)
        # an infinite decision still has a sign, so a meaning; NaN has neither
        if self._decision is not None and np.isnan(self._computed(self._decision, X, None)).any():
            raise UncomputableInputError(NAN_DECISION)
        return labels

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if not self._has_proba:
            raise InvalidInputError(
                "this model does not produce probabilities",
                details={"model": type(self._estimator).__name__},
            )
        return self._computed(self._estimator.predict_proba, self._checked(X), np.float64)

    def _computed(
        self, method: Callable[[np.ndarray], Any], X: np.ndarray, dtype: Any
    ) -> np.ndarray:
        """``method(X)`` for an array ``_checked`` already passed, scikit-learn's refusal of
        values its own steps made non-finite translated to ``UncomputableInputError``.

        The array's shape and finiteness were checked, so a ``ValueError`` from the estimator
        is scikit-learn's input validation refusing what an earlier step or cast produced: a
        scaler dividing 1e308 by 0.4, a tree casting 1e39 to float32. numpy's overflow
        warnings for the same values are silenced: the refusal (or a non-finite probability,
        which callers check) says it once, to the caller.
        """
        with np.errstate(all="ignore"):
            try:
                return np.asarray(method(X), dtype=dtype)
            except ValueError as exc:
                raise UncomputableInputError(
                    f"a feature value is too large for the model to compute with "
                    f"(scikit-learn: {exc})"
                ) from exc

    def _checked(self, X: np.ndarray) -> np.ndarray:
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(
                "features must be numbers", details={"reason": str(exc)}
            ) from exc
        if X.ndim != 2 or X.shape[1] != self._n_features:
            raise InvalidInputError(
                f"expected a 2-D array with {self._n_features} feature columns, "
                f"got shape {tuple(X.shape)}",
                details={"expected_features": self._n_features, "shape": list(X.shape)},
            )
        if not np.isfinite(X).all():
            raise InvalidInputError("features must be finite numbers (no NaN or infinity)")
        return X


@dataclass(frozen=True, slots=True)
class Refusal:
    """One row of a batch the model cannot compute, and why, in words."""

    row: int
    reason: str


def non_finite_rows(probabilities: np.ndarray, offset: int = 0) -> list[Refusal]:
    """The rows (numbered from ``offset``) whose probabilities are not all finite."""
    finite = np.isfinite(probabilities)
    if finite.all():  # the common case, checked in one pass
        return []
    bad = np.flatnonzero(~finite.all(axis=1))
    return [Refusal(offset + int(row), NON_FINITE_OUTPUT) for row in bad]


def refused_rows(
    predictor: Predictor, X: np.ndarray, limit: int = MAX_NAMED_REFUSALS
) -> list[Refusal]:
    """The first ``limit`` rows of ``X`` the predictor cannot compute, in row order.

    A row is refused when, alone, the predictor raises ``UncomputableInputError`` for it or
    returns probabilities that are not finite. Rows are independent, so the batch is halved
    until each refused row stands alone: about ``2 * k * log2(n)`` calls for ``k`` refusals,
    made only after a batch was refused. Other exceptions propagate.
    """
    found: list[Refusal] = []

    def visit(start: int, stop: int) -> None:
        if len(found) >= limit:
            return
        try:
            if not predictor.has_proba:
                predictor.predict(X[start:stop])
                return
            probabilities = predictor.predict_proba(X[start:stop])
        except UncomputableInputError as exc:
            if stop - start == 1:
                found.append(Refusal(start, exc.message))
                return
            middle = (start + stop) // 2
            visit(start, middle)
            visit(middle, stop)
            return
        found.extend(non_finite_rows(probabilities, start)[: limit - len(found)])

    visit(0, len(X))
    return found

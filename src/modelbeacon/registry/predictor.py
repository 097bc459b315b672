"""The one interface services predict through, and its scikit-learn implementation.

Services hold a ``Predictor``, never an sklearn object, so a faster runtime (an ONNX session
answers a single row in ~10 µs where scikit-learn needs ~0.5 ms; see ``onnx_runtime``) can
replace ``SklearnPredictor`` without touching services or routers. Calls block for the model's
compute time: run them off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from sklearn.base import BaseEstimator  # type: ignore[import-untyped]
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # type: ignore[import-untyped]

from modelbeacon.errors import InvalidInputError, UncomputableInputError
from modelbeacon.inputs import FeatureSpec, all_numeric, is_missing, numeric_features
from modelbeacon.registry.frames import frame_of

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
    """A fitted classifier over a fixed number of features.

    ``X`` is a 2-D array of shape (n_rows, ``n_features``) in training column order: finite
    floats for a model over numbers, or (a model fitted on a DataFrame) rows of objects, a
    float for a numeric feature, a str or int for a categorical one and ``None`` (or NaN) for a
    missing value. ``predict`` returns n_rows labels drawn from ``classes``; ``predict_proba``
    returns an (n_rows, len(classes)) float64 array whose columns follow ``classes``, and
    raises ``InvalidInputError`` when ``has_proba`` is false. Both raise ``InvalidInputError``
    for an array of the wrong shape or with a value of the wrong kind (a non-finite number, a
    missing value where the model takes numbers only), and ``UncomputableInputError`` when
    the runtime refuses values it cannot compute with (they overflow inside the model, a
    missing value reaches a step without an imputer, a category the model refuses, or a model
    without probabilities decides NaN for them: raised for the whole array). ``predict_proba``
    may instead return non-finite probabilities for such rows: callers check
    (``refused_rows``). ``runtime`` names what computes the model (``"sklearn"`` or
    ``"onnxruntime"``); ``accepts_missing`` says whether the model has somewhere to put a
    missing value (an imputer, or an estimator that handles NaN itself). Implementations are
    safe to call from several threads at once.
    """

    @property
    def n_features(self) -> int: ...

    @property
    def classes(self) -> tuple[Any, ...]: ...

    @property
    def has_proba(self) -> bool: ...

    @property
    def runtime(self) -> str: ...

    @property
    def accepts_missing(self) -> bool: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...


def estimators_within(estimator: Any) -> Iterator[Any]:
    """``estimator`` and every estimator nested in it, depth first: the steps of a
    ``Pipeline``, the transformers of a ``ColumnTransformer`` (fitted ones too) or
    ``FeatureUnion``, the estimators of meta-estimators (voting, calibration, ...)."""
    yield estimator
    if not isinstance(estimator, BaseEstimator):
        return
    children: list[Any] = list(estimator.get_params(deep=False).values())
    # a fitted ColumnTransformer holds its fitted clones apart from its parameters
    children.append(getattr(estimator, "transformers_", None))
    for child in children:
        for nested in _estimators_in(child):
            yield from estimators_within(nested)


def _estimators_in(value: Any) -> Iterator[Any]:
    if isinstance(value, BaseEstimator):
        yield value
    elif isinstance(value, list | tuple):
        # steps and transformer lists are (name, estimator[, columns]) tuples
        for item in value:
            if isinstance(item, BaseEstimator):
                yield item
            elif isinstance(item, tuple):
                yield from (part for part in item if isinstance(part, BaseEstimator))


def accepts_missing(estimator: Any) -> bool:
    """Whether a missing value has somewhere to go in ``estimator``: an imputer anywhere in
    it, or a HistGradientBoosting model (which routes NaN down its trees itself)."""
    return any(
        _is_imputer(part)
        or isinstance(part, HistGradientBoostingClassifier | HistGradientBoostingRegressor)
        for part in estimators_within(estimator)
    )


def _is_imputer(estimator: Any) -> bool:
    kind = type(estimator)
    return kind.__module__.startswith("sklearn.impute") and kind.__name__.endswith("Imputer")


class SklearnPredictor:
    """A ``Predictor`` around a fitted scikit-learn classifier (or a ``Pipeline`` ending in one).

    A model fitted on a DataFrame (it has ``feature_names_in_``) selects its columns by name,
    so it is called with one: the rows of ``X`` become a typed frame (``frame_of``) described
    by ``features``, by default all numeric and named by the model. Any other model is called
    with ``X`` as a float array, as fast as scikit-learn allows; it takes no missing values.

    Raises ``ValueError`` at construction when ``estimator`` is not a fitted classifier (it
    must expose ``predict``, ``classes_`` and ``n_features_in_``), or when ``features`` do not
    describe its inputs: a DataFrame model's columns in order, or as many numeric features as
    an array model takes.
    """

    def __init__(self, estimator: Any, features: Sequence[FeatureSpec] | None = None) -> None:
        if not callable(getattr(estimator, "predict", None)):
            raise ValueError(f"{type(estimator).__name__} has no predict method")
        try:
            n_features = int(estimator.n_features_in_)
            classes = estimator.classes_
        except AttributeError as exc:
            raise ValueError(f"{type(estimator).__name__} is not a fitted classifier") from exc
        self._estimator = estimator
        self._n_features = n_features
        self._features = _features_of(estimator, n_features, features)
        # .tolist() turns numpy scalars into plain Python values, which JSON encodes as is
        self._classes: tuple[Any, ...] = tuple(np.asarray(classes).tolist())
        # Pipelines and SGD expose predict_proba only when their final step/loss supports it
        self._has_proba = hasattr(estimator, "predict_proba")
        # Without probabilities to check, a label argmax'ed from a NaN decision (SGD with the
        # hinge loss) would be served as if it meant something; its decision is checked instead
        self._decision: Callable[[Any], Any] | None = (
            None if self._has_proba else getattr(estimator, "decision_function", None)
        )
        self._accepts_missing = accepts_missing(estimator)

    @property
    def estimator(self) -> Any:
        """The wrapped scikit-learn object (for saving it again, never for predicting)."""
        return self._estimator

    @property
    def features(self) -> tuple[FeatureSpec, ...] | None:
        """The inputs of a model fitted on a DataFrame; ``None`` for one taking a float array."""
        return self._features

    @property
    def n_features(self) -> int:
        return self._n_features

    @property
    def classes(self) -> tuple[Any, ...]:
        return self._classes

    @property
    def has_proba(self) -> bool:
        return self._has_proba

    @property
    def runtime(self) -> str:
        return "sklearn"

    @property
    def accepts_missing(self) -> bool:
        return self._accepts_missing

    def predict(self, X: np.ndarray) -> np.ndarray:
        inputs = self._checked(X)
        labels = self._computed(self._estimator.predict, inputs, None)
        # an infinite decision still has a sign, so a meaning; NaN has neither
        if (
            self._decision is not None
            and np.isnan(self._computed(self._decision, inputs, None)).any()
        ):
            raise UncomputableInputError(NAN_DECISION)
        return labels

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if not self._has_proba:
            raise InvalidInputError(
                "this model does not produce probabilities",
                details={"model": type(self._estimator).__name__},
            )
        return self._computed(self._estimator.predict_proba, self._checked(X), np.float64)

    def _computed(self, method: Callable[[Any], Any], inputs: Any, dtype: Any) -> np.ndarray:
        """``method(inputs)`` for inputs ``_checked`` already passed, scikit-learn's refusal
        of what it cannot compute translated to ``UncomputableInputError``.

        The inputs' shape and kinds were checked, so a ``ValueError`` (or an encoder's
        ``TypeError``) from the estimator is scikit-learn refusing what an earlier step or
        cast produced (a scaler dividing 1e308 by 0.4, a tree casting 1e39 to float32), a
        missing value reaching a step without an imputer, or a category its encoder refuses.
        numpy's overflow warnings for the same values are silenced: the refusal (or a
        non-finite probability, which callers check) says it once, to the caller.
        """
        with np.errstate(all="ignore"):
            try:
                return np.asarray(method(inputs), dtype=dtype)
            except (ValueError, TypeError) as exc:
                if self._features is not None:
                    raise self._refusal(inputs, exc) from exc
                if isinstance(exc, TypeError):
                    raise
                raise UncomputableInputError(
                    f"a feature value is too large for the model to compute with "
                    f"(scikit-learn: {exc})"
                ) from exc

    def _refusal(self, frame: Any, exc: Exception) -> UncomputableInputError:
        missing = [str(name) for name in frame.columns[frame.isna().any(axis=0).to_numpy()]]
        if missing and "nan" in str(exc).lower():
            names = ", ".join(repr(name) for name in missing)
            return UncomputableInputError(
                f"the model cannot take a missing value for feature {names}: it has no imputer "
                "for it",
                details={"features": missing},
            )
        return UncomputableInputError(
            f"the model cannot compute these feature values (scikit-learn: {exc})",
            details={"reason": str(exc)},
        )

    def _checked(self, X: np.ndarray) -> Any:
        if self._features is not None:
            return self._frame(X, self._features)
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(
                "features must be numbers", details={"reason": str(exc)}
            ) from exc
        self._check_shape(X)
        if not np.isfinite(X).all():
            raise InvalidInputError("features must be finite numbers (no NaN or infinity)")
        return X

    def _frame(self, X: np.ndarray, features: tuple[FeatureSpec, ...]) -> Any:
        """The DataFrame the model takes for rows ``X``, or ``InvalidInputError`` naming the
        feature whose value is of the wrong kind."""
        rows = np.asarray(X, dtype=object)
        self._check_shape(rows)
        for j, feature in enumerate(features):
            _check_column(feature, rows[:, j])
        return frame_of(rows, features)

    def _check_shape(self, X: np.ndarray) -> None:
        if X.ndim != 2 or X.shape[1] != self._n_features:
            raise InvalidInputError(
                f"expected a 2-D array with {self._n_features} feature columns, "
                f"got shape {tuple(X.shape)}",
                details={"expected_features": self._n_features, "shape": list(X.shape)},
            )


def _features_of(
    estimator: Any, n_features: int, features: Sequence[FeatureSpec] | None
) -> tuple[FeatureSpec, ...] | None:
    """The features a DataFrame model is called with (``None`` for an array model), after
    checking that ``features`` describe its inputs."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        if features is not None and (len(features) != n_features or not all_numeric(features)):
            raise ValueError(
                f"{type(estimator).__name__} was fitted on an array: it takes {n_features} "
                "numeric features"
            )
        return None
    columns = [str(name) for name in names]
    described = numeric_features(columns) if features is None else tuple(features)
    if [feature.name for feature in described] != columns:
        raise ValueError(
            f"features {[f.name for f in described]} are not the model's columns {columns}"
        )
    return described


def _check_column(feature: FeatureSpec, values: np.ndarray) -> None:
    """Raise ``InvalidInputError`` unless every value fits ``feature``: a finite number (or
    missing) for a numeric one; for a categorical one whose categories are known, missing or of
    their type (a str for string categories, an int for integer ones)."""
    if feature.kind == "numeric":
        for value in values:
            if is_missing(value):
                continue
            if isinstance(value, bool | str) or not isinstance(value, int | float | np.number):
                raise InvalidInputError(
                    f"feature {feature.name!r} is numeric: {value!r} is not a number",
                    details={"feature": feature.name},
                )
            if not np.isfinite(value):
                raise InvalidInputError(
                    f"feature {feature.name!r} must be a finite number or null, got {value!r}",
                    details={"feature": feature.name},
                )
        return
    if not feature.categories:
        return
    wanted: type = str if isinstance(feature.categories[0], str) else int
    for value in values:
        if is_missing(value):
            continue
        if isinstance(value, bool) or not isinstance(value, wanted):
            raise InvalidInputError(
                f"feature {feature.name!r} takes {wanted.__name__} categories, got {value!r}",
                details={"feature": feature.name, "categories": list(feature.categories)},
            )


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

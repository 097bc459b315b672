"""Training one model from a spec, reporting real progress as it goes.

``validate_spec`` is what a request handler calls before accepting a job; ``train`` is what the
job runs (in a worker thread: it blocks for as long as the fit takes). Progress arrives through
the callback in four stages with non-decreasing percentages:

    loading_data  0-5    the dataset is loaded: a built-in one, or an uploaded CSV (its sha256
                         checked first)
    splitting     5-10   a stratified held-out validation split is made; for an uploaded
                         dataset, the preprocessor is fitted on the training split
    fitting       10-85  per tree batch, boosting stage or epoch, as the algorithm allows
    evaluating    85-92  accuracy on the held-out split, then the calibration of the model's
                         top-class probability on it (``registry.calibration``)

The caller reports ``saving`` and ``ready`` itself once it has stored the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]

from modelbeacon.errors import InvalidInputError, TrainingError
from modelbeacon.inputs import FeatureSpec, numeric_features
from modelbeacon.metrics.calibration import Calibration
from modelbeacon.metrics.psi import DriftReference
from modelbeacon.registry.algorithms import ALGORITHM_NAMES, ALGORITHMS, Algorithm
from modelbeacon.registry.calibration import fit_calibration
from modelbeacon.registry.datasets import DATASET_NAMES, load_dataset
from modelbeacon.registry.params import build_checked_estimator
from modelbeacon.registry.predictor import accepts_missing
from modelbeacon.registry.reference import drift_reference, tabular_reference
from modelbeacon.registry.tabular import TabularSource, build_preprocessor, load_csv

__all__ = [
    "ALGORITHM_NAMES",
    "ProgressCallback",
    "TabularSource",
    "TrainedModel",
    "TrainingProgress",
    "TrainingSpec",
    "train",
    "validate_spec",
]

MIN_VALIDATION_FRACTION = 0.05
MAX_VALIDATION_FRACTION = 0.5
_MAX_SEED = 2**32 - 1  # numpy's RandomState bound


@dataclass(frozen=True)
class TrainingProgress:
    """One progress report: ``stage`` name, ``progress`` in [0, 100], human ``details``."""

    stage: str
    progress: float
    details: str


ProgressCallback = Callable[[TrainingProgress], None]


@dataclass(frozen=True)
class TrainingSpec:
    """What to train: a ``dataset``, an ``algorithm`` and its hyperparameters.

    ``dataset`` names a built-in dataset, or, with ``source``, the uploaded dataset that
    ``source`` says where to read. ``params`` are JSON values overriding the algorithm's
    defaults; ``random_state`` seeds both the validation split and the estimator, so the same
    spec trains the same model; ``validation_fraction`` of the samples (stratified) is held out
    to measure accuracy.
    """

    dataset: str
    algorithm: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    random_state: int = 0
    validation_fraction: float = 0.2
    source: TabularSource | None = None


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A fitted model and the facts about it that the rest of the service records.

    ``estimator`` predicts from raw, unscaled features and has ``predict_proba`` unless the
    chosen loss has none. Trained on a built-in dataset, it takes an array with the columns in
    ``feature_names`` order (a ``Pipeline`` with its scaler where the algorithm needs one); on
    an uploaded one, a DataFrame with a column per feature as ``registry.frames.frame_of``
    builds it, missing values included (a ``Pipeline`` of the fitted preprocessor,
    ``"prepare"``, then the algorithm, ``"model"``). ``features`` describe those inputs,
    ``accepts_missing`` whether a missing value has an imputer to go to, ``classes`` are the
    sorted labels (ints, or an uploaded dataset's strings). ``params`` are the hyperparameters
    modelbeacon set (its defaults overridden by the spec's), JSON-able. ``reference`` bins
    every feature of the training split for PSI drift (``registry.reference``).
    ``calibration`` maps the estimator's top-class probability to the chance it is right,
    fitted on the validation split (``registry.calibration``); ``None``
    when the estimator has no ``predict_proba``.
    """

    estimator: Any
    dataset: str
    algorithm: str
    params: dict[str, Any]
    feature_names: tuple[str, ...]
    features: tuple[FeatureSpec, ...]
    accepts_missing: bool
    classes: tuple[Any, ...]
    validation_accuracy: float
    n_train: int
    n_validation: int
    reference: DriftReference
    calibration: Calibration | None


def validate_spec(spec: TrainingSpec) -> None:
    """Raise ``InvalidInputError`` (message and ``details`` say what to fix) unless ``spec`` can
    be trained: a built-in dataset's name (any name with a ``source``), a known algorithm,
    accepted parameter names with JSON values that scikit-learn accepts and that stay within
    this server's limits, an integer ``random_state`` in [0, 2**32 - 1] and a
    ``validation_fraction`` in [0.05, 0.5]. Loads nothing, fits nothing.
    """
    _check_spec(spec)


def train(spec: TrainingSpec, progress: ProgressCallback) -> TrainedModel:
    """Train the model ``spec`` describes, calling ``progress`` as work completes.

    Blocks until done. Re-validates ``spec``; any failure, an invalid spec included, is raised
    as ``TrainingError`` chained (``from``) to its cause. Exceptions raised by ``progress`` abort
    training the same way.
    """
    report = _MonotonicReporter(progress)
    try:
        return _train(spec, report)
    except Exception as exc:
        reason = exc.message if isinstance(exc, InvalidInputError) else str(exc) or repr(exc)
        raise TrainingError(
            f"training {spec.algorithm} on {spec.dataset} failed: {reason}",
            details={
                "dataset": spec.dataset,
                "algorithm": spec.algorithm,
                "stage": report.stage,
                "reason": reason,
            },
        ) from exc


def _check_spec(spec: TrainingSpec) -> Any:
    """``validate_spec``'s checks; returns the configured, unfitted estimator."""
    if spec.source is None and spec.dataset not in DATASET_NAMES:
        load_dataset(spec.dataset)  # raises the error that lists the known datasets
    algorithm = _algorithm(spec.algorithm)
    seed = spec.random_state
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
        raise InvalidInputError(
            f"random_state must be an integer from 0 to {_MAX_SEED}, got {seed!r}",
            details={"random_state": repr(seed)},
        )
    fraction = spec.validation_fraction
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, int | float)
        or not MIN_VALIDATION_FRACTION <= fraction <= MAX_VALIDATION_FRACTION
    ):
        raise InvalidInputError(
            f"validation_fraction must be a number from {MIN_VALIDATION_FRACTION} to "
            f"{MAX_VALIDATION_FRACTION}, got {fraction!r}",
            details={"validation_fraction": repr(fraction)},
        )
    return build_checked_estimator(algorithm, spec.params, seed)


def _algorithm(name: str) -> Algorithm:
    algorithm = ALGORITHMS.get(name)
    if algorithm is None:
        raise InvalidInputError(
            f"unknown algorithm {name!r}; known algorithms: {', '.join(ALGORITHM_NAMES)}",
            details={"algorithm": name, "known_algorithms": list(ALGORITHM_NAMES)},
        )
    return algorithm


class _MonotonicReporter:
    """Forwards reports to the callback, never letting the percentage go down or leave 0-100."""

    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback
        self._last = 0.0
        self.stage = "loading_data"

    def __call__(self, stage: str, percent: float, details: str) -> None:
        self._last = max(self._last, min(100.0, round(percent, 1)))
        self.stage = stage
        self._callback(TrainingProgress(stage=stage, progress=self._last, details=details))


@dataclass(frozen=True, eq=False)
class _Split:
    """A dataset split for training: ``X_fit`` is what the fit strategy takes, ``X_val`` what
    the finished model predicts from, ``prepare`` the fitted preprocessor between the two
    (``None`` for a built-in dataset, whose arrays need none)."""

    X_fit: np.ndarray
    y_train: np.ndarray
    X_val: Any
    y_val: np.ndarray
    prepare: Any
    features: tuple[FeatureSpec, ...]
    classes: tuple[Any, ...]
    reference: DriftReference


def _train(spec: TrainingSpec, report: _MonotonicReporter) -> TrainedModel:
    report("loading_data", 0.0, f"loading dataset {spec.dataset}")
    estimator = _check_spec(spec)
    if spec.source is None:
        split = _builtin_split(spec, report)
    else:
        split = _uploaded_split(spec, spec.source, report)
    n_train, n_val = len(split.y_train), len(split.y_val)

    def report_fit(fraction: float, details: str) -> None:
        report("fitting", 10.0 + 75.0 * fraction, details)

    report("fitting", 10.0, f"fitting {spec.algorithm} on {n_train} samples")
    fitted = ALGORITHMS[spec.algorithm].fit(estimator, split.X_fit, split.y_train, report_fit)
    if split.prepare is not None:
        fitted = Pipeline([("prepare", split.prepare), ("model", fitted)])

    report("evaluating", 85.0, f"scoring {n_val} validation samples")
    correct = np.asarray(fitted.predict(split.X_val) == split.y_val)
    accuracy = float(np.mean(correct))
    scored = f"validation accuracy {accuracy:.3f}"
    report("evaluating", 88.0, f"{scored}; calibrating the model's confidence")
    calibration = _calibration(fitted, split.X_val, correct, spec.random_state)
    report("evaluating", 92.0, f"{scored}; {_calibration_words(calibration)}")

    return TrainedModel(
        estimator=fitted,
        dataset=spec.dataset,
        algorithm=spec.algorithm,
        params={**ALGORITHMS[spec.algorithm].defaults, **spec.params},
        feature_names=tuple(feature.name for feature in split.features),
        features=split.features,
        accepts_missing=accepts_missing(fitted),
        classes=split.classes,
        validation_accuracy=accuracy,
        n_train=n_train,
        n_validation=n_val,
        reference=split.reference,
        calibration=calibration,
    )


def _builtin_split(spec: TrainingSpec, report: _MonotonicReporter) -> _Split:
    data = load_dataset(spec.dataset)
    report("loading_data", 5.0, f"{data.n_samples} samples, {data.n_features} features")

    report("splitting", 5.0, f"holding out {spec.validation_fraction:.0%} for validation")
    X_train, X_val, y_train, y_val = _split(data.X, data.y, spec)
    report("splitting", 10.0, f"{len(y_train)} training / {len(y_val)} validation samples")
    return _Split(
        X_fit=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        prepare=None,
        features=numeric_features(data.feature_names),
        classes=data.classes,
        reference=drift_reference(X_train, data.feature_names),
    )


def _uploaded_split(
    spec: TrainingSpec, source: TabularSource, report: _MonotonicReporter
) -> _Split:
    data = load_csv(Path(source.path), source.target, source.features, source.sha256)
    categorical = sum(feature.kind == "categorical" for feature in data.features)
    report(
        "loading_data",
        5.0,
        f"{len(data.y)} rows, {len(data.features)} features ({categorical} categorical)",
    )

    report("splitting", 5.0, f"holding out {spec.validation_fraction:.0%} for validation")
    _check_split_size(len(data.y), len(data.classes), spec.validation_fraction)
    X_train, X_val, y_train, y_val = _split(data.frame, data.y, spec)
    prepare = build_preprocessor(data.features).fit(X_train)
    X_fit = np.asarray(prepare.transform(X_train), dtype=np.float64)
    report(
        "splitting",
        10.0,
        f"{len(y_train)} training / {len(y_val)} validation samples; "
        f"{X_fit.shape[1]} model inputs after imputing and encoding",
    )
    return _Split(
        X_fit=X_fit,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        prepare=prepare,
        features=data.features,
        classes=data.classes,
        reference=tabular_reference(X_train, data.features),
    )


def _check_split_size(rows: int, classes: int, fraction: float) -> None:
    """Both stratified splits must hold every class at least once, as scikit-learn requires."""
    held_out = math.ceil(fraction * rows)
    if held_out < classes or rows - held_out < classes:
        raise InvalidInputError(
            f"a validation_fraction of {fraction} of {rows} rows holds out {held_out} and "
            f"trains on {rows - held_out}; each needs at least one row of each of the "
            f"{classes} classes: change validation_fraction or add rows",
            details={"rows": rows, "classes": classes, "validation_fraction": fraction},
        )


def _calibration(fitted: Any, X_val: Any, correct: np.ndarray, seed: int) -> Calibration | None:
    # Pipelines and SGD expose predict_proba only when their final step/loss supports it
    if not hasattr(fitted, "predict_proba"):
        return None
    top_probability = fitted.predict_proba(X_val).max(axis=1)
    return fit_calibration(top_probability, correct, random_state=seed)


def _calibration_words(calibration: Calibration | None) -> str:
    if calibration is None:
        return "no probabilities to calibrate"
    if calibration.method == "raw":
        return f"probabilities kept raw (calibration error {calibration.raw_error:.3f})"
    return (
        f"{calibration.method} calibration, error {calibration.error:.3f} "
        f"(raw {calibration.raw_error:.3f})"
    )


def _split(X: Any, y: np.ndarray, spec: TrainingSpec) -> tuple[Any, Any, np.ndarray, np.ndarray]:
    """Stratified ``train_test_split`` of ``X`` (an array or a DataFrame) and ``y``."""
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=spec.validation_fraction, stratify=y, random_state=spec.random_state
    )
    return X_train, X_val, y_train, y_val

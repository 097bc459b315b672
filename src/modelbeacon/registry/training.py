"""Training one model from a spec, reporting real progress as it goes.

``validate_spec`` is what a request handler calls before accepting a job; ``train`` is what the
job runs (in a worker thread: it blocks for as long as the fit takes). Progress arrives through
the callback in four stages with non-decreasing percentages:

    loading_data  0-5    the built-in dataset is loaded
    splitting     5-10   a stratified held-out validation split is made
    fitting       10-85  per tree batch, boosting stage or epoch, as the algorithm allows
    evaluating    85-92  accuracy on the held-out split, then the calibration of the model's
                         top-class probability on it (``registry.calibration``)

The caller reports ``saving`` and ``ready`` itself once it has stored the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

from modelbeacon.errors import InvalidInputError, TrainingError
from modelbeacon.metrics.calibration import Calibration
from modelbeacon.metrics.psi import DriftReference
from modelbeacon.registry.algorithms import ALGORITHM_NAMES, ALGORITHMS, Algorithm
from modelbeacon.registry.calibration import fit_calibration
from modelbeacon.registry.datasets import DATASET_NAMES, Dataset, load_dataset
from modelbeacon.registry.params import build_checked_estimator
from modelbeacon.registry.reference import drift_reference

__all__ = [
    "ALGORITHM_NAMES",
    "ProgressCallback",
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
    """What to train: a built-in ``dataset``, an ``algorithm`` and its hyperparameters.

    ``params`` are JSON values overriding the algorithm's defaults; ``random_state`` seeds both
    the validation split and the estimator, so the same spec trains the same model;
    ``validation_fraction`` of the samples (stratified) is held out to measure accuracy.
    """

    dataset: str
    algorithm: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    random_state: int = 0
    validation_fraction: float = 0.2


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A fitted model and the facts about it that the rest of the service records.

    ``estimator`` predicts from raw, unscaled features in ``feature_names`` order (a
    ``Pipeline`` with its scaler where the algorithm needs one) and has ``predict_proba`` unless
    the chosen loss has none. ``params`` are the hyperparameters modelbeacon set (its defaults
    overridden by the spec's), JSON-able. ``reference`` bins every feature of the training
    split for PSI drift (``registry.reference``). ``calibration`` maps
    the estimator's top-class probability to the chance it is right, fitted on the validation
    split (``registry.calibration``); ``None`` when the estimator has no ``predict_proba``.
    """

    estimator: Any
    dataset: str
    algorithm: str
    params: dict[str, Any]
    feature_names: tuple[str, ...]
    classes: tuple[int, ...]
    validation_accuracy: float
    n_train: int
    n_validation: int
    reference: DriftReference
    calibration: Calibration | None


def validate_spec(spec: TrainingSpec) -> None:
    """Raise ``InvalidInputError`` (message and ``details`` say what to fix) unless ``spec`` can
    be trained: a known dataset and algorithm, accepted parameter names with JSON values that
    scikit-learn accepts and that stay within this server's limits, an integer ``random_state``
    in [0, 2**32 - 1] and a ``validation_fraction`` in [0.05, 0.5]. Loads nothing, fits nothing.
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
    if spec.dataset not in DATASET_NAMES:
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


def _train(spec: TrainingSpec, report: _MonotonicReporter) -> TrainedModel:
    report("loading_data", 0.0, f"loading dataset {spec.dataset}")
    estimator = _check_spec(spec)
    data = load_dataset(spec.dataset)
    report("loading_data", 5.0, f"{data.n_samples} samples, {data.n_features} features")

    report("splitting", 5.0, f"holding out {spec.validation_fraction:.0%} for validation")
    X_train, X_val, y_train, y_val = _split(data, spec)
    report("splitting", 10.0, f"{len(y_train)} training / {len(y_val)} validation samples")

    def report_fit(fraction: float, details: str) -> None:
        report("fitting", 10.0 + 75.0 * fraction, details)

    report("fitting", 10.0, f"fitting {spec.algorithm} on {len(y_train)} samples")
    fitted = ALGORITHMS[spec.algorithm].fit(estimator, X_train, y_train, report_fit)

    report("evaluating", 85.0, f"scoring {len(y_val)} validation samples")
    correct = fitted.predict(X_val) == y_val
    accuracy = float(np.mean(correct))
    scored = f"validation accuracy {accuracy:.3f}"
    report("evaluating", 88.0, f"{scored}; calibrating the model's confidence")
    calibration = _calibration(fitted, X_val, correct, spec.random_state)
    report("evaluating", 92.0, f"{scored}; {_calibration_words(calibration)}")

    return TrainedModel(
        estimator=fitted,
        dataset=spec.dataset,
        algorithm=spec.algorithm,
        params={**ALGORITHMS[spec.algorithm].defaults, **spec.params},
        feature_names=data.feature_names,
        classes=data.classes,
        validation_accuracy=accuracy,
        n_train=len(y_train),
        n_validation=len(y_val),
        reference=drift_reference(X_train, data.feature_names),
        calibration=calibration,
    )


def _calibration(
    fitted: Any, X_val: np.ndarray, correct: np.ndarray, seed: int
) -> Calibration | None:
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


def _split(
    data: Dataset, spec: TrainingSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X_train, X_val, y_train, y_val = train_test_split(
        data.X,
        data.y,
        test_size=spec.validation_fraction,
        stratify=data.y,
        random_state=spec.random_state,
    )
    return X_train, X_val, y_train, y_val

"""Plain records that storage returns; services work with these, never with SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelbeacon.inputs import FeatureSpec
from modelbeacon.metrics.calibration import Calibration
from modelbeacon.metrics.psi import DriftReference


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """One stored model. ``reference`` is ``None`` until training completes and for models
    trained before references were recorded; ``calibration`` is ``None`` then too, and for a
    model without probabilities."""

    id: int
    name: str
    version: int
    algorithm: str
    dataset: str
    params: dict[str, Any]
    status: str
    error: str | None
    created_at: float
    last_trained_at: float | None
    deployed_at: float | None
    validation_accuracy: float | None
    feature_names: tuple[str, ...]
    classes: tuple[Any, ...]
    artifact_path: str | None
    artifact_sha256: str | None
    artifact_trusted_types: tuple[str, ...]
    reference: DriftReference | None
    calibration: Calibration | None
    features: tuple[FeatureSpec, ...] = ()
    accepts_missing: bool = False
    source: str = "trained"
    runtime: str = "sklearn"
    parity: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: int
    model_id: int
    state: str
    stage: str
    progress: float
    details: str
    error: str | None
    created_at: float
    finished_at: float | None


@dataclass(frozen=True, slots=True)
class TrainedFields:
    """What a finished training writes onto its model row."""

    validation_accuracy: float
    feature_names: tuple[str, ...]
    classes: tuple[Any, ...]
    artifact_path: str
    artifact_sha256: str
    artifact_trusted_types: tuple[str, ...]
    reference: DriftReference
    calibration: Calibration | None
    features: tuple[FeatureSpec, ...] = ()
    accepts_missing: bool = False


@dataclass(frozen=True, slots=True)
class ImportedFields:
    """What an imported model is stored with: it is ``ready`` at once."""

    name: str
    algorithm: str
    dataset: str
    runtime: str
    feature_names: tuple[str, ...]
    features: tuple[FeatureSpec, ...]
    accepts_missing: bool
    classes: tuple[Any, ...]
    artifact_path: str
    artifact_sha256: str
    artifact_trusted_types: tuple[str, ...]
    parity: dict[str, Any]
    validation_accuracy: float | None = None
    reference: DriftReference | None = None
    calibration: Calibration | None = None


@dataclass(frozen=True, slots=True)
class RegisteredFields:
    """A model served elsewhere, monitored here: its inputs, classes and, when a dataset was
    named, that dataset's drift reference."""

    name: str
    features: tuple[FeatureSpec, ...]
    classes: tuple[Any, ...]
    dataset: str = ""
    reference: DriftReference | None = None


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """One uploaded dataset: its inferred schema and where its CSV is kept."""

    id: int
    name: str
    target: str
    rows: int
    dropped_rows: int
    classes: tuple[Any, ...]
    features: tuple[FeatureSpec, ...]
    filename: str | None
    size_bytes: int
    artifact_path: str
    artifact_sha256: str
    created_at: float


@dataclass(frozen=True, slots=True)
class LabelUpdate:
    prediction_id: str
    label: Any
    labelled_at: float
    correct: bool

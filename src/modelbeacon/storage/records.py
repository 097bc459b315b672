"""Plain records that storage returns; services work with these, never with SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True, slots=True)
class LabelUpdate:
    prediction_id: str
    label: Any
    labelled_at: float
    correct: bool

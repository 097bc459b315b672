"""The one exception hierarchy of modelbeacon.

Every error a caller can act on is a ``ModelbeaconError`` carrying a stable ``code``, a
human-readable ``message`` and JSON-able ``details``. Library errors (SQLAlchemy, skops,
scikit-learn) are translated at the adapter that calls the library, with ``raise ... from exc``.
``api/errors.py`` maps each branch to one HTTP status; nothing else decides status codes.

    ModelbeaconError
    ├── NotFoundError                 404  something named by the request does not exist
    │   ├── ModelNotFoundError
    │   ├── JobNotFoundError
    │   ├── PredictionNotFoundError
    │   ├── DatasetNotFoundError
    │   ├── NoActiveModelError
    │   └── NoReferenceError          the model exists but has no drift reference (yet)
    ├── InvalidInputError             422  the request is well-formed JSON but its values are wrong
    │   ├── UncomputableInputError    finite feature values the model cannot compute (they
    │   │                             overflow inside it, or its probabilities come out NaN)
    │   └── UntrustedTypeError        an imported skops file holds a type off the allowlist
    │                                 (``details["types"]`` lists them); nothing of it ran
    ├── PayloadTooLargeError          413  body or batch larger than the configured limit
    ├── UnsupportedMediaError         415  an uploaded file of a kind that is never accepted
    │                                      (a pickle or joblib model, a binary file as a CSV)
    ├── ConflictError                 409  the request contradicts the current state
    │   ├── LabelConflictError        a different label was already recorded
    │   └── ModelNotReadyError        the model has no usable artifact (training, failed)
    ├── ArtifactIntegrityError        500  a stored artifact does not match its recorded sha256
    ├── TrainingError                 recorded on the job as ``failed``; never an HTTP response
    └── UnavailableError              503  a backend (database, bus) cannot be reached
"""

from __future__ import annotations

from typing import Any


class ModelbeaconError(Exception):
    """Base of every error modelbeacon raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class NotFoundError(ModelbeaconError):
    code = "not_found"


class ModelNotFoundError(NotFoundError):
    code = "model_not_found"


class JobNotFoundError(NotFoundError):
    code = "job_not_found"


class PredictionNotFoundError(NotFoundError):
    code = "prediction_not_found"


class DatasetNotFoundError(NotFoundError):
    code = "dataset_not_found"


class NoActiveModelError(NotFoundError):
    code = "no_active_model"


class NoReferenceError(NotFoundError):
    code = "no_reference"


class InvalidInputError(ModelbeaconError):
    code = "invalid_input"


class UncomputableInputError(InvalidInputError):
    code = "uncomputable_input"


class UntrustedTypeError(InvalidInputError):
    code = "untrusted_type"


class PayloadTooLargeError(ModelbeaconError):
    code = "payload_too_large"


class UnsupportedMediaError(ModelbeaconError):
    code = "unsupported_media_type"


class ConflictError(ModelbeaconError):
    code = "conflict"


class LabelConflictError(ConflictError):
    code = "label_conflict"


class ModelNotReadyError(ConflictError):
    code = "model_not_ready"


class ArtifactIntegrityError(ModelbeaconError):
    code = "artifact_integrity"


class TrainingError(ModelbeaconError):
    code = "training_failed"


class UnavailableError(ModelbeaconError):
    code = "unavailable"

"""Typed views the client's conveniences return, built from the server's JSON.

A method that calls one route returns that route's JSON body as a dict, as the server sent it
(docs/PAYLOADS.md). The conveniences that combine routes or reshape an answer return these frozen
dataclasses: ``setup_model`` and ``train_and_deploy`` a ``DeployedModel``, ``dataset_rows`` a
``DatasetRows``; a training progress callback gets a ``TrainingStatus`` per poll.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelbeacon.errors import ModelbeaconError


@dataclass(frozen=True)
class TrainingStatus:
    """One poll of ``GET /api/training/{job_id}``; ``error`` says why a ``failed`` job failed."""

    job_id: str
    model_id: str
    state: str
    stage: str
    progress: float
    details: str
    error: str | None

    @classmethod
    def of(cls, job: dict[str, Any]) -> TrainingStatus:
        return cls(
            job_id=str(job["job_id"]),
            model_id=str(job["model_id"]),
            state=str(job["state"]),
            stage=str(job["stage"]),
            progress=float(job["progress"]),
            details=str(job.get("details") or ""),
            error=None if job.get("error") is None else str(job["error"]),
        )


ProgressCallback = Callable[[TrainingStatus], None]


@dataclass(frozen=True)
class DeployedModel:
    """A model as the server shows it; ``trained`` when the call that returned it trained it."""

    model_id: str
    name: str
    version: int
    dataset: str
    algorithm: str
    validation_accuracy: float | None
    trained: bool

    @classmethod
    def of(cls, model: dict[str, Any], *, trained: bool = False) -> DeployedModel:
        accuracy = model.get("validation_accuracy")
        return cls(
            model_id=str(model["id"]),
            name=str(model["name"]),
            version=int(model["version"]),
            dataset=str(model["dataset"] or ""),
            algorithm=str(model["algorithm"]),
            validation_accuracy=None if accuracy is None else float(accuracy),
            trained=trained,
        )


@dataclass(frozen=True)
class DatasetRows:
    """Every row of a dataset (``GET /api/datasets/{name}/rows``), values in
    ``feature_names`` order, ``labels[i]`` the true class of ``rows[i]``.

    A value is a float, a category (string) or ``None`` (missing); a built-in dataset has
    floats only. A label is an integer class, or the class string of an uploaded dataset
    whose classes are not all integers.
    """

    name: str
    feature_names: tuple[str, ...]
    rows: tuple[tuple[float | str | None, ...], ...]
    labels: tuple[int | str, ...]

    @classmethod
    def of(cls, body: dict[str, Any]) -> DatasetRows:
        return cls(
            name=str(body["name"]),
            feature_names=tuple(str(f) for f in body["feature_names"]),
            rows=tuple(tuple(_row_value(v) for v in row) for row in body["rows"]),
            labels=tuple(
                label if isinstance(label, str) else int(label) for label in body["labels"]
            ),
        )


def _row_value(value: Any) -> float | str | None:
    """A dataset cell as sent: a category or ``None`` as it is, any number as a float."""
    return value if value is None or isinstance(value, str) else float(value)


def training_ended(job: dict[str, Any], *, overdue: bool, timeout: float) -> bool:
    """Whether polling ``job`` can stop: True when it completed; raises ``ModelbeaconError``
    when it failed, or when it is still running and ``overdue`` (``timeout`` s have passed;
    the job itself keeps running)."""
    job_id = job["job_id"]
    if job["state"] == "completed":
        return True
    if job["state"] == "failed":
        raise ModelbeaconError(
            f"training job {job_id} (model {job['model_id']}) failed: {job.get('error')}",
            details={"job_id": job_id, "error": job.get("error")},
        )
    if overdue:
        raise ModelbeaconError(
            f"training job {job_id} did not end within {timeout:.0f} s",
            details={"job_id": job_id, "stage": job.get("stage")},
        )
    return False

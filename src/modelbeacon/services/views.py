"""JSON shapes shared by REST responses and WebSocket messages (docs/PAYLOADS.md).

Every JSON form of a prediction is derived here from the one ``PredictionRecord``, each
building on the smaller one: what ``prediction_logged`` carries (``pushed_prediction_view``),
what a predict call answers (``served_prediction_view``), and what the log lists
(``logged_prediction_view``). Field order in REST responses follows the response schema.
"""

from __future__ import annotations

from typing import Any

from modelbeacon.clock import iso_utc
from modelbeacon.prediction import PredictionRecord
from modelbeacon.services.catalog import LiveModel
from modelbeacon.storage.records import JobRecord


def model_view(live: LiveModel) -> dict[str, Any]:
    record = live.record
    return {
        "id": str(record.id),
        "name": record.name,
        "version": record.version,
        "algorithm": record.algorithm,
        "dataset": record.dataset or None,
        "params": record.params,
        "status": live.monitor.status,
        "health": live.monitor.health,
        "created_at": iso_utc(record.created_at),
        "last_trained_at": iso_utc(record.last_trained_at),
        "deployed_at": iso_utc(record.deployed_at),
        "validation_accuracy": record.validation_accuracy,
        "total_predictions": live.monitor.total_predictions,
        "feature_names": list(record.feature_names),
        "features": [f.as_dict() for f in record.features],
        "accepts_missing": record.accepts_missing,
        "classes": list(record.classes),
        "source": record.source,
        "runtime": record.runtime,
        "calibration": None if record.calibration is None else record.calibration.as_dict(),
        "error": record.error,
    }


def job_view(job: JobRecord) -> dict[str, Any]:
    return {
        "job_id": str(job.id),
        "model_id": str(job.model_id),
        "state": job.state,
        "stage": job.stage,
        "progress": job.progress,
        "details": job.details,
        "error": job.error,
        "created_at": iso_utc(job.created_at),
        "finished_at": iso_utc(job.finished_at),
    }


def pushed_prediction_view(record: PredictionRecord) -> dict[str, Any]:
    """One prediction as a ``prediction_logged`` event carries it."""
    return {
        "prediction_id": record.prediction_id,
        "prediction": record.prediction,
        "latency_ms": record.latency_ms,
        "timestamp": iso_utc(record.timestamp),
    }


def served_prediction_view(record: PredictionRecord) -> dict[str, Any]:
    """One prediction as ``POST /api/predict`` answers it: the pushed form plus the model and
    the probabilities."""
    return {
        **pushed_prediction_view(record),
        "probabilities": record.probabilities,
        "model_id": str(record.model_id),
        "model_version": record.model_version,
        "label": record.label,
    }


def logged_prediction_view(record: PredictionRecord) -> dict[str, Any]:
    """One logged call as ``GET /api/models/{id}/predictions`` lists it: the served form plus
    what the log adds."""
    return {
        **served_prediction_view(record),
        "input_hash": record.input_hash,
        "features": None if record.features is None else list(record.features),
        "labelled_at": iso_utc(record.labelled_at),
        "error": record.error,
    }


def format_uptime(seconds: float | None) -> str | None:
    """``"2h 15m"``-style text for the dashboard; ``None`` when not deployed."""
    if seconds is None:
        return None
    minutes = int(max(seconds, 0) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"

"""JSON shapes shared by REST responses and WebSocket messages (docs/PAYLOADS.md)."""

from __future__ import annotations

from typing import Any

from modelbeacon.services.catalog import LiveModel
from modelbeacon.services.clock import iso
from modelbeacon.storage.records import JobRecord, PredictionRow


def model_view(live: LiveModel) -> dict[str, Any]:
    record = live.record
    return {
        "id": str(record.id),
        "name": record.name,
        "version": record.version,
        "algorithm": record.algorithm,
        "dataset": record.dataset,
        "params": record.params,
        "status": live.monitor.status,
        "health": live.monitor.health,
        "created_at": iso(record.created_at),
        "last_trained_at": iso(record.last_trained_at),
        "deployed_at": iso(record.deployed_at),
        "validation_accuracy": record.validation_accuracy,
        "total_predictions": live.monitor.total_predictions,
        "feature_names": list(record.feature_names),
        "classes": list(record.classes),
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
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
    }


def prediction_view(row: PredictionRow) -> dict[str, Any]:
    return {
        "prediction_id": row.prediction_id,
        "model_id": str(row.model_id),
        "model_version": row.model_version,
        "timestamp": iso(row.ts),
        "input_hash": row.input_hash,
        "features": row.features,
        "prediction": row.prediction,
        "probabilities": row.probabilities,
        "latency_ms": row.latency_ms,
        "label": row.label,
        "labelled_at": iso(row.labelled_at),
        "error": row.error,
    }

"""Predictions and their delayed ground-truth labels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from modelbeacon.api.deps import ServicesDep
from modelbeacon.api.schemas import (
    BatchFeedback,
    BatchFeedbackRequest,
    BatchPrediction,
    BatchPredictRequest,
    Feedback,
    FeedbackRequest,
    LoggedIds,
    LoggedRecordIn,
    LogPredictionsRequest,
    ModelId,
    PredictBody,
    Prediction,
)
from modelbeacon.services.ingest import LoggedRecord
from modelbeacon.services.views import served_prediction_view

router = APIRouter(tags=["predictions"])


async def _predict(
    model_id: int | None, body: PredictBody, services: ServicesDep
) -> dict[str, Any]:
    live = services.prediction.resolve(model_id)
    if isinstance(body, BatchPredictRequest):
        results = await services.prediction.predict(live, body.instances, body.labels, batch=True)
        return {"predictions": [served_prediction_view(r) for r in results]}
    labels = None if body.label is None else [body.label]
    results = await services.prediction.predict(live, [body.features], labels, batch=False)
    return served_prediction_view(results[0])


@router.post("/models/{model_id}/predict", response_model=Prediction | BatchPrediction)
async def predict_with(
    model_id: ModelId, body: PredictBody, services: ServicesDep
) -> dict[str, Any]:
    """One prediction (`features`) or a batch (`instances`) from the given model."""
    return await _predict(model_id, body, services)


@router.post("/predict", response_model=Prediction | BatchPrediction)
async def predict_active(body: PredictBody, services: ServicesDep) -> dict[str, Any]:
    """Same as `/models/{id}/predict`, routed to the active model."""
    return await _predict(None, body, services)


@router.post("/predictions/{prediction_id}/feedback", response_model=Feedback)
async def feedback(
    prediction_id: str, body: FeedbackRequest, services: ServicesDep
) -> dict[str, Any]:
    """Attach the true label; the same label again is a no-op, a different one is 409."""
    result = await services.feedback.submit(prediction_id, body.label)
    return {
        "prediction_id": result.prediction_id,
        "model_id": str(result.model_id),
        "label": result.label,
        "prediction": result.prediction,
        "correct": result.correct,
        "created": result.created,
    }


@router.post("/models/{model_id}/predictions", response_model=LoggedIds, status_code=201)
async def log_predictions(
    model_id: ModelId, body: LogPredictionsRequest, services: ServicesDep
) -> dict[str, Any]:
    """Log predictions a model served elsewhere made (at most 1000 per call, all or none);
    a `prediction_id` logged before is skipped."""
    result = await services.ingest.log(model_id, [_logged(r) for r in body.records])
    return {"prediction_ids": result.prediction_ids, "logged": result.logged}


@router.post("/feedback", response_model=BatchFeedback)
async def feedback_many(body: BatchFeedbackRequest, services: ServicesDep) -> dict[str, Any]:
    """Labels for many predictions (at most 1000), served here or elsewhere; each item says
    whether it was `accepted`, `unchanged`, `conflict`, `not_found` or `invalid`."""
    outcomes = await services.feedback.submit_many(
        [(item.prediction_id, item.label) for item in body.labels]
    )
    return {
        "results": [
            {"prediction_id": o.prediction_id, "status": o.status, "message": o.message}
            for o in outcomes
        ]
    }


def _logged(record: LoggedRecordIn) -> LoggedRecord:
    return LoggedRecord(
        features=record.features,
        prediction=record.prediction,
        probabilities=record.probabilities,
        latency_ms=record.latency_ms,
        label=record.label,
        prediction_id=record.prediction_id,
        timestamp=None if record.timestamp is None else _unix(record.timestamp),
    )


def _unix(moment: datetime) -> float:
    """Unix seconds of ``moment``; a time without an offset is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()

"""Predictions and their delayed ground-truth labels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelbeacon.api.deps import ServicesDep
from modelbeacon.api.schemas import (
    BatchPrediction,
    BatchPredictRequest,
    Feedback,
    FeedbackRequest,
    ModelId,
    PredictBody,
    Prediction,
)
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

"""Models and training jobs: list, inspect, train, deploy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from modelbeacon.api.deps import ServicesDep
from modelbeacon.api.schemas import (
    Job,
    JobId,
    Model,
    ModelId,
    PredictionHistory,
    Reference,
    TrainAccepted,
    TrainRequest,
)
from modelbeacon.services.views import job_view, logged_prediction_view, model_view

router = APIRouter(tags=["models"])


@router.get("/models", response_model=list[Model])
async def list_models(services: ServicesDep) -> list[dict[str, Any]]:
    return [model_view(live) for live in services.models.all()]


@router.get("/models/{model_id}", response_model=Model)
async def get_model(model_id: ModelId, services: ServicesDep) -> dict[str, Any]:
    return model_view(services.models.get(model_id))


@router.get("/models/{model_id}/reference", response_model=Reference)
async def get_reference(model_id: ModelId, services: ServicesDep) -> dict[str, Any]:
    return services.models.reference(model_id).as_dict()


@router.post("/models/train", response_model=TrainAccepted, status_code=202)
async def train_model(body: TrainRequest, services: ServicesDep) -> dict[str, str]:
    job = await services.training.start(body.name, body.dataset, body.algorithm, body.params)
    return {"job_id": str(job.id), "model_id": str(job.model_id)}


@router.get("/training/{job_id}", response_model=Job)
async def get_job(job_id: JobId, services: ServicesDep) -> dict[str, Any]:
    return job_view(await services.training.job(job_id))


@router.post("/models/{model_id}/deploy")
async def deploy_model(model_id: ModelId, services: ServicesDep) -> dict[str, Any]:
    return await services.deployment.deploy(model_id)


@router.get("/models/{model_id}/predictions", response_model=PredictionHistory)
async def prediction_history(
    model_id: ModelId,
    services: ServicesDep,
    limit: int = Query(100, ge=1, le=1000, description="how many, newest first"),
) -> dict[str, Any]:
    records = await services.prediction.history(model_id, limit)
    return {"model_id": str(model_id), "predictions": [logged_prediction_view(r) for r in records]}

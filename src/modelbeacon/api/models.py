"""Models and training jobs: list, inspect, train, deploy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile

from modelbeacon.api.deps import ServicesDep
from modelbeacon.api.schemas import (
    Job,
    JobId,
    Model,
    ModelId,
    PredictionHistory,
    Reference,
    RegisterRequest,
    TrainAccepted,
    TrainRequest,
)
from modelbeacon.api.uploads import classes_field, feature_specs, features_field, upload_of
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


@router.post("/models/import", response_model=Model, status_code=201)
async def import_model(
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="a .skops or .onnx model file")],
    name: Annotated[str, Form(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")],
    features: Annotated[
        str | None,
        Form(description='JSON: ["a", "b"] or [{"name", "kind", "categories"?}]'),
    ] = None,
    classes: Annotated[str | None, Form(description='JSON: ["yes", "no"] or [0, 1]')] = None,
    reference: Annotated[
        UploadFile | None,
        File(description="a CSV of the model's features and true labels (column `target`)"),
    ] = None,
    target: Annotated[str, Form(min_length=1)] = "target",
) -> dict[str, Any]:
    """A fitted model from a skops or ONNX file becomes a `ready` model (docs/MODELS.md)."""
    live = await services.imports.import_model(
        name,
        upload_of(file),
        features_field(features),
        classes_field(classes),
        None if reference is None else upload_of(reference),
        target,
    )
    return model_view(live)


@router.post("/models/register", response_model=Model, status_code=201)
async def register_model(body: RegisterRequest, services: ServicesDep) -> dict[str, Any]:
    """A model served elsewhere becomes a `monitored` model: log its predictions with
    `POST /api/models/{id}/predictions` (docs/CLIENT.md)."""
    live = await services.registration.register(
        body.name,
        None if body.features is None else feature_specs(body.features),
        body.classes,
        body.reference_dataset,
    )
    return model_view(live)


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

"""Datasets: list, describe, upload a CSV, and every row (what the traffic simulator sends)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from modelbeacon.api.deps import ServicesDep
from modelbeacon.api.schemas import Dataset, DatasetRows
from modelbeacon.api.uploads import upload_of

router = APIRouter(tags=["datasets"])


@router.get("/datasets", response_model=list[Dataset])
async def list_datasets(services: ServicesDep) -> list[dict[str, Any]]:
    return await services.datasets.all()


@router.post("/datasets", response_model=Dataset, status_code=201)
async def upload_dataset(
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="a CSV file: header row, UTF-8, comma")],
    target: Annotated[str, Form(min_length=1, description="the column of class labels")],
    name: Annotated[
        str | None,
        Form(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$",
            description="the dataset's name (default: from the file name)",
        ),
    ] = None,
) -> dict[str, Any]:
    """Keep a CSV as a dataset to train on; its columns' kinds are inferred (docs/MODELS.md)."""
    upload = upload_of(file)
    return await services.datasets.upload(upload.chunks, upload.filename, name, target)


@router.get("/datasets/{name}", response_model=Dataset)
async def get_dataset(name: str, services: ServicesDep) -> dict[str, Any]:
    return await services.datasets.get(name)


@router.get("/datasets/{name}/rows", response_model=DatasetRows)
async def dataset_rows(name: str, services: ServicesDep) -> dict[str, Any]:
    return await services.datasets.rows(name)

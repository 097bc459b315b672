"""Datasets: list, describe, and every row (what the traffic simulator sends)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelbeacon.api.deps import ServicesDep
from modelbeacon.api.schemas import Dataset, DatasetRows

router = APIRouter(tags=["datasets"])


@router.get("/datasets", response_model=list[Dataset])
async def list_datasets(services: ServicesDep) -> list[dict[str, Any]]:
    return await services.datasets.all()


@router.get("/datasets/{name}", response_model=Dataset)
async def get_dataset(name: str, services: ServicesDep) -> dict[str, Any]:
    return await services.datasets.get(name)


@router.get("/datasets/{name}/rows", response_model=DatasetRows)
async def dataset_rows(name: str, services: ServicesDep) -> dict[str, Any]:
    return await services.datasets.rows(name)

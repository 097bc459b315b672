"""Live numbers: per model, the active model, the whole system; liveness; client config."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from modelbeacon.api.deps import ServicesDep
from modelbeacon.api.schemas import (
    ActiveStatus,
    Health,
    MetricsHistory,
    ModelId,
    RealtimeMetrics,
    SystemOverview,
)
from modelbeacon.settings import ClientConfig

router = APIRouter(tags=["monitoring"])


@router.get("/health", response_model=Health)
async def health(services: ServicesDep) -> Any:
    """Liveness plus readiness of the database and the event bus (503 when one is down)."""
    return await services.readiness.check()


@router.get("/config", response_model=ClientConfig)
async def client_config(services: ServicesDep) -> ClientConfig:
    """Thresholds and intervals, so the dashboard colours numbers as the server judges them."""
    return services.settings.client_config()


@router.get("/models/active/status", response_model=ActiveStatus)
async def active_status(services: ServicesDep) -> dict[str, Any]:
    return services.monitoring.active_status()


@router.get("/models/{model_id}/metrics/realtime", response_model=RealtimeMetrics)
async def realtime_metrics(model_id: ModelId, services: ServicesDep) -> dict[str, Any]:
    return services.monitoring.realtime(model_id)


@router.get("/models/{model_id}/metrics/history", response_model=MetricsHistory)
async def metrics_history(
    model_id: ModelId,
    services: ServicesDep,
    seconds: int = Query(900, ge=1, le=86400, description="how far back, in seconds"),
) -> dict[str, Any]:
    """One point per step of the last ``seconds``, oldest first; survives restarts."""
    points = await services.history.points(model_id, seconds)
    return {
        "model_id": str(model_id),
        "step_seconds": services.settings.history_step_seconds,
        "points": [point.as_dict() for point in points],
    }


@router.get("/monitoring/system", response_model=SystemOverview)
async def system_overview(services: ServicesDep) -> dict[str, Any]:
    return {**services.monitoring.system(), "pipeline": services.pipeline.report()}

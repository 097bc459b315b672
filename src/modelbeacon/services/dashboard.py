"""What a dashboard starts from: the ``snapshot`` a WebSocket client receives first."""

from __future__ import annotations

from typing import Any

from modelbeacon.errors import UnavailableError
from modelbeacon.events import Event
from modelbeacon.events.types import SNAPSHOT
from modelbeacon.services.catalog import ModelCatalog
from modelbeacon.services.monitoring import MonitoringService
from modelbeacon.services.training import TrainingService
from modelbeacon.services.views import job_view, model_view


class DashboardSnapshot:
    """Builds the ``snapshot`` event: config, machine, models, their numbers, running jobs."""

    def __init__(
        self,
        catalog: ModelCatalog,
        monitoring: MonitoringService,
        training: TrainingService,
        client_config: dict[str, Any],
    ) -> None:
        self._catalog = catalog
        self._monitoring = monitoring
        self._training = training
        self._client_config = client_config

    async def event(self) -> Event:
        """All a dashboard renders at once. A model whose numbers cannot be computed yet is
        left out of ``metrics`` rather than keeping dashboards out."""
        live_models = self._catalog.all()
        active_id = self._catalog.active_id
        active = model_view(self._catalog.active()) if active_id is not None else None
        metrics: dict[str, Any] = {}
        for live in live_models:
            if live.monitor.total_predictions or live.record.id == active_id:
                try:
                    metrics[live.key] = self._monitoring.metrics(live)
                except UnavailableError:
                    continue
        return Event(
            SNAPSHOT,
            {
                "config": self._client_config,
                "system": self._monitoring.system_status(),
                "active_model": active,
                "models": [model_view(live) for live in live_models],
                "metrics": metrics,
                "training": [job_view(job) for job in self._training.running_jobs()],
            },
        )

"""The object graph the app factory builds, handed to routers as one dependency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelbeacon.errors import UnavailableError
from modelbeacon.events import BusPublisher, Event, EventBus, EventHub
from modelbeacon.events.types import SNAPSHOT
from modelbeacon.services.catalog import ModelCatalog
from modelbeacon.services.datasets import DatasetService
from modelbeacon.services.deployment import DeploymentService
from modelbeacon.services.feedback import FeedbackService
from modelbeacon.services.monitoring import MonitoringService
from modelbeacon.services.pipeline import PipelineReporter
from modelbeacon.services.prediction import PredictionService
from modelbeacon.services.training import TrainingService
from modelbeacon.services.views import job_view, model_view
from modelbeacon.settings import Settings
from modelbeacon.storage.log_writer import LogWriter
from modelbeacon.storage.repository import Database, PredictionRepository

CLIENT_CONFIG_FIELDS = (
    "accuracy_warning",
    "accuracy_critical",
    "min_labelled",
    "latency_p95_warning_ms",
    "latency_p95_critical_ms",
    "error_rate_warning",
    "error_rate_critical",
    "system_interval",
    "metrics_interval",
    "prediction_interval",
)


@dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    bus: EventBus
    publisher: BusPublisher
    hub: EventHub
    predictions: PredictionRepository
    writer: LogWriter
    catalog: ModelCatalog
    training: TrainingService
    deployment: DeploymentService
    prediction: PredictionService
    feedback: FeedbackService
    monitoring: MonitoringService
    pipeline: PipelineReporter
    datasets: DatasetService

    def client_config(self) -> dict[str, Any]:
        """Thresholds and intervals, so dashboards judge numbers as the server does."""
        return {name: getattr(self.settings, name) for name in CLIENT_CONFIG_FIELDS}

    async def snapshot_event(self) -> Event:
        """The ``snapshot`` a WebSocket client receives first: all a dashboard renders."""
        live_models = self.catalog.all()
        active = model_view(self.catalog.active()) if self.catalog.active_id is not None else None
        metrics: dict[str, Any] = {}
        for live in live_models:
            if live.monitor.total_predictions or live.record.id == self.catalog.active_id:
                try:
                    metrics[live.key] = self.monitoring.metrics(live)
                except UnavailableError:
                    continue  # no numbers yet; one model must not keep dashboards out
        return Event(
            SNAPSHOT,
            {
                "config": self.client_config(),
                "system": self.monitoring.system_status(),
                "active_model": active,
                "models": [model_view(live) for live in live_models],
                "metrics": metrics,
                "training": [job_view(job) for job in self.training.running_jobs()],
            },
        )

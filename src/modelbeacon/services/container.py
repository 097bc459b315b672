"""The use cases the app factory builds, handed to routers as one dependency.

Routers see services only: no repository, database or log writer is reachable from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelbeacon.events import EventBus, EventHub
from modelbeacon.services.dashboard import DashboardSnapshot
from modelbeacon.services.datasets import DatasetService
from modelbeacon.services.deployment import DeploymentService
from modelbeacon.services.feedback import FeedbackService
from modelbeacon.services.history import MetricsHistory
from modelbeacon.services.imports import ImportService
from modelbeacon.services.ingest import IngestService
from modelbeacon.services.models import ModelQueries
from modelbeacon.services.monitoring import MonitoringService
from modelbeacon.services.pipeline import PipelineReporter
from modelbeacon.services.prediction import PredictionService
from modelbeacon.services.readiness import Readiness
from modelbeacon.services.registration import RegistrationService
from modelbeacon.services.training import TrainingService
from modelbeacon.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    bus: EventBus
    hub: EventHub
    models: ModelQueries
    training: TrainingService
    deployment: DeploymentService
    prediction: PredictionService
    feedback: FeedbackService
    monitoring: MonitoringService
    history: MetricsHistory
    dashboard: DashboardSnapshot
    readiness: Readiness
    pipeline: PipelineReporter
    datasets: DatasetService
    imports: ImportService
    registration: RegistrationService
    ingest: IngestService

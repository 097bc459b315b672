"""The object graph the app factory builds, handed to routers as one dependency."""

from __future__ import annotations

from dataclasses import dataclass

from modelbeacon.events import EventBus
from modelbeacon.services.catalog import ModelCatalog
from modelbeacon.services.deployment import DeploymentService
from modelbeacon.services.feedback import FeedbackService
from modelbeacon.services.monitoring import MonitoringService
from modelbeacon.services.prediction import PredictionService
from modelbeacon.services.training import TrainingService
from modelbeacon.settings import Settings
from modelbeacon.storage.log_writer import LogWriter
from modelbeacon.storage.repository import Database, PredictionRepository


@dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    bus: EventBus
    predictions: PredictionRepository
    writer: LogWriter
    catalog: ModelCatalog
    training: TrainingService
    deployment: DeploymentService
    prediction: PredictionService
    feedback: FeedbackService
    monitoring: MonitoringService

"""``create_app(settings)``: the one composition root.

Everything with state (engine, repositories, log writer, catalog, services, event bus) is built
in the lifespan from ``Settings`` and torn down in reverse order, so tests can build as many
independent apps as they like and nothing is created at import time. Routers get the
``Services`` (use cases only); repositories, the database and the log writer stay in here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from modelbeacon import __version__
from modelbeacon.api import datasets, models, monitoring, predictions, ws
from modelbeacon.api.deps import require_api_key
from modelbeacon.api.errors import install_error_handlers
from modelbeacon.api.limits import BodySizeLimit
from modelbeacon.clock import Clock, system_clock
from modelbeacon.events import EVENTS_CHANNEL, BusPublisher, EventHub, create_bus
from modelbeacon.registry import ArtifactStore
from modelbeacon.services.announcer import StatusAnnouncer
from modelbeacon.services.catalog import ModelCatalog
from modelbeacon.services.container import Services
from modelbeacon.services.dashboard import DashboardSnapshot
from modelbeacon.services.datasets import DatasetService
from modelbeacon.services.deployment import DeploymentService
from modelbeacon.services.feedback import FeedbackService
from modelbeacon.services.history import MetricsHistory
from modelbeacon.services.imports import ImportService
from modelbeacon.services.ingest import IngestService
from modelbeacon.services.live import LiveFeed
from modelbeacon.services.models import ModelQueries
from modelbeacon.services.monitoring import MonitoringService
from modelbeacon.services.pipeline import PipelineReporter
from modelbeacon.services.prediction import PredictionService
from modelbeacon.services.readiness import Readiness
from modelbeacon.services.registration import RegistrationService
from modelbeacon.services.system_probe import SystemProbe
from modelbeacon.services.training import TrainingService
from modelbeacon.services.upkeep import Upkeep
from modelbeacon.settings import Settings
from modelbeacon.storage.database import Database, create_db_engine, migrate
from modelbeacon.storage.dataset_repository import DatasetRepository
from modelbeacon.storage.history_repository import MetricsHistoryRepository
from modelbeacon.storage.job_repository import JobRepository
from modelbeacon.storage.log_writer import LogWriter
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.tasks import in_thread

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).with_name("web")
#: The multipart routes whose bodies may be as large as an upload (MODELBEACON_MAX_UPLOAD_BYTES)
UPLOAD_PATHS = frozenset({"/api/datasets", "/api/models/import"})


@asynccontextmanager
async def build_services(settings: Settings, clock: Clock) -> AsyncIterator[Services]:
    """Build, start and finally stop every stateful part, in dependency order."""
    async with AsyncExitStack() as stack:
        engine = create_db_engine(settings.database_url)
        stack.callback(engine.dispose)
        await in_thread(migrate, engine)
        database = Database(engine)
        model_repo = ModelRepository(database)
        artifacts = ArtifactStore(settings.artifact_dir)
        job_repo = JobRepository(database)
        prediction_repo = PredictionRepository(database)
        history_repo = MetricsHistoryRepository(database)
        interrupted = await in_thread(model_repo.fail_interrupted, clock())
        if interrupted:
            logger.warning("marked %d interrupted training job(s) as failed", interrupted)

        bus = create_bus(settings.redis_url)
        await stack.enter_async_context(bus)
        hub = EventHub(queue_size=settings.ws_queue_size)
        await stack.enter_async_context(hub.running(bus, EVENTS_CHANNEL))
        publisher = await stack.enter_async_context(BusPublisher(bus, EVENTS_CHANNEL).running())
        announcer = StatusAnnouncer(publisher)

        catalog = ModelCatalog(
            model_repo, prediction_repo, artifacts,
            settings.health_policy(), clock,
        )  # fmt: skip
        await in_thread(catalog.load)

        writer = LogWriter(
            prediction_repo,
            flush_interval=settings.log_flush_interval,
            flush_rows=settings.log_flush_rows,
        )
        await stack.enter_async_context(writer.running())
        executor = ThreadPoolExecutor(
            max_workers=settings.predict_workers, thread_name_prefix="modelbeacon-predict"
        )
        stack.callback(executor.shutdown, wait=True)

        datasets = DatasetService(
            DatasetRepository(database), artifacts, clock, settings.max_upload_bytes
        )
        training = TrainingService(
            catalog, datasets, model_repo, job_repo, settings.artifact_dir, publisher, clock,
            settings.training_workers,
        )  # fmt: skip
        await stack.enter_async_context(training.running())

        probe = SystemProbe(
            settings.artifact_dir,
            settings.memory_limit_mb,
            warning_percent=settings.resource_warning_percent,
            critical_percent=settings.resource_critical_percent,
        )
        monitoring = MonitoringService(
            catalog, announcer, publisher, probe, clock, lambda: hub.active_connections
        )
        await stack.enter_async_context(
            LiveFeed(catalog, monitoring, publisher, settings).running()
        )
        history = await stack.enter_async_context(
            MetricsHistory(
                catalog, monitoring, history_repo, prediction_repo, publisher, settings, clock
            ).running()
        )
        upkeep = await stack.enter_async_context(
            Upkeep(
                catalog, monitoring, prediction_repo, history_repo, writer, probe, settings, clock
            ).running()
        )
        yield Services(
            settings=settings,
            bus=bus,
            hub=hub,
            models=ModelQueries(catalog),
            training=training,
            deployment=DeploymentService(catalog, model_repo, announcer, publisher, clock),
            prediction=PredictionService(
                catalog,
                writer,
                prediction_repo,
                announcer,
                executor,
                clock,
                settings.max_batch_size,
            ),
            feedback=FeedbackService(catalog, prediction_repo, writer, announcer, clock),
            monitoring=monitoring,
            history=history,
            dashboard=DashboardSnapshot(
                catalog, monitoring, training, dataclasses.asdict(settings.client_config())
            ),
            readiness=Readiness(database),
            pipeline=PipelineReporter(monitoring, hub, publisher, writer, upkeep),
            datasets=datasets,
            imports=ImportService(catalog, model_repo, artifacts, clock, settings.max_upload_bytes),
            registration=RegistrationService(catalog, model_repo, datasets, publisher, clock),
            ingest=IngestService(
                catalog,
                prediction_repo,
                announcer,
                clock,
                max_batch_size=settings.max_batch_size,
                retention_days=settings.retention_days,
                backfill_history=history.backfill,
            ),
        )


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    """A modelbeacon ASGI app; its lifespan owns every resource."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with build_services(settings, clock) as services:
            app.state.services = services
            yield

    app = FastAPI(
        title="modelbeacon",
        version=__version__,
        summary="Train, deploy and serve scikit-learn models, and see live how they are doing.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_paths=UPLOAD_PATHS,
        max_upload_bytes=settings.max_upload_bytes,
    )
    for router in (monitoring.router, models.router, predictions.router, datasets.router):
        app.include_router(router, prefix="/api", dependencies=[Depends(require_api_key)])
    app.include_router(ws.router)
    if (WEB_DIR / "index.html").exists():
        app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

        @app.get("/", include_in_schema=False)
        async def dashboard() -> FileResponse:
            return FileResponse(WEB_DIR / "index.html")

    return app

"""Training jobs: validate, register the next version, train in a child process, report.

Progress is kept in memory while a job runs (``GET /api/training/{id}`` reads it there) and
written to the database at each stage change and at most every ``_PERSIST_SECONDS``, so a
restart shows where a job got to. Jobs a stopped server left unfinished are marked failed
at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

from modelbeacon.clock import Clock
from modelbeacon.errors import InvalidInputError, JobNotFoundError, ModelbeaconError
from modelbeacon.events.types import TRAINING_COMPLETED, TRAINING_FAILED, TRAINING_PROGRESS
from modelbeacon.registry import (
    TrainingProgress,
    TrainingSpec,
    make_artifact_key,
    validate_spec,
)
from modelbeacon.services.catalog import ModelCatalog
from modelbeacon.services.datasets import DatasetService
from modelbeacon.services.notify import EventSink
from modelbeacon.services.training_process import TrainingOutcome, TrainingProcess
from modelbeacon.storage.job_repository import JobRepository
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.storage.records import JobRecord, ModelRecord, TrainedFields
from modelbeacon.tasks import in_thread

logger = logging.getLogger(__name__)

_PERSIST_SECONDS = 0.5
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def check_model_name(name: str) -> None:
    """Raise ``InvalidInputError`` unless ``name`` can name a model (trained or imported)."""
    if not _NAME.match(name):
        raise InvalidInputError(
            "name must be 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit",
            details={"name": name},
        )


class TrainingService:
    def __init__(
        self,
        catalog: ModelCatalog,
        datasets: DatasetService,
        models: ModelRepository,
        jobs: JobRepository,
        artifact_root: Path,
        sink: EventSink,
        clock: Clock,
        workers: int,
    ) -> None:
        self._catalog = catalog
        self._datasets = datasets
        self._models = models
        self._jobs = jobs
        self._artifact_root = artifact_root
        self._sink = sink
        self._clock = clock
        self._slots = asyncio.Semaphore(workers)
        self._running: dict[int, JobRecord] = {}
        self._processes: set[TrainingProcess] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(
        self, name: str, dataset: str, algorithm: str, params: dict[str, Any]
    ) -> JobRecord:
        """Validate and queue a training; returns the queued job (202 for the caller)."""
        check_model_name(name)
        source = await self._datasets.source(dataset)
        spec = TrainingSpec(dataset=dataset, algorithm=algorithm, params=params, source=source)
        await asyncio.to_thread(validate_spec, spec)
        model, job = await in_thread(
            self._models.create_for_training, name, dataset, algorithm, dict(params), self._clock()
        )
        self._catalog.add(model)
        self._running[job.id] = job
        task = asyncio.create_task(self._run(job, model, spec), name=f"train-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def job(self, job_id: int) -> JobRecord:
        if job_id in self._running:
            return self._running[job_id]
        job = await in_thread(self._jobs.get, job_id)
        if job is None:
            raise JobNotFoundError(f"no training job with id {job_id}", details={"job_id": job_id})
        return job

    def running_jobs(self) -> list[JobRecord]:
        return list(self._running.values())

    def _progress(self, job_id: int, progress: TrainingProgress) -> None:
        previous = self._running.get(job_id)
        if previous is None:
            # A report relayed from the waiting thread after the job already ended.
            return
        job = replace(
            previous,
            state="running",
            stage=progress.stage,
            progress=max(previous.progress, round(progress.progress, 1)),
            details=progress.details,
        )
        self._running[job_id] = job
        self._sink.emit(
            TRAINING_PROGRESS,
            {
                "job_id": str(job.id),
                "model_id": str(job.model_id),
                "stage": job.stage,
                "progress": job.progress,
                "details": job.details,
            },
            model_id=str(job.model_id),
        )

    async def _persist_progress(self, job_id: int) -> None:
        written: JobRecord | None = None
        while True:
            job = self._running[job_id]
            if job != written:
                await in_thread(
                    self._jobs.update,
                    job_id,
                    state=job.state,
                    stage=job.stage,
                    progress=job.progress,
                    details=job.details,
                )
                written = job
            await asyncio.sleep(_PERSIST_SECONDS)

    async def _run(self, job: JobRecord, model: ModelRecord, spec: TrainingSpec) -> None:
        async with self._slots:
            persister = asyncio.create_task(self._persist_progress(job.id))
            outcome: TrainingOutcome | None = None
            error = "cancelled: the server is shutting down"
            try:
                outcome = await self._train(job, model, spec)
            except ModelbeaconError as exc:
                error = exc.message
            finally:
                # The persister writes the running state; stop it (and let an in-flight write
                # finish) before the final state is written, or it could overwrite "completed".
                # Not cancel_and_wait: when this task is itself cancelled at shutdown it must
                # still go on to record the job as failed below.
                persister.cancel()
                with suppress(asyncio.CancelledError):
                    await persister
                try:
                    if outcome is not None:
                        try:
                            await self._succeed(job.id, model, outcome)
                        except ModelbeaconError as exc:
                            await self._fail(job.id, model, f"could not register: {exc.message}")
                    else:
                        await self._fail(job.id, model, error)
                finally:
                    self._running.pop(job.id, None)

    async def _train(
        self, job: JobRecord, model: ModelRecord, spec: TrainingSpec
    ) -> TrainingOutcome:
        loop = asyncio.get_running_loop()

        def relay(progress: TrainingProgress) -> None:
            # Runs in the waiting thread: hand the report to the event loop.
            loop.call_soon_threadsafe(self._progress, job.id, progress)

        key = make_artifact_key(model.name, f"v{model.version}", model.id)
        process = TrainingProcess(spec, self._artifact_root, key)
        self._processes.add(process)
        try:
            return await asyncio.to_thread(process.wait, relay)
        finally:
            self._processes.discard(process)

    async def _succeed(self, job_id: int, model: ModelRecord, outcome: TrainingOutcome) -> None:
        trained = TrainedFields(
            validation_accuracy=outcome.validation_accuracy,
            feature_names=outcome.feature_names,
            classes=outcome.classes,
            reference=outcome.reference,
            calibration=outcome.calibration,
            artifact_path=outcome.artifact.path,
            artifact_sha256=outcome.artifact.sha256,
            artifact_trusted_types=outcome.artifact.trusted_types,
            features=outcome.features,
            accepts_missing=outcome.accepts_missing,
        )
        now = self._clock()
        record = await in_thread(self._models.mark_ready, model.id, trained, now)
        # Nothing was served while training, so a fresh monitor (with the new training-set
        # reference for drift) loses nothing; training_completed announces the change.
        self._catalog.add(record)
        await in_thread(
            self._jobs.update,
            job_id,
            state="completed",
            stage="ready",
            progress=100.0,
            details=f"validation accuracy {outcome.validation_accuracy:.3f}",
            finished_at=now,
        )
        self._progress(job_id, TrainingProgress("ready", 100.0, "model ready to deploy"))
        self._sink.emit(
            TRAINING_COMPLETED,
            {
                "job_id": str(job_id),
                "model_id": str(model.id),
                "validation_accuracy": outcome.validation_accuracy,
            },
            model_id=str(model.id),
        )

    async def _fail(self, job_id: int, model: ModelRecord, error: str) -> None:
        logger.warning("training job %s failed: %s", job_id, error)
        # Best effort: with the database down the job stays unfinished there, and the next
        # start marks it failed (fail_interrupted); the event and the log still say why.
        with suppress(ModelbeaconError):
            await in_thread(self._models.mark_failed, model.id, error)
            await in_thread(
                self._jobs.update,
                job_id,
                state="failed",
                stage="failed",
                error=error,
                finished_at=self._clock(),
            )
            fresh = await in_thread(self._models.get, model.id)
            if fresh is not None:
                self._catalog.replace_record(fresh).monitor.set_base_status("failed")
        self._sink.emit(
            TRAINING_FAILED,
            {"job_id": str(job_id), "model_id": str(model.id), "error": error},
            model_id=str(model.id),
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[TrainingService]:
        """On exit, stop every training child and wait for its job to be marked failed."""
        try:
            yield self
        finally:
            for process in list(self._processes):
                process.terminate()
            for task in list(self._tasks):
                task.cancel()
            for task in list(self._tasks):
                with suppress(asyncio.CancelledError, ModelbeaconError):
                    await task

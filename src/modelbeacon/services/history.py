"""The metrics history: one point per step per deployed model, stored, served and pushed.

At every step (wall-clock multiples of ``history_step_seconds``) each model in use (status
``active``, ``monitored`` or ``degraded``) gets one ``HistoryPoint`` from the cached snapshot REST
serves. The point is published at once as ``metrics_history`` (unless ``feature_realtime_metrics``
is off) and queued for the database, and another task writes the queue in a worker thread every
``FLUSH_INTERVAL_SECONDS``, so neither the step schedule nor the predict path waits on the database.
Through a database outage the queue keeps the newest ``MAX_PENDING_POINTS`` points; what is left is
written on exit.

A point is only ever numbers measured at its step: a step the loop woke too late for, and a
model whose snapshot is stale (its computation failing), get no point rather than a made-up one.
The one exception is ``backfill``: after predictions are logged with earlier timestamps, the
points of the steps they span are recomputed from the log (``services.history_backfill``).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from modelbeacon.clock import Clock
from modelbeacon.errors import ModelbeaconError, UnavailableError
from modelbeacon.events.types import METRICS_HISTORY
from modelbeacon.metrics.history_point import HistoryPoint, history_point
from modelbeacon.services.catalog import ModelCatalog
from modelbeacon.services.history_backfill import HistoryBackfill
from modelbeacon.services.monitoring import MonitoringService
from modelbeacon.services.notify import EventSink
from modelbeacon.settings import Settings
from modelbeacon.storage.history_repository import MetricsHistoryRepository
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.tasks import background, in_thread

logger = logging.getLogger(__name__)

DEPLOYED_STATUSES = frozenset({"active", "monitored", "degraded"})
FLUSH_INTERVAL_SECONDS = 1.0
MAX_PENDING_POINTS = 10_000
"""Points kept for the database while it cannot be written (14 h of one model at 5 s)."""


class MetricsHistory:
    """Takes, stores, serves and pushes the history of every deployed model (one per app)."""

    def __init__(
        self,
        catalog: ModelCatalog,
        monitoring: MonitoringService,
        repository: MetricsHistoryRepository,
        log: PredictionRepository,
        sink: EventSink,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._catalog = catalog
        self._monitoring = monitoring
        self._repository = repository
        self._sink = sink
        self._clock = clock
        self._step = settings.history_step_seconds
        # The flag switches pushes off, not the history: REST keeps serving it.
        self._publish = settings.feature_realtime_metrics
        self._pending: deque[tuple[int, HistoryPoint]] = deque(maxlen=MAX_PENDING_POINTS)
        self._write_lock = asyncio.Lock()
        self._overflowing = False
        self._write_failing = False
        self._backfill = HistoryBackfill(catalog, log, repository, settings, clock)

    def record(self, at: float) -> None:
        """Take the step at ``at`` (unix seconds): one point per deployed model whose numbers
        are fresh, queued for the database and published."""
        for live in self._catalog.all():
            monitor = live.monitor
            if monitor.status not in DEPLOYED_STATUSES:
                continue
            if monitor.base_status == "monitored" and monitor.total_predictions == 0:
                # Registered and silent so far: nothing to draw, and a team may register many.
                continue
            try:
                snapshot, stale = self._monitoring.snapshot(live)
            except UnavailableError:
                continue  # no numbers at all yet; monitoring logged it and said so
            if stale:
                continue
            point = history_point(snapshot, at=at)
            self._queue(live.record.id, point)
            if self._publish:
                self._sink.emit(
                    METRICS_HISTORY,
                    {"model_id": live.key, "step_seconds": self._step, "point": point.as_dict()},
                    model_id=live.key,
                )

    def backfill(self, model_id: int, timestamps: Iterable[float]) -> None:
        """Queue the recomputation of the model's past points that predictions just logged
        with ``timestamps`` change (``HistoryBackfill.request``); returns at once."""
        self._backfill.request(model_id, timestamps)

    async def backfilled(self) -> None:
        """Wait until every queued backfill is written."""
        await self._backfill.settled()

    async def points(self, model_id: int, seconds: int) -> list[HistoryPoint]:
        """The model's points of the last ``seconds``, ``now - seconds < at <= now``, oldest
        first, the ones still queued included. Raises ``ModelNotFoundError`` for an unknown
        model and ``UnavailableError`` while the database cannot be read or written."""
        self._catalog.get(model_id)
        await self.flush()
        now = self._clock()
        return await in_thread(self._repository.between, model_id, now - seconds, now)

    async def flush(self) -> None:
        """Write every queued point; on failure they stay queued and the error is raised."""
        async with self._write_lock:
            if not self._pending:
                return
            batch = list(self._pending)
            self._pending.clear()
            try:
                await in_thread(self._repository.append, batch)
            except BaseException:
                # Back in order ahead of newer points; past the bound, the oldest go.
                self._pending = deque([*batch, *self._pending], maxlen=MAX_PENDING_POINTS)
                raise
        self._overflowing = False

    def _queue(self, model_id: int, point: HistoryPoint) -> None:
        if len(self._pending) == MAX_PENDING_POINTS and not self._overflowing:
            self._overflowing = True
            logger.warning(
                "metrics history: %d points wait for the database; dropping the oldest",
                MAX_PENDING_POINTS,
            )
        self._pending.append((model_id, point))

    async def _take_steps(self) -> None:
        last_slot: int | None = None
        while True:
            now = self._clock()
            slot = math.floor(now / self._step)
            # "Greater", not "different": after the clock stepped back, the steps already
            # taken are not taken again.
            if last_slot is None or slot > last_slot:
                last_slot = slot
                try:
                    self.record(slot * self._step)
                except Exception:
                    logger.exception("metrics history step failed; taking the next one")
            # Wake at the next step's start (float rounding can put it a hair before now).
            await asyncio.sleep(max(0.001, (slot + 1) * self._step - now))

    async def _write_regularly(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_SECONDS)
            try:
                await self.flush()
            except ModelbeaconError as exc:
                if not self._write_failing:
                    logger.warning("metrics history write failed, retrying: %s", exc)
                self._write_failing = True
            else:
                if self._write_failing:
                    logger.info("metrics history writes work again")
                self._write_failing = False

    @asynccontextmanager
    async def running(self) -> AsyncIterator[MetricsHistory]:
        """Take steps and write them for the context's duration; on exit, write what is
        queued (a failure is logged, not raised)."""
        try:
            async with (
                background(self._take_steps(), name="modelbeacon-history-steps"),
                background(self._write_regularly(), name="modelbeacon-history-writer"),
                self._backfill.running(),
            ):
                yield self
        finally:
            try:
                await self.flush()
            except ModelbeaconError as exc:
                logger.error(
                    "could not write %d metrics history points at shutdown: %s",
                    len(self._pending),
                    exc,
                )

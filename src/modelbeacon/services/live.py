"""The push schedules of the WebSocket contract (DESIGN.md section 5), as background tasks.

- ``system_metrics`` every ``system_interval``;
- ``model_metrics_update`` per model at most once per ``metrics_interval``, only when a number
  changed, and ``model_status_realtime`` for the active model with each such tick;
- ``prediction_logged`` at most once per ``prediction_interval`` per model with the count since
  the last message and up to 20 of the newest predictions.

Each schedule reads the same cached snapshots REST serves, so a pushed number equals the REST
number of that moment. ``model_status_change``, ``model_deployed`` and training events are
emitted at once by the services themselves, not here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from modelbeacon.errors import UnavailableError
from modelbeacon.events.coalescing import MAX_PREDICTIONS_PER_MESSAGE
from modelbeacon.events.types import (
    MODEL_METRICS_UPDATE,
    MODEL_STATUS_REALTIME,
    PREDICTION_LOGGED,
    SYSTEM_METRICS,
)
from modelbeacon.metrics import MetricsSnapshot
from modelbeacon.services.catalog import ModelCatalog
from modelbeacon.services.monitoring import MonitoringService
from modelbeacon.services.notify import EventSink
from modelbeacon.services.views import pushed_prediction_view
from modelbeacon.settings import Settings
from modelbeacon.tasks import background

logger = logging.getLogger(__name__)


async def _every(interval: float, tick: Callable[[], Awaitable[None] | None], name: str) -> None:
    """Run ``tick`` every ``interval`` seconds; an exception is logged, never fatal."""
    while True:
        try:
            result = tick()
            if result is not None:
                await result
        except Exception:
            logger.exception("%s tick failed; retrying next interval", name)
        await asyncio.sleep(interval)


class LiveFeed:
    def __init__(
        self,
        catalog: ModelCatalog,
        monitoring: MonitoringService,
        sink: EventSink,
        settings: Settings,
    ) -> None:
        self._catalog = catalog
        self._monitoring = monitoring
        self._sink = sink
        self._settings = settings
        self._sent: dict[int, MetricsSnapshot] = {}
        self._totals: dict[int, int] = {}

    def tick_system(self) -> None:
        self._sink.emit(SYSTEM_METRICS, self._monitoring.system_status())

    def tick_metrics(self) -> None:
        for live in self._catalog.all():
            monitor = live.monitor
            if monitor.total_predictions == 0 and live.record.status != "active":
                continue
            try:
                snapshot, stale = self._monitoring.snapshot(live)
            except UnavailableError:
                # No numbers yet (monitoring logged it and sent metrics_degraded); the other
                # models still get their updates.
                continue
            previous = self._sent.get(live.record.id)
            if previous is None or not snapshot.same_numbers(previous):
                self._sent[live.record.id] = snapshot
                self._sink.emit(
                    MODEL_METRICS_UPDATE, {**snapshot.as_dict(), "stale": stale},
                    model_id=live.key,
                )  # fmt: skip
            if live.record.id == self._catalog.active_id:
                self._sink.emit(
                    MODEL_STATUS_REALTIME,
                    {
                        "model_id": live.key,
                        "status": snapshot.status,
                        "health": snapshot.model_health,
                        "uptime_seconds": snapshot.uptime_seconds,
                    },
                    model_id=live.key,
                )

    def tick_predictions(self) -> None:
        for live in self._catalog.all():
            total = live.monitor.total_predictions
            # ``running`` recorded every model present at startup; one created since started
            # from zero, and its first predictions are news too.
            last = self._totals.get(live.record.id, 0)
            if total == last:
                continue
            self._totals[live.record.id] = total
            count = total - last
            newest = live.monitor.newest(min(count, MAX_PREDICTIONS_PER_MESSAGE))
            self._sink.emit(
                PREDICTION_LOGGED,
                {
                    "model_id": live.key,
                    "count": count,
                    "total_predictions": total,
                    "predictions": [pushed_prediction_view(r) for r in newest],
                },
                model_id=live.key,
            )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[LiveFeed]:
        """Run the schedules the feature flags allow; cancel them on exit."""
        s = self._settings
        schedules: list[tuple[float, Callable[[], None], str]] = [
            (s.system_interval, self.tick_system, "system_metrics"),
        ]
        if s.feature_realtime_metrics:
            schedules.append((s.metrics_interval, self.tick_metrics, "model_metrics_update"))
        if s.feature_prediction_events:
            # Start from the restored totals: a restart is not a burst of new predictions.
            for live in self._catalog.all():
                self._totals[live.record.id] = live.monitor.total_predictions
            schedules.append((s.prediction_interval, self.tick_predictions, "prediction_logged"))
        async with AsyncExitStack() as stack:
            for interval, tick, name in schedules:
                await stack.enter_async_context(
                    background(_every(interval, tick, name), name=f"live-{name}")
                )
            yield self

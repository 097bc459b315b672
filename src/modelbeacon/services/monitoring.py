"""Live numbers for readers: per-model snapshots, the active model, the machine.

Transitions an evaluation finds go to the ``StatusAnnouncer``. Snapshots are cached for
``SNAPSHOT_TTL_SECONDS`` so many readers (REST polls, the push schedules) share one computation;
the contract allows reads to be that stale, no more. If computing a model's snapshot fails, its
last good one is served with ``stale: true`` and one ``metrics_degraded`` event is sent for that
model, then one with ``degraded: false`` once a computation succeeds again. A failed attempt is
cached like a good one, so a failing model still costs one attempt per TTL, however many read.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelbeacon.clock import Clock, iso_utc
from modelbeacon.errors import UnavailableError
from modelbeacon.events.types import METRICS_DEGRADED
from modelbeacon.metrics import MetricsSnapshot
from modelbeacon.services.announcer import StatusAnnouncer
from modelbeacon.services.catalog import LiveModel, ModelCatalog
from modelbeacon.services.notify import EventSink
from modelbeacon.services.system_probe import SystemProbe
from modelbeacon.services.views import format_uptime, model_view

logger = logging.getLogger(__name__)

SNAPSHOT_TTL_SECONDS = 0.1
_TIMINGS_KEPT = 200


def _unavailable(live: LiveModel) -> UnavailableError:
    return UnavailableError(
        f"the live metrics of model {live.key} cannot be computed right now; "
        "they come back by themselves once a computation succeeds",
        details={"model_id": live.key},
    )


@dataclass(frozen=True, slots=True)
class _CacheEntry:
    at: float
    """``time.monotonic()`` of the computation attempt."""
    snapshot: MetricsSnapshot | None
    """The last good numbers (``None`` while no computation ever succeeded)."""
    stale: bool
    """True when the attempt at ``at`` failed and ``snapshot`` is older."""


@dataclass(frozen=True, slots=True)
class ComputeStats:
    last_ms: float | None
    p95_ms: float | None
    computations: int
    failures: int
    degraded: bool


class MonitoringService:
    def __init__(
        self,
        catalog: ModelCatalog,
        announcer: StatusAnnouncer,
        sink: EventSink,
        probe: SystemProbe,
        clock: Clock,
        connection_count: Callable[[], int],
    ) -> None:
        self._catalog = catalog
        self._announcer = announcer
        self._sink = sink
        self._probe = probe
        self._clock = clock
        self._connection_count = connection_count
        self._cache: dict[int, _CacheEntry] = {}
        self._timings: deque[float] = deque(maxlen=_TIMINGS_KEPT)
        self._computations = 0
        self._failures = 0
        # Per model: one model's recovery must not end (and re-announce) another's failure.
        self._degraded: set[int] = set()

    def snapshot(self, live: LiveModel) -> tuple[MetricsSnapshot, bool]:
        """Numbers for one model and whether they are stale (the last good ones).

        Announces any transition the evaluation found. Raises ``UnavailableError`` while the
        model's metrics cannot be computed and no computation ever succeeded (there are no
        good numbers to fall back on).
        """
        key = live.record.id
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached.at < SNAPSHOT_TTL_SECONDS:
            if cached.snapshot is None:
                raise _unavailable(live)
            return cached.snapshot, cached.stale
        started = time.perf_counter()
        try:
            snapshot, transitions = live.monitor.evaluate(self._clock())
        except Exception as exc:
            self._failures += 1
            last_good = cached.snapshot if cached is not None else None
            self._cache[key] = _CacheEntry(now, last_good, stale=True)
            if key not in self._degraded:
                self._degraded.add(key)
                logger.exception("computing the metrics of model %s failed", key)
                self._sink.emit(METRICS_DEGRADED, {"degraded": True, "model_id": live.key})
            else:
                logger.debug("computing the metrics of model %s failed again", key, exc_info=True)
            if last_good is None:
                raise _unavailable(live) from exc
            return last_good, True
        self._timings.append((time.perf_counter() - started) * 1000.0)
        self._computations += 1
        if key in self._degraded:
            self._degraded.discard(key)
            logger.info("computing the metrics of model %s works again", key)
            self._sink.emit(METRICS_DEGRADED, {"degraded": False, "model_id": live.key})
        self._cache[key] = _CacheEntry(now, snapshot, stale=False)
        self._announcer.announce(transitions)
        return snapshot, False

    def metrics(self, live: LiveModel) -> dict[str, Any]:
        """The live-metrics payload of docs/PAYLOADS.md (with ``stale``)."""
        snapshot, stale = self.snapshot(live)
        return {**snapshot.as_dict(), "stale": stale}

    def realtime(self, model_id: int) -> dict[str, Any]:
        return self.metrics(self._catalog.get(model_id))

    def trim(self) -> None:
        """Drop cached snapshots (the memory guard calls this when RSS is over the limit)."""
        self._cache.clear()

    def compute_stats(self) -> ComputeStats:
        timings = sorted(self._timings)
        p95 = timings[max(0, -(-95 * len(timings) // 100) - 1)] if timings else None
        return ComputeStats(
            last_ms=self._timings[-1] if self._timings else None,
            p95_ms=p95,
            computations=self._computations,
            failures=self._failures,
            degraded=bool(self._degraded),
        )

    def active_status(self) -> dict[str, Any]:
        if self._catalog.active_id is None:
            return {
                "active_model": None,
                "status": None,
                "health": None,
                "uptime_seconds": None,
                "metrics": None,
            }
        live = self._catalog.active()
        metrics = self.metrics(live)
        return {
            "active_model": model_view(live),
            "status": metrics["status"],
            "health": metrics["model_health"],
            "uptime_seconds": metrics["uptime_seconds"],
            "metrics": metrics,
        }

    def system_status(self) -> dict[str, Any]:
        return self._probe.read(self._connection_count())

    def system(self) -> dict[str, Any]:
        active = None
        real_time: dict[str, Any] = {
            "predictions_per_minute": 0,
            "live_accuracy": None,
            "accuracy_window": 0,
            "estimated_accuracy": None,
            "latency_ms": None,
            "error_rate": None,
            "total_predictions": 0,
            "model_health": None,
            "model_uptime": None,
            "stale": False,
        }
        if self._catalog.active_id is not None:
            live = self._catalog.active()
            metrics = self.metrics(live)
            active = model_view(live)
            real_time = {
                "predictions_per_minute": metrics["predictions_per_minute"],
                "live_accuracy": metrics["current_accuracy"],
                "accuracy_window": metrics["accuracy_window"],
                "estimated_accuracy": metrics["estimated_accuracy"],
                "latency_ms": metrics["latency_ms"],
                "error_rate": metrics["error_rate"],
                "total_predictions": metrics["total_predictions"],
                "model_health": metrics["model_health"],
                "model_uptime": format_uptime(metrics["uptime_seconds"]),
                "stale": metrics["stale"],
            }
        return {
            "active_model": active,
            "system_status": self.system_status(),
            "real_time_metrics": real_time,
            "timestamp": iso_utc(self._clock()),
        }

"""Background upkeep: self-checks of the incremental metrics, retention, the memory guard.

- every ``upkeep_interval`` (30 s): each model's windows are recomputed from its ring buffer
  and compared with the incremental state; a mismatch is logged, counted and corrected;
- every ``retention_interval`` (hourly): prediction rows older than ``retention_days`` and
  metrics-history points older than ``history_hours`` are deleted in batches, so no single
  statement holds a long lock;
- with every system tick: when the process RSS passes ``memory_limit_mb`` the snapshot cache
  is dropped and the prediction log flushed (system health reads ``warning`` meanwhile).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

from modelbeacon.clock import Clock
from modelbeacon.errors import ModelbeaconError
from modelbeacon.services.catalog import ModelCatalog
from modelbeacon.services.monitoring import MonitoringService
from modelbeacon.services.system_probe import SystemProbe
from modelbeacon.settings import Settings
from modelbeacon.storage.history_repository import MetricsHistoryRepository
from modelbeacon.storage.log_writer import LogWriter
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.tasks import background, in_thread

logger = logging.getLogger(__name__)

RETENTION_BATCH = 5000
_SECONDS_PER_DAY = 86400.0
_SECONDS_PER_HOUR = 3600.0


async def _delete_in_batches(delete: Callable[[float, int], int], cutoff: float) -> int:
    """Call ``delete(cutoff, RETENTION_BATCH)`` in a thread until a batch comes back short;
    return how many rows it deleted in all."""
    deleted = 0
    while True:
        batch = await in_thread(delete, cutoff, RETENTION_BATCH)
        deleted += batch
        if batch < RETENTION_BATCH:
            return deleted


class Upkeep:
    def __init__(
        self,
        catalog: ModelCatalog,
        monitoring: MonitoringService,
        predictions: PredictionRepository,
        history: MetricsHistoryRepository,
        writer: LogWriter,
        probe: SystemProbe,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._catalog = catalog
        self._monitoring = monitoring
        self._predictions = predictions
        self._history = history
        self._writer = writer
        self._probe = probe
        self._settings = settings
        self._clock = clock
        self.recompute_mismatches = 0
        self.rows_deleted = 0
        self.memory_trims = 0

    def check_windows(self) -> int:
        """Recompute every model's windows; return how many mismatches were corrected."""
        found = 0
        for live in self._catalog.all():
            for mismatch in live.monitor.recompute_check():
                found += 1
                logger.error("model %s: incremental metrics drifted: %s", live.key, mismatch)
        self.recompute_mismatches += found
        return found

    async def apply_retention(self) -> int:
        """Delete prediction rows older than the retention period; return how many."""
        await self._writer.flush()
        cutoff = self._clock() - self._settings.retention_days * _SECONDS_PER_DAY
        deleted = await _delete_in_batches(self._predictions.delete_older_than, cutoff)
        if deleted:
            logger.info("retention: deleted %d prediction rows older than %d days",
                        deleted, self._settings.retention_days)  # fmt: skip
        self.rows_deleted += deleted
        return deleted

    async def apply_history_retention(self) -> int:
        """Delete metrics-history points older than ``history_hours``; return how many."""
        cutoff = self._clock() - self._settings.history_hours * _SECONDS_PER_HOUR
        deleted = await _delete_in_batches(self._history.delete_older_than, cutoff)
        if deleted:
            logger.info("retention: deleted %d metrics history points older than %d hours",
                        deleted, self._settings.history_hours)  # fmt: skip
        return deleted

    async def guard_memory(self) -> bool:
        """Trim caches when the process is over its memory limit; True if it was."""
        if not self._probe.over_memory_limit():
            return False
        self.memory_trims += 1
        logger.warning("process RSS above %d MB: trimming caches", self._settings.memory_limit_mb)
        self._monitoring.trim()
        with suppress(ModelbeaconError):
            await self._writer.flush()
        return True

    async def _loop(self) -> None:
        s = self._settings
        next_check = next_retention = next_guard = asyncio.get_running_loop().time()
        while True:
            now = asyncio.get_running_loop().time()
            try:
                if now >= next_check:
                    self.check_windows()
                    next_check = now + s.upkeep_interval
                if now >= next_guard:
                    await self.guard_memory()
                    next_guard = now + s.system_interval
                if now >= next_retention:
                    await self.apply_history_retention()
                    await self.apply_retention()
                    next_retention = now + s.retention_interval
            except ModelbeaconError as exc:
                logger.warning("upkeep step failed, retrying next interval: %s", exc)
            wake = min(next_check, next_guard, next_retention)
            await asyncio.sleep(max(0.05, wake - asyncio.get_running_loop().time()))

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Upkeep]:
        async with background(self._loop(), name="modelbeacon-upkeep"):
            yield self

"""Write-behind prediction log: the predict path appends in O(1), a task writes in batches.

Rows are flushed every ``flush_interval`` seconds or as soon as ``flush_rows`` are pending, and
everything pending is flushed when ``running()`` exits. A failed write keeps its rows (in order,
ahead of newer ones) and is retried with capped exponential backoff, so a database outage delays
the log but loses nothing while the process lives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from modelbeacon.errors import ModelbeaconError
from modelbeacon.prediction import PredictionRecord
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.storage.records import LabelUpdate
from modelbeacon.tasks import background, in_thread

logger = logging.getLogger(__name__)

_MAX_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class LogWriterStats:
    pending_rows: int
    pending_labels: int
    written_rows: int
    written_labels: int
    failures: int
    last_error: str | None


class LogWriter:
    def __init__(
        self, repository: PredictionRepository, *, flush_interval: float, flush_rows: int
    ) -> None:
        self._repository = repository
        self._flush_interval = flush_interval
        self._flush_rows = flush_rows
        self._rows: list[PredictionRecord] = []
        self._labels: list[LabelUpdate] = []
        self._wake = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._written_rows = 0
        self._written_labels = 0
        self._failures = 0
        self._last_error: str | None = None

    def append(self, record: PredictionRecord) -> None:
        """Queue one prediction for the log; never waits (its row is built at write time)."""
        self._rows.append(record)
        if len(self._rows) >= self._flush_rows:
            self._wake.set()

    def append_label(self, label: LabelUpdate) -> None:
        """Queue a label for a row queued or written earlier; never waits."""
        self._labels.append(label)

    def stats(self) -> LogWriterStats:
        return LogWriterStats(
            pending_rows=len(self._rows),
            pending_labels=len(self._labels),
            written_rows=self._written_rows,
            written_labels=self._written_labels,
            failures=self._failures,
            last_error=self._last_error,
        )

    async def flush(self) -> None:
        """Write everything queued so far; raises the storage error if the write fails."""
        async with self._write_lock:
            rows, labels = self._rows, self._labels
            if not rows and not labels:
                return
            self._rows, self._labels = [], []
            try:
                await in_thread(self._repository.write, rows, labels)
            except BaseException:
                # Put the batch back ahead of anything queued meanwhile: order is arrival order.
                self._rows[:0] = rows
                self._labels[:0] = labels
                raise
            self._written_rows += len(rows)
            self._written_labels += len(labels)

    async def _run(self) -> None:
        backoff = self._flush_interval
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the wake-up does (gh-86296), and then running() would never return.
            with suppress(TimeoutError):
                async with asyncio.timeout(backoff):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except ModelbeaconError as exc:
                self._failures += 1
                self._last_error = exc.message
                backoff = min(max(backoff, self._flush_interval) * 2, _MAX_BACKOFF_SECONDS)
                logger.warning("prediction log write failed (retrying in %.1fs): %s", backoff, exc)
            else:
                backoff = self._flush_interval

    @asynccontextmanager
    async def running(self) -> AsyncIterator[LogWriter]:
        """Run the flush loop; on exit, flush what is left (errors are logged, not raised)."""
        try:
            async with background(self._run(), name="modelbeacon-log-writer"):
                yield self
        finally:
            try:
                await self.flush()
            except ModelbeaconError as exc:
                logger.error(
                    "could not flush %d prediction rows at shutdown: %s", len(self._rows), exc
                )

"""History backfill: past steps' points recomputed from the log after predictions logged late.

A history point is taken live at its step, from what the monitor knows then, so predictions
logged later with their own, earlier timestamps (``services.ingest``) would never show in the
charts where they happened. After a batch holding records at or before the current step, the
points of the steps they span are recomputed and replace the stored ones.

Definition: the backfilled point at step T holds the model's numbers at T over the logged
predictions with ``timestamp <= T``, a label counting only if ``labelled_at <= T`` (an inline
label's ``labelled_at`` is its prediction's timestamp): what a live point at T would have shown
had every record arrived on time. Health is the one judgement path-dependent number: it is
judged as a restart at the range's first step would judge it (from the accuracy window's labels
then), then label by label through the range.

The steps recomputed run from the step containing the batch's oldest timestamp to the one
containing its newest timestamp at or before the current step plus 60 s (the last step whose
``predictions_per_minute`` counts it), capped at the current step, at ``history_hours`` back,
and at the newest ``MAX_BACKFILL_STEPS``. Points after the range keep their live values: they
recorded what was known then. A backfill is a replay: a fresh ``ModelMonitor`` is restored from
the log as it stood at the first step, then fed the range's predictions and late labels in time
order, evaluated at each step where something changed (otherwise the previous point holds).

``request`` only queues (the logging request does not wait); one task replays the queue, one
backfill at a time, in a worker thread ``BLOCK_STEPS`` steps per call, and writes each one's
points in one transaction. Requests for a model already queued widen its range. Nothing is
published for backfilled points. A backfill still queued at shutdown is dropped, and one that
finds the database unavailable is retried after ``RETRY_SECONDS``.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from modelbeacon.clock import Clock, iso_utc
from modelbeacon.errors import ModelNotFoundError, UnavailableError
from modelbeacon.metrics import ModelMonitor
from modelbeacon.metrics.history_point import HistoryPoint, history_point
from modelbeacon.prediction import PredictionRecord
from modelbeacon.services.catalog import ACCURACY_SIZE, HISTORY_SIZE, LiveModel, ModelCatalog
from modelbeacon.settings import Settings
from modelbeacon.storage.history_repository import MetricsHistoryRepository
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.tasks import background, in_thread

logger = logging.getLogger(__name__)

MAX_BACKFILL_STEPS = 17_280
"""The most steps one backfill recomputes (a day at the default 5 s step); past it, the newest."""
BLOCK_STEPS = 720
"""Steps replayed per worker-thread call: one block's predictions are in memory at a time, and a
shutdown waits for one block at most."""
RETRY_SECONDS = 5.0
RATE_SPAN_SECONDS = 60.0
"""How long a prediction counts in ``predictions_per_minute``."""


@dataclass(frozen=True, slots=True)
class StepRange:
    """Steps ``first`` to ``last`` (inclusive), as step numbers: step ``n`` is at ``n * step``."""

    first: int
    last: int

    def union(self, other: StepRange) -> StepRange:
        return StepRange(min(self.first, other.first), max(self.last, other.last))


def _known_at(record: PredictionRecord, at: float) -> PredictionRecord:
    """``record`` as the log held it at ``at``: without a label given after ``at``."""
    if record.labelled_at is not None and record.labelled_at > at:
        return replace(record, label=None, labelled_at=None)
    return record


class HistoryReplay:
    """The points of one model's past steps, recomputed from the log (blocking calls: run
    them in a worker thread, one at a time)."""

    def __init__(
        self, log: PredictionRepository, live: LiveModel, step: float, steps: StepRange
    ) -> None:
        self._log = log
        self._model_id = live.record.id
        self._step = step
        self._steps = steps
        # Read on the event loop when the replay is made, not from the worker thread.
        monitor, record = live.monitor, live.record
        self._restore_arguments: dict[str, Any] = {
            "policy": monitor.policy,
            "base_status": monitor.base_status,
            "deployed_at": monitor.deployed_at,
            "reference": record.reference,
            "calibration": record.calibration,
            "classes": record.classes,
        }
        self._monitor: ModelMonitor | None = None
        self._done = steps.first
        self._point: HistoryPoint | None = None
        # Late labels (given after their prediction) still to replay, by when they were given.
        self._labels: deque[tuple[float, PredictionRecord]] = deque()
        # Success timestamps that still count in the rate at the last step replayed.
        self._counted: deque[float] = deque()

    def _at(self, step: int) -> float:
        # The very expression the step loop uses, so a replayed point lands on its step.
        return step * self._step

    def start(self) -> HistoryPoint:
        """Restore the monitor as of the first step; return that step's point."""
        log, model_id, at = self._log, self._model_id, self._at(self._steps.first)
        calls = log.latest_until(model_id, HISTORY_SIZE, at)
        successes = log.latest_until(model_id, HISTORY_SIZE, at, successes_only=True)
        rate = log.success_timestamps_between(
            model_id, at - ModelMonitor.RATE_RETENTION_SECONDS, at
        )
        self._monitor = ModelMonitor.restore(
            str(model_id),
            **self._restore_arguments,
            total_predictions=0,  # not one of a point's numbers
            recent_calls=[_known_at(r, at) for r in calls],
            recent_successes=[_known_at(r, at) for r in successes],
            labelled=log.labelled_until(model_id, ACCURACY_SIZE, at),
            rate_timestamps=rate,
        )
        late = log.late_labels_between(model_id, at, self._at(self._steps.last))
        self._labels = deque((r.labelled_at, r) for r in late if r.labelled_at is not None)
        self._counted = deque(t for t in sorted(rate) if t > at - RATE_SPAN_SECONDS)
        self._point = self._evaluate(at)
        return self._point

    def advance(self, last: int) -> list[HistoryPoint]:
        """The points of the steps after the last one replayed, up to step ``last``."""
        monitor, point = self._monitor, self._point
        assert monitor is not None and point is not None, "start() first"
        calls = self._log.calls_between(self._model_id, self._at(self._done), self._at(last))
        counted, labels = self._counted, self._labels
        points = []
        i = 0
        for step in range(self._done + 1, last + 1):
            at = self._at(step)
            j = i
            while j < len(calls) and calls[j].timestamp <= at:
                j += 1
            due: list[tuple[float, PredictionRecord]] = []
            while labels and labels[0][0] <= at:
                due.append(labels.popleft())
            changed = j > i or bool(due)
            self._feed(monitor, calls[i:j], due)
            i = j
            while counted and counted[0] <= at - RATE_SPAN_SECONDS:
                counted.popleft()
                changed = True
            # With nothing fed and nothing leaving the minute, every number is the same.
            point = self._evaluate(at) if changed else replace(point, at=at)
            points.append(point)
        self._done, self._point = last, point
        return points

    def _feed(
        self,
        monitor: ModelMonitor,
        calls: list[PredictionRecord],
        labels: list[tuple[float, PredictionRecord]],
    ) -> None:
        """Feed one step's calls and late labels in time order (a call before a label given
        at the same time); a call's late label waits for its own time."""
        events = heapq.merge(
            ((call.timestamp, 0, n) for n, call in enumerate(calls)),
            ((labelled_at, 1, n) for n, (labelled_at, _) in enumerate(labels)),
        )
        for _, kind, n in events:
            if kind == 0:
                call = _known_at(calls[n], calls[n].timestamp)
                monitor.record_call(call)
                if call.error is None:
                    self._counted.append(call.timestamp)
            else:
                labelled_at, labelled = labels[n]
                monitor.record_label(labelled, labelled.label, labelled_at)

    def _evaluate(self, at: float) -> HistoryPoint:
        assert self._monitor is not None
        snapshot, _ = self._monitor.evaluate(at)  # transitions of the past announce nothing
        return history_point(snapshot, at=at)


class HistoryBackfill:
    """Queues and runs the backfills of every model (one per app; see the module docstring)."""

    def __init__(
        self,
        catalog: ModelCatalog,
        log: PredictionRepository,
        repository: MetricsHistoryRepository,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._catalog = catalog
        self._log = log
        self._repository = repository
        self._clock = clock
        self._step = settings.history_step_seconds
        self._kept_seconds = settings.history_hours * 3600.0
        self._pending: dict[int, StepRange] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def request(self, model_id: int, timestamps: Iterable[float]) -> None:
        """Queue the backfill for predictions of ``model_id`` just logged with ``timestamps``
        (unix seconds); returns at once. Nothing is queued when none of them is at or before
        the current step (no point taken yet can have missed them)."""
        now = self._clock()
        current = math.floor(now / self._step)
        due = [t for t in timestamps if t <= self._at(current)]
        if not due:
            return
        last = min(math.floor((max(due) + RATE_SPAN_SECONDS) / self._step), current)
        self._queue(model_id, StepRange(math.floor(min(due) / self._step), last))

    async def settled(self) -> None:
        """Wait until no backfill is queued or running."""
        await self._idle.wait()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[HistoryBackfill]:
        """Run the queued backfills for the context's duration; on exit, the one running is
        stopped after its current block and the queue is dropped."""
        async with background(self._work(), name="modelbeacon-history-backfill"):
            yield self

    def _at(self, step: int) -> float:
        return step * self._step

    def _queue(self, model_id: int, steps: StepRange) -> None:
        queued = self._pending.get(model_id)
        self._pending[model_id] = steps if queued is None else queued.union(steps)
        self._idle.clear()
        self._wake.set()

    def _bounded(self, steps: StepRange) -> StepRange | None:
        """``steps`` within the history's retention and ``MAX_BACKFILL_STEPS``, or ``None``."""
        oldest_kept = math.ceil((self._clock() - self._kept_seconds) / self._step)
        first = max(steps.first, oldest_kept, steps.last - MAX_BACKFILL_STEPS + 1)
        if first > steps.first:
            logger.debug(
                "metrics history backfill: recomputing from %s, not %s (history_hours and at "
                "most %d steps)",
                iso_utc(self._at(first)), iso_utc(self._at(steps.first)), MAX_BACKFILL_STEPS,
            )  # fmt: skip
        return StepRange(first, steps.last) if first <= steps.last else None

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                model_id = next(iter(self._pending))
                steps = self._pending.pop(model_id)
                try:
                    await self._backfill(model_id, steps)
                except UnavailableError as exc:
                    logger.warning(
                        "metrics history backfill of model %d failed, retrying in %g s: %s",
                        model_id, RETRY_SECONDS, exc,
                    )  # fmt: skip
                    self._queue(model_id, steps)
                    await asyncio.sleep(RETRY_SECONDS)
                except Exception:
                    logger.exception("metrics history backfill of model %d failed", model_id)
            self._idle.set()

    async def _backfill(self, model_id: int, requested: StepRange) -> None:
        steps = self._bounded(requested)
        if steps is None:
            return
        try:
            live = self._catalog.get(model_id)
        except ModelNotFoundError:
            return
        replay = HistoryReplay(self._log, live, self._step, steps)
        points = [await in_thread(replay.start)]
        for end in range(steps.first + BLOCK_STEPS, steps.last + BLOCK_STEPS, BLOCK_STEPS):
            points += await in_thread(replay.advance, min(end, steps.last))
        await in_thread(
            self._repository.replace_range,
            model_id,
            self._at(steps.first),
            self._at(steps.last),
            points,
        )
        logger.debug(
            "metrics history backfill of model %d: %d steps from %s",
            model_id, len(points), iso_utc(self._at(steps.first)),
        )  # fmt: skip

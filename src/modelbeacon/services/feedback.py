"""Ground-truth labels arriving after their prediction.

A label joins its prediction from the in-memory ring buffer when it is still there, else from
the database (after flushing the write-behind log, so a just-made prediction is never missed).
The same label again is a no-op; a different one is a ``LabelConflictError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from modelbeacon.clock import Clock
from modelbeacon.errors import InvalidInputError, LabelConflictError, PredictionNotFoundError
from modelbeacon.prediction import PredictionRecord
from modelbeacon.services.announcer import StatusAnnouncer
from modelbeacon.services.catalog import LiveModel, ModelCatalog
from modelbeacon.services.prediction import validate_label
from modelbeacon.storage.log_writer import LogWriter
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.storage.records import LabelUpdate
from modelbeacon.tasks import in_thread


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    prediction_id: str
    model_id: int
    label: Any
    prediction: Any
    correct: bool
    created: bool


FeedbackStatus = Literal["accepted", "unchanged", "conflict", "not_found", "invalid"]


@dataclass(frozen=True, slots=True)
class FeedbackOutcome:
    """What became of one label of a batch; ``message`` says why when it was not taken."""

    prediction_id: str
    status: FeedbackStatus
    message: str | None = None


class FeedbackService:
    def __init__(
        self,
        catalog: ModelCatalog,
        predictions: PredictionRepository,
        writer: LogWriter,
        announcer: StatusAnnouncer,
        clock: Clock,
    ) -> None:
        self._catalog = catalog
        self._predictions = predictions
        self._writer = writer
        self._announcer = announcer
        self._clock = clock
        # Serialises the database path so two labels for one old prediction cannot both win.
        self._db_lock = asyncio.Lock()

    async def submit(self, prediction_id: str, label: Any) -> FeedbackResult:
        found = self._catalog.find_prediction(prediction_id)
        if found is not None:
            # No await between the check and the update: the event loop makes this atomic.
            return self._apply(*found, label)
        async with self._db_lock:
            await self._writer.flush()
            logged = await in_thread(self._predictions.get, prediction_id)
            if logged is None or logged.error is not None or logged.model_id is None:
                raise PredictionNotFoundError(
                    f"no prediction with id {prediction_id!r}",
                    details={"prediction_id": prediction_id},
                )
            result = self._apply(self._catalog.get(logged.model_id), logged, label)
            await self._writer.flush()
            return result

    async def submit_many(self, labels: Sequence[tuple[str, Any]]) -> list[FeedbackOutcome]:
        """Apply each ``(prediction_id, label)`` in order, as ``submit`` would, and say per
        item what became of it instead of raising: ``accepted`` (new), ``unchanged`` (the
        same label again), ``conflict`` (another label is recorded), ``not_found``, or
        ``invalid`` (not one of the model's classes). Predictions no longer in memory are
        read from the log in one query."""
        outcomes: list[FeedbackOutcome | None] = [None] * len(labels)
        later: list[int] = []
        for i, (prediction_id, label) in enumerate(labels):
            found = self._catalog.find_prediction(prediction_id)
            if found is None:
                later.append(i)
            else:
                outcomes[i] = self._outcome(*found, label)
        if later:
            async with self._db_lock:
                await self._writer.flush()
                logged = await in_thread(self._predictions.get_many, [labels[i][0] for i in later])
                for i in later:
                    prediction_id, label = labels[i]
                    record = logged.get(prediction_id)
                    if record is None or record.error is not None or record.model_id is None:
                        outcomes[i] = FeedbackOutcome(
                            prediction_id, "not_found", f"no prediction with id {prediction_id!r}"
                        )
                        continue
                    outcome = self._outcome(self._catalog.get(record.model_id), record, label)
                    if outcome.status == "accepted":
                        # A repeat of this id later in the batch sees the label just taken.
                        record.label = label
                    outcomes[i] = outcome
                await self._writer.flush()
        return [outcome for outcome in outcomes if outcome is not None]

    def _outcome(self, live: LiveModel, record: PredictionRecord, label: Any) -> FeedbackOutcome:
        prediction_id = record.prediction_id
        try:
            result = self._apply(live, record, label)
        except InvalidInputError as exc:
            return FeedbackOutcome(prediction_id, "invalid", exc.message)
        except LabelConflictError as exc:
            return FeedbackOutcome(prediction_id, "conflict", exc.message)
        return FeedbackOutcome(prediction_id, "accepted" if result.created else "unchanged")

    def _apply(self, live: LiveModel, record: PredictionRecord, label: Any) -> FeedbackResult:
        label = validate_label(live, label)
        prediction_id, prediction, existing = record.prediction_id, record.prediction, record.label
        if existing is not None:
            if existing != label:
                raise LabelConflictError(
                    f"prediction {prediction_id} already has label {existing!r}",
                    details={"prediction_id": prediction_id, "label": existing},
                )
            return FeedbackResult(
                prediction_id,
                live.record.id,
                label,
                prediction,
                existing == prediction,
                created=False,
            )
        correct = label == prediction
        labelled_at = self._clock()
        self._announcer.announce(live.monitor.record_label(record, label, labelled_at))
        self._writer.append_label(
            LabelUpdate(
                prediction_id=prediction_id, label=label, labelled_at=labelled_at, correct=correct
            )
        )
        return FeedbackResult(
            prediction_id, live.record.id, label, prediction, correct, created=True
        )

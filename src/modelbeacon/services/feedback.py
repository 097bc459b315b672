"""Ground-truth labels arriving after their prediction.

A label joins its prediction from the in-memory ring buffer when it is still there, else from
the database (after flushing the write-behind log, so a just-made prediction is never missed).
The same label again is a no-op; a different one is a ``LabelConflictError``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from modelbeacon.clock import Clock
from modelbeacon.errors import LabelConflictError, PredictionNotFoundError
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

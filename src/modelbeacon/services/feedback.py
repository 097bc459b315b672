"""Ground-truth labels arriving after their prediction.

A label joins its prediction from the in-memory ring buffer when it is still there, else from
the database (after flushing the write-behind log, so a just-made prediction is never missed).
The same label again is a no-op; a different one is a ``LabelConflictError``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from modelbeacon.errors import LabelConflictError, PredictionNotFoundError
from modelbeacon.metrics import LabelledOutcome
from modelbeacon.services.catalog import LiveModel, ModelCatalog
from modelbeacon.services.clock import Clock
from modelbeacon.services.monitoring import StatusAnnouncer
from modelbeacon.services.prediction import validate_label
from modelbeacon.storage.log_writer import LogWriter
from modelbeacon.storage.records import LabelUpdate
from modelbeacon.storage.repository import PredictionRepository
from modelbeacon.storage.threads import in_thread


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
            live, record = found
            # No await between the check and the update: the event loop makes this atomic.
            return self._apply(
                live, prediction_id, record.timestamp, record.prediction, record.label, label
            )
        async with self._db_lock:
            await self._writer.flush()
            row = await in_thread(self._predictions.get, prediction_id)
            if row is None or row.error is not None:
                raise PredictionNotFoundError(
                    f"no prediction with id {prediction_id!r}",
                    details={"prediction_id": prediction_id},
                )
            result = self._apply(
                self._catalog.get(row.model_id),
                prediction_id,
                row.ts,
                row.prediction,
                row.label,
                label,
            )
            await self._writer.flush()
            return result

    def _apply(
        self,
        live: LiveModel,
        prediction_id: str,
        timestamp: float,
        prediction: Any,
        existing: Any,
        label: Any,
    ) -> FeedbackResult:
        label = validate_label(live, label)
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
        self._announcer.announce(
            live.monitor.record_label(LabelledOutcome(timestamp, prediction_id, correct), label)
        )
        self._writer.append_label(
            LabelUpdate(
                prediction_id=prediction_id, label=label, labelled_at=self._clock(), correct=correct
            )
        )
        return FeedbackResult(
            prediction_id, live.record.id, label, prediction, correct, created=True
        )

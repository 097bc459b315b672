"""Serving predictions: validate, call the model off the event loop, record, log write-behind.

The event loop does O(1) work per prediction (one ``PredictionRecord``, handed to the monitor
and to the log writer); the model call runs in a small dedicated thread pool and its latency is
measured there, around the call alone.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelbeacon.clock import Clock
from modelbeacon.errors import InvalidInputError, PayloadTooLargeError, UncomputableInputError
from modelbeacon.prediction import PredictionRecord
from modelbeacon.registry import Predictor
from modelbeacon.registry.predictor import Refusal, non_finite_rows, refused_rows
from modelbeacon.services.announcer import StatusAnnouncer
from modelbeacon.services.catalog import LiveModel, ModelCatalog
from modelbeacon.services.feature_vectors import Features, Vector, feature_matrix, feature_vector
from modelbeacon.storage.log_writer import LogWriter
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.tasks import in_thread


@dataclass(frozen=True, slots=True)
class _ModelOutput:
    predictions: list[Any]
    probabilities: list[list[float]] | None
    latency_ms: float


def validate_label(live: LiveModel, label: Any) -> Any:
    """Return ``label`` as one of the model's classes, or raise InvalidInputError."""
    classes = live.record.classes
    if isinstance(label, bool) or label not in classes:
        raise InvalidInputError(
            f"label {label!r} is not one of the model's classes {list(classes)}",
            details={"label": label, "classes": list(classes)},
        )
    return classes[classes.index(label)]


def _call_model(predictor: Predictor, matrix: np.ndarray) -> _ModelOutput | list[Refusal]:
    """The model's answer for every row, or the rows it cannot compute (then nothing else)."""
    started = time.perf_counter()
    try:
        if predictor.has_proba:
            proba = predictor.predict_proba(matrix)
        else:
            out = predictor.predict(matrix)
    except UncomputableInputError:
        return _refusals(predictor, matrix)
    latency_ms = (time.perf_counter() - started) * 1000.0
    if not predictor.has_proba:
        return _ModelOutput([v.item() if hasattr(v, "item") else v for v in out], None, latency_ms)
    if refusals := non_finite_rows(proba):
        return refusals
    classes = predictor.classes
    predictions = [classes[int(i)] for i in np.argmax(proba, axis=1)]
    return _ModelOutput(predictions, proba.tolist(), latency_ms)


def _refusals(predictor: Predictor, matrix: np.ndarray) -> list[Refusal]:
    refusals = refused_rows(predictor, matrix)
    if not refusals:
        # the batch was refused but no part of it is: the model's rows are not independent
        raise RuntimeError(f"{type(predictor).__name__} refused a batch but none of its rows")
    return refusals


def _refusal_error(refusals: list[Refusal], batch: bool) -> UncomputableInputError:
    first = refusals[0]
    if not batch:
        return UncomputableInputError(
            f"the model cannot compute these features: {first.reason}",
            details={"reason": first.reason},
        )
    more = f" (and {len(refusals) - 1} more instances)" if len(refusals) > 1 else ""
    return UncomputableInputError(
        f"instance {first.row} cannot be computed by the model: {first.reason}{more}",
        details={
            "instance": first.row,
            "reason": first.reason,
            "instances": [{"instance": r.row, "reason": r.reason} for r in refusals],
        },
    )


class PredictionService:
    def __init__(
        self,
        catalog: ModelCatalog,
        writer: LogWriter,
        log: PredictionRepository,
        announcer: StatusAnnouncer,
        executor: ThreadPoolExecutor,
        clock: Clock,
        max_batch_size: int,
    ) -> None:
        self._catalog = catalog
        self._writer = writer
        self._log = log
        self._announcer = announcer
        self._executor = executor
        self._clock = clock
        self._max_batch_size = max_batch_size

    def resolve(self, model_id: int | None) -> LiveModel:
        return self._catalog.active() if model_id is None else self._catalog.get(model_id)

    async def predict(
        self,
        live: LiveModel,
        instances: Sequence[Features],
        labels: Sequence[Any] | None,
        *,
        batch: bool,
    ) -> list[PredictionRecord]:
        """Predict every instance in one model call; all are validated before any is logged.

        Raises ``UncomputableInputError`` (and records nothing) when the model cannot compute
        some instance: it refuses the values, or its probabilities are not finite. ``batch``
        only shapes error details (which instance was wrong).
        """
        if not instances:
            raise InvalidInputError("instances must hold at least one feature vector")
        if len(instances) > self._max_batch_size:
            raise PayloadTooLargeError(
                f"a batch holds at most {self._max_batch_size} instances, got {len(instances)}",
                details={"max_batch_size": self._max_batch_size, "got": len(instances)},
            )
        if labels is not None and len(labels) != len(instances):
            raise InvalidInputError(
                f"labels must have one entry per instance ({len(instances)}), got {len(labels)}"
            )
        # Readiness first: a model still training has no feature names to validate against.
        predictor = await self._catalog.predictor(live)
        vectors = [
            feature_vector(live.record, f, i if batch else None) for i, f in enumerate(instances)
        ]
        checked = [None if lb is None else validate_label(live, lb) for lb in labels or []]
        timestamp = self._clock()
        matrix = feature_matrix(vectors)
        loop = asyncio.get_running_loop()
        try:
            output = await loop.run_in_executor(self._executor, _call_model, predictor, matrix)
        except Exception as exc:
            self._record_failure(live, timestamp, len(vectors), exc)
            raise
        if isinstance(output, list):
            # refused like any other bad input: nothing recorded, nothing logged
            raise _refusal_error(output, batch)
        return self._record_success(live, timestamp, vectors, output, checked)

    async def history(self, model_id: int, limit: int) -> list[PredictionRecord]:
        """The newest ``limit`` logged calls of the model, newest first (the log is flushed
        first, so a prediction just answered is in it)."""
        self._catalog.get(model_id)
        await self._writer.flush()
        return await in_thread(self._log.recent, model_id, limit)

    def _track(self, live: LiveModel, record: PredictionRecord) -> None:
        """Account one call in the model's monitor and queue it for the log."""
        self._announcer.announce(live.monitor.record_call(record))
        self._writer.append(record)

    def _record_success(
        self,
        live: LiveModel,
        timestamp: float,
        vectors: list[Vector],
        output: _ModelOutput,
        labels: list[Any],
    ) -> list[PredictionRecord]:
        model = live.record
        per_row_ms = output.latency_ms / len(vectors)
        class_names = [str(c) for c in model.classes]
        records = []
        for i, values in enumerate(vectors):
            proba = output.probabilities[i] if output.probabilities is not None else None
            label = labels[i] if labels else None
            record = PredictionRecord(
                prediction_id=uuid.uuid4().hex,
                timestamp=timestamp,
                latency_ms=per_row_ms,
                prediction=output.predictions[i],
                top_probability=max(proba) if proba is not None else None,
                features=values,
                label=label,
                model_id=model.id,
                model_version=model.version,
                probabilities=(
                    dict(zip(class_names, proba, strict=True)) if proba is not None else None
                ),
                labelled_at=timestamp if label is not None else None,
            )
            self._track(live, record)
            records.append(record)
        return records

    def _record_failure(
        self, live: LiveModel, timestamp: float, count: int, exc: Exception
    ) -> None:
        message = f"{type(exc).__name__}: {exc}"
        for _ in range(count):
            self._track(
                live,
                PredictionRecord(
                    prediction_id=uuid.uuid4().hex,
                    timestamp=timestamp,
                    latency_ms=0.0,
                    error=message,
                    model_id=live.record.id,
                    model_version=live.record.version,
                ),
            )

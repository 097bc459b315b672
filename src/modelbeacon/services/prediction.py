"""Serving predictions: validate, call the model off the event loop, record, log write-behind.

The event loop does O(1) work per prediction (monitor update, an append to the log writer);
the model call runs in a small dedicated thread pool and its latency is measured there, around
the call alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import struct
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelbeacon.errors import InvalidInputError, PayloadTooLargeError
from modelbeacon.metrics import PredictionRecord
from modelbeacon.registry import Predictor
from modelbeacon.services.catalog import LiveModel, ModelCatalog
from modelbeacon.services.clock import Clock
from modelbeacon.services.monitoring import StatusAnnouncer
from modelbeacon.storage.log_writer import LogWriter
from modelbeacon.storage.records import PredictionRow

Features = Sequence[float] | Mapping[str, float]


@dataclass(frozen=True, slots=True)
class PredictionResult:
    prediction_id: str
    model_id: int
    model_version: int
    prediction: Any
    probabilities: dict[str, float] | None
    latency_ms: float
    timestamp: float
    label: Any = None


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


def _vector(live: LiveModel, features: Features, index: int | None) -> tuple[float, ...]:
    names = live.record.feature_names
    where: dict[str, Any] = {"instance": index} if index is not None else {}
    if isinstance(features, Mapping):
        missing = [n for n in names if n not in features]
        unknown = [n for n in features if n not in names]
        if missing or unknown:
            raise InvalidInputError(
                f"features must name exactly the model's {len(names)} features",
                details={**where, "missing": missing, "unknown": unknown},
            )
        values = tuple(float(features[n]) for n in names)
    else:
        if len(features) != len(names):
            raise InvalidInputError(
                f"expected {len(names)} features, got {len(features)}",
                details={**where, "expected": len(names), "got": len(features)},
            )
        values = tuple(float(v) for v in features)
    if not all(math.isfinite(v) for v in values):
        raise InvalidInputError("features must be finite numbers", details=where)
    return values


def input_hash(values: tuple[float, ...]) -> str:
    """blake2b of the canonical little-endian float64 vector: equal inputs, equal hashes."""
    return hashlib.blake2b(struct.pack(f"<{len(values)}d", *values), digest_size=16).hexdigest()


def _call_model(predictor: Predictor, matrix: np.ndarray) -> _ModelOutput:
    started = time.perf_counter()
    if predictor.has_proba:
        proba = predictor.predict_proba(matrix)
        latency_ms = (time.perf_counter() - started) * 1000.0
        classes = predictor.classes
        predictions = [classes[int(i)] for i in np.argmax(proba, axis=1)]
        return _ModelOutput(predictions, proba.tolist(), latency_ms)
    out = predictor.predict(matrix)
    latency_ms = (time.perf_counter() - started) * 1000.0
    return _ModelOutput([v.item() if hasattr(v, "item") else v for v in out], None, latency_ms)


class PredictionService:
    def __init__(
        self,
        catalog: ModelCatalog,
        writer: LogWriter,
        announcer: StatusAnnouncer,
        executor: ThreadPoolExecutor,
        clock: Clock,
        max_batch_size: int,
    ) -> None:
        self._catalog = catalog
        self._writer = writer
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
    ) -> list[PredictionResult]:
        """Predict every instance in one model call; all are validated before any is logged.

        ``batch`` only shapes error details (which instance was wrong).
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
        vectors = [_vector(live, f, i if batch else None) for i, f in enumerate(instances)]
        checked = [None if lb is None else validate_label(live, lb) for lb in labels or []]
        timestamp = self._clock()
        matrix = np.asarray(vectors, dtype=np.float64)
        loop = asyncio.get_running_loop()
        try:
            output = await loop.run_in_executor(self._executor, _call_model, predictor, matrix)
        except Exception as exc:
            self._record_failure(live, timestamp, len(vectors), exc)
            raise
        return self._record_success(live, timestamp, vectors, output, checked)

    def _record_success(
        self,
        live: LiveModel,
        timestamp: float,
        vectors: list[tuple[float, ...]],
        output: _ModelOutput,
        labels: list[Any],
    ) -> list[PredictionResult]:
        record = live.record
        per_row_ms = output.latency_ms / len(vectors)
        class_names = [str(c) for c in record.classes]
        results = []
        for i, values in enumerate(vectors):
            prediction = output.predictions[i]
            proba = output.probabilities[i] if output.probabilities is not None else None
            label = labels[i] if labels else None
            prediction_id = uuid.uuid4().hex
            top = max(proba) if proba is not None else None
            by_class = dict(zip(class_names, proba, strict=True)) if proba is not None else None
            transitions = live.monitor.record_call(
                PredictionRecord(
                    prediction_id=prediction_id,
                    timestamp=timestamp,
                    latency_ms=per_row_ms,
                    prediction=prediction,
                    top_probability=top,
                    features=values,
                    label=label,
                )
            )
            self._announcer.announce(transitions)
            self._writer.append(
                PredictionRow(
                    prediction_id=prediction_id,
                    model_id=record.id,
                    model_version=record.version,
                    ts=timestamp,
                    input_hash=input_hash(values),
                    features=list(values),
                    prediction=prediction,
                    probabilities=by_class,
                    top_probability=top,
                    latency_ms=per_row_ms,
                    label=label,
                    labelled_at=timestamp if label is not None else None,
                    correct=(label == prediction) if label is not None else None,
                )
            )
            results.append(
                PredictionResult(
                    prediction_id=prediction_id,
                    model_id=record.id,
                    model_version=record.version,
                    prediction=prediction,
                    probabilities=by_class,
                    latency_ms=per_row_ms,
                    timestamp=timestamp,
                    label=label,
                )
            )
        return results

    def _record_failure(
        self, live: LiveModel, timestamp: float, count: int, exc: Exception
    ) -> None:
        message = f"{type(exc).__name__}: {exc}"
        for _ in range(count):
            prediction_id = uuid.uuid4().hex
            self._announcer.announce(
                live.monitor.record_call(
                    PredictionRecord(
                        prediction_id=prediction_id,
                        timestamp=timestamp,
                        latency_ms=0.0,
                        error=message,
                    )
                )
            )
            self._writer.append(
                PredictionRow(
                    prediction_id=prediction_id,
                    model_id=live.record.id,
                    model_version=live.record.version,
                    ts=timestamp,
                    input_hash=None,
                    features=None,
                    prediction=None,
                    probabilities=None,
                    top_probability=None,
                    latency_ms=0.0,
                    error=message,
                )
            )

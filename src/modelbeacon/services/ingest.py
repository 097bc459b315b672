"""Logging predictions made elsewhere: a monitored model's traffic, with its own timestamps.

A batch is checked whole before anything is kept (one bad record: ``InvalidInputError``
naming its index, nothing logged), then written to the log in one transaction, synchronously:
the 201 means the records are stored. A ``prediction_id`` already logged (here or in an
earlier batch, for any model) is skipped, so a caller can retry a batch safely. The records
then enter the model's monitor in time order, where every window places them by their own
timestamps (``metrics.history.CallHistory``), and later labels find them through either
feedback endpoint like any served prediction.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelbeacon.clock import Clock, iso_utc
from modelbeacon.errors import InvalidInputError, ModelNotReadyError, PayloadTooLargeError
from modelbeacon.prediction import PredictionRecord
from modelbeacon.services.announcer import StatusAnnouncer
from modelbeacon.services.catalog import LiveModel, ModelCatalog
from modelbeacon.services.feature_vectors import Features, feature_vector
from modelbeacon.services.prediction import validate_label
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.tasks import in_thread

#: How far ahead of the server's clock a record's timestamp may be (clock skew).
MAX_AHEAD_SECONDS = 300.0
#: What a caller's own ``prediction_id`` may look like (uuids, hex, ULIDs, "order-17").
PREDICTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
#: How far a record's probabilities may sum away from 1 (float32 models round).
PROBABILITY_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True, slots=True)
class LoggedRecord:
    """One prediction made elsewhere, as the caller reports it. ``timestamp`` is unix
    seconds (``None``: now); ``probabilities`` are keyed by class as text."""

    features: Features
    prediction: Any
    probabilities: Mapping[str, float] | None = None
    latency_ms: float | None = None
    label: Any = None
    prediction_id: str | None = None
    timestamp: float | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The id of every record, in request order, and how many were new."""

    prediction_ids: list[str]
    logged: int


class IngestService:
    def __init__(
        self,
        catalog: ModelCatalog,
        log: PredictionRepository,
        announcer: StatusAnnouncer,
        clock: Clock,
        *,
        max_batch_size: int,
        retention_days: int,
        backfill_history: Callable[[int, Iterable[float]], None],
    ) -> None:
        """``backfill_history(model_id, timestamps)`` queues the recomputation of the history
        points that predictions logged with those timestamps change
        (``MetricsHistory.backfill``)."""
        self._catalog = catalog
        self._backfill_history = backfill_history
        self._log = log
        self._announcer = announcer
        self._clock = clock
        self._max_batch_size = max_batch_size
        self._retention_seconds = retention_days * 86400.0

    async def log(self, model_id: int, records: Sequence[LoggedRecord]) -> IngestResult:
        """Log ``records`` for the monitored model ``model_id``.

        Raises ``ModelNotFoundError`` (404), ``ModelNotReadyError`` (409) for a model served
        here (its predictions are logged as it serves them), ``PayloadTooLargeError`` (413)
        past ``max_batch_size`` records, and ``InvalidInputError`` (422) naming the first bad
        record: features that do not fit the model's inputs, a prediction or label that is
        not one of its classes, probabilities not keyed by its classes or not summing to 1, a
        malformed id, or a timestamp older than the retention or more than 5 minutes ahead.
        """
        live = self._catalog.get(model_id)
        if live.record.status != "monitored":
            raise ModelNotReadyError(
                f"model {model_id} is served here ({live.record.status}): its predictions are "
                "logged as it serves them; register a model served elsewhere with "
                "POST /api/models/register",
                details={"model_id": model_id, "status": live.record.status},
            )
        if not records:
            raise InvalidInputError("records must hold at least one prediction")
        if len(records) > self._max_batch_size:
            raise PayloadTooLargeError(
                f"a batch holds at most {self._max_batch_size} records, got {len(records)}",
                details={"max_batch_size": self._max_batch_size, "got": len(records)},
            )
        now = self._clock()
        checked = [self._checked(live, record, i, now) for i, record in enumerate(records)]
        ids = [record.prediction_id for record in checked]
        find = self._catalog.find_prediction
        fresh = _first_of_each(r for r in checked if find(r.prediction_id) is None)
        inserted = await in_thread(self._log.insert_new, fresh)
        new = sorted((r for r in fresh if r.prediction_id in inserted), key=_time)
        monitor = live.monitor
        for record in new:
            self._announcer.announce(monitor.record_call(record))
        self._backfill_history(model_id, [record.timestamp for record in new])
        return IngestResult(prediction_ids=ids, logged=len(new))

    def _checked(
        self, live: LiveModel, record: LoggedRecord, index: int, now: float
    ) -> PredictionRecord:
        model = live.record
        try:
            features = feature_vector(model, record.features, None)
            prediction = _as_class(live, record.prediction, "prediction")
            label = None if record.label is None else _as_class(live, record.label, "label")
            probabilities = _probabilities(live, record.probabilities)
            timestamp = self._timestamp(record.timestamp, now)
            prediction_id = _prediction_id(record.prediction_id)
        except InvalidInputError as exc:
            raise InvalidInputError(
                f"record {index}: {exc.message}", details={"record": index, **exc.details}
            ) from exc
        return PredictionRecord(
            prediction_id=prediction_id,
            timestamp=timestamp,
            latency_ms=record.latency_ms,
            prediction=prediction,
            top_probability=None if probabilities is None else max(probabilities.values()),
            features=features,
            label=label,
            model_id=model.id,
            model_version=model.version,
            probabilities=probabilities,
            # An inline label was known when the prediction was made: no delay.
            labelled_at=None if label is None else timestamp,
        )

    def _timestamp(self, timestamp: float | None, now: float) -> float:
        if timestamp is None:
            return now
        oldest = now - self._retention_seconds
        if timestamp < oldest:
            raise InvalidInputError(
                f"timestamp {iso_utc(timestamp)} is older than the retention "
                f"({self._retention_seconds / 86400:g} days, so {iso_utc(oldest)} at the "
                "earliest): such a prediction would be deleted at once",
                details={"timestamp": iso_utc(timestamp), "oldest_accepted": iso_utc(oldest)},
            )
        if timestamp > now + MAX_AHEAD_SECONDS:
            raise InvalidInputError(
                f"timestamp {iso_utc(timestamp)} is more than {MAX_AHEAD_SECONDS:g} s ahead of "
                f"the server's clock ({iso_utc(now)}): check the caller's clock and time zone",
                details={"timestamp": iso_utc(timestamp), "server_time": iso_utc(now)},
            )
        return timestamp


def _as_class(live: LiveModel, value: Any, field: str) -> Any:
    try:
        return validate_label(live, value)
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"{field} {value!r} is not one of the model's classes {list(live.record.classes)}",
            details={**exc.details, "field": field},
        ) from exc


def _probabilities(
    live: LiveModel, probabilities: Mapping[str, float] | None
) -> dict[str, float] | None:
    if probabilities is None:
        return None
    names = [str(c) for c in live.record.classes]
    if set(probabilities) != set(names):
        raise InvalidInputError(
            f"probabilities must have one entry per class, keyed {names}; "
            f"got {sorted(probabilities)}",
            details={"classes": names, "got": sorted(probabilities)},
        )
    values = [float(probabilities[name]) for name in names]
    if not all(0.0 <= v <= 1.0 for v in values):
        raise InvalidInputError(
            "probabilities must be between 0 and 1", details={"probabilities": values}
        )
    total = math.fsum(values)
    if abs(total - 1.0) > PROBABILITY_SUM_TOLERANCE:
        raise InvalidInputError(
            f"probabilities must sum to 1, got {total:.6g}", details={"sum": total}
        )
    return dict(zip(names, values, strict=True))


def _prediction_id(prediction_id: str | None) -> str:
    if prediction_id is None:
        return uuid.uuid4().hex
    if not PREDICTION_ID.fullmatch(prediction_id):
        raise InvalidInputError(
            "prediction_id must be 1-128 letters, digits, '_', '.', ':' or '-', starting with "
            "a letter or digit",
            details={"prediction_id": prediction_id[:200]},
        )
    return prediction_id


def _first_of_each(records: Any) -> list[PredictionRecord]:
    """``records`` without the repeats of an id seen before in them (the first is logged)."""
    seen: set[str] = set()
    kept = []
    for record in records:
        if record.prediction_id not in seen:
            seen.add(record.prediction_id)
            kept.append(record)
    return kept


def _time(record: PredictionRecord) -> float:
    return record.timestamp

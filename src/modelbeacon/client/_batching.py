"""Logged predictions between ``log_prediction`` and the server, without any I/O: when a batch
is due, which records go in it, how a batch the server finds too large is halved, and which
records failed. The sync client drives this from a thread, the async one from a task.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable
from dataclasses import dataclass

from modelbeacon.client._errors import LogDeliveryError
from modelbeacon.client._http import Outcome, describe_failure, server_error, succeeded, too_large
from modelbeacon.client._records import QueuedRecord
from modelbeacon.client._routes import Call, log_predictions

#: The server takes at most this many records per call (``LogPredictionsRequest``).
MAX_BATCH = 1000


@dataclass(frozen=True)
class LogOptions:
    """How logged predictions are queued and sent.

    A batch leaves when ``batch_size`` records wait, when the oldest has waited
    ``flush_interval`` seconds, and on ``flush()`` / ``close()``. At most ``max_queue`` records
    wait; ``log_prediction`` then waits up to ``enqueue_timeout`` seconds for room and raises
    ``LogQueueFullError`` (nothing is dropped without the caller knowing).
    """

    batch_size: int = 500
    flush_interval: float = 1.0
    max_queue: int = 10_000
    enqueue_timeout: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}, got {self.batch_size}")
        if self.flush_interval <= 0:
            raise ValueError(f"flush_interval must be > 0, got {self.flush_interval}")
        if self.max_queue < self.batch_size:
            raise ValueError(f"max_queue must be >= batch_size, got {self.max_queue}")
        if self.enqueue_timeout < 0:
            raise ValueError(f"enqueue_timeout must be >= 0, got {self.enqueue_timeout}")


class LogBuffer:
    """The queue and its counts. Records are counted when added, taken (to be sent) and
    settled (logged or failed, a whole take at once, so that ``settled`` never passes a record
    still on its way). Not locked: its owner serialises access (a lock, or one event loop)."""

    def __init__(self, options: LogOptions) -> None:
        self.options = options
        self._queued: deque[QueuedRecord] = deque()
        # Ids added and not yet settled: a label for one of them must wait for it.
        self._unsettled: set[str] = set()
        self.added = 0
        self.taken = 0
        self.settled = 0
        self._flush_upto = 0
        self._failures: list[LogDeliveryError] = []
        self.last_error: LogDeliveryError | None = None

    def __len__(self) -> int:
        return len(self._queued)

    def has_room(self) -> bool:
        return len(self._queued) < self.options.max_queue

    def add(self, record: QueuedRecord) -> bool:
        """Queue ``record``; True when the sender should look again (a first record starts
        the interval, a full batch is due now)."""
        self._queued.append(record)
        self._unsettled.add(record.prediction_id)
        self.added += 1
        return len(self._queued) in (1, self.options.batch_size)

    def seconds_until_due(self, now: float) -> float | None:
        """0 when a batch should leave now, None when nothing waits."""
        if not self._queued:
            return None
        if len(self._queued) >= self.options.batch_size or self._flush_upto > self.taken:
            return 0.0
        return max(0.0, self._queued[0].queued_at + self.options.flush_interval - now)

    def take(self) -> list[list[QueuedRecord]]:
        """The next batch (up to ``batch_size`` oldest records) as one list per model."""
        by_model: dict[str, list[QueuedRecord]] = {}
        for _ in range(min(self.options.batch_size, len(self._queued))):
            record = self._queued.popleft()
            by_model.setdefault(record.model_id, []).append(record)
        self.taken += sum(len(records) for records in by_model.values())
        return list(by_model.values())

    def holds_any(self, prediction_ids: Iterable[str]) -> bool:
        """Whether one of ``prediction_ids`` is queued or on its way (not yet settled)."""
        return not self._unsettled.isdisjoint(prediction_ids)

    def settle(self, batch: list[list[QueuedRecord]], failures: list[LogDeliveryError]) -> None:
        """``batch`` (what ``take`` gave) was logged, or failed as ``failures`` say."""
        for records in batch:
            self._unsettled.difference_update(r.prediction_id for r in records)
            self.settled += len(records)
        self._failures.extend(failures)
        if failures:
            self.last_error = failures[-1]

    def flush_point(self) -> int:
        """Make every record added so far due at once; ``flushed(point)`` tells when it is
        settled."""
        self._flush_upto = self.added
        return self.added

    def flushed(self, point: int) -> bool:
        return self.settled >= point

    def take_failures(self) -> LogDeliveryError | None:
        """Everything that failed since the last call, as one error (None when nothing did)."""
        failures, self._failures = self._failures, []
        return LogDeliveryError.combine(failures) if failures else None


def delivery(
    records: list[QueuedRecord], url: str
) -> Generator[Call, Outcome, list[LogDeliveryError]]:
    """Send one model's ``records``: yields each call and takes its outcome (after retries);
    returns what failed. A 413 halves the records and sends each half; any other failure
    fails the records of that call only."""
    failures: list[LogDeliveryError] = []
    chunks = deque([records])
    while chunks:
        chunk = chunks.popleft()
        outcome = yield log_predictions(chunk[0].model_id, [r.encoded for r in chunk])
        if succeeded(outcome):
            continue
        if too_large(outcome) and len(chunk) > 1:
            middle = len(chunk) // 2
            chunks.extendleft([chunk[middle:], chunk[:middle]])
            continue
        failures.append(delivery_failure(chunk, describe_failure(outcome, url), outcome))
    return failures


def delivery_failure(
    records: list[QueuedRecord], reason: str, outcome: Outcome | None = None
) -> LogDeliveryError:
    details: dict[str, object] = {"model_id": records[0].model_id, "records": len(records)}
    details["status"] = getattr(outcome, "status_code", None)
    error = None if outcome is None else server_error(outcome)
    if error is not None and error.get("details"):
        details["details"] = error["details"]
    return LogDeliveryError(
        f"{len(records)} logged predictions of model {records[0].model_id} were not logged: "
        f"{reason}",
        details=details,
        records=[r.encoded for r in records],
    )

"""The recent predict calls of one model: calls in arrival order, successes in time order."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from itertools import islice
from operator import attrgetter

from modelbeacon.metrics.calibration import RAW, Calibration
from modelbeacon.metrics.latest import LatestByTime
from modelbeacon.prediction import PredictionRecord


class CallHistory:
    """Ring buffers over the recent calls, updated in O(1) per call.

    - the calls ring: whether each of the last ``size`` calls failed (error rate);
    - the successes ring: the ``size`` successful records with the latest timestamps, oldest
      first (equal timestamps in arrival order), for latency, drift and ``lookup``;
    - the estimate window: the top-class probabilities of the last ``estimate_size`` of those
      successes that had one, raw; ``probabilities`` maps them through ``calibration`` (100
      calls per snapshot rather than one per prediction).

    Both success windows are ``LatestByTime``: a success arriving with a timestamp older than
    the newest kept one (a prediction logged late by a model served elsewhere, a clock step)
    is placed where its time puts it, or left out when the window is full of later ones.

    Prediction ids are assumed unique; if one is reused, ``lookup`` finds the newest record.
    """

    __slots__ = (
        "_by_id", "_errors", "_failed", "_probabilities", "_successes", "calibration",
        "estimate_size", "size",
    )  # fmt: skip

    def __init__(self, size: int, estimate_size: int, calibration: Calibration = RAW) -> None:
        if size < 1 or estimate_size < 1:
            raise ValueError("history sizes must be >= 1")
        self.size = size
        self.estimate_size = estimate_size
        self.calibration = calibration
        self._failed: deque[bool] = deque(maxlen=size)
        self._errors = 0
        self._successes: LatestByTime[PredictionRecord] = LatestByTime(size)
        self._by_id: dict[str, PredictionRecord] = {}
        self._probabilities: LatestByTime[float] = LatestByTime(estimate_size)

    @classmethod
    def of(
        cls,
        size: int,
        estimate_size: int,
        calls: Sequence[PredictionRecord],
        calibration: Calibration = RAW,
        successes: Sequence[PredictionRecord] | None = None,
    ) -> CallHistory:
        """A history as if ``calls`` (arrival order) had been added one by one.

        ``successes``, when given, are the successful records to keep instead of those of
        ``calls``: the latest by time, in any order (sorted here, stably).
        """
        history = cls(size, estimate_size, calibration)
        history._failed.extend(call.error is not None for call in calls[-size:])
        history._errors = sum(history._failed)
        if successes is None:
            successes = [call for call in calls if call.error is None]
        for record in sorted(successes, key=_timestamp):
            history._add_success(record)
        return history

    def add(self, record: PredictionRecord) -> bool:
        """Append one call; ``True`` if the error rate may have changed.

        It cannot have changed while the ring held no failure before and after (it stays 0),
        which lets the caller skip re-judging health on the common all-success path.
        """
        failed_ring = self._failed
        evicted_failure = len(failed_ring) == self.size and failed_ring[0]
        failed = record.error is not None
        failed_ring.append(failed)
        if evicted_failure:
            self._errors -= 1
        if failed:
            self._errors += 1
            return True
        self._add_success(record)
        return evicted_failure or self._errors > 0

    def _add_success(self, record: PredictionRecord) -> None:
        kept, evicted = self._successes.add(record.timestamp, record)
        if evicted is not None and self._by_id.get(evicted.prediction_id) is evicted:
            # A reused id maps to its newest record, which must survive this eviction.
            del self._by_id[evicted.prediction_id]
        if kept:
            self._by_id[record.prediction_id] = record
        if record.top_probability is not None:
            self._probabilities.add(record.timestamp, record.top_probability)

    def lookup(self, prediction_id: str) -> PredictionRecord | None:
        """The successful call ``prediction_id`` if it is still in the successes ring."""
        return self._by_id.get(prediction_id)

    @property
    def error_rate(self) -> float | None:
        """Failed / all over the calls ring; ``None`` before the first call."""
        calls = len(self._failed)
        return self._errors / calls if calls else None

    def failed_flags(self) -> list[bool]:
        """Whether each call of the ring failed, oldest first."""
        return list(self._failed)

    def successes(self) -> Iterator[PredictionRecord]:
        """The successful records of the ring, oldest first."""
        return iter(self._successes)

    def newest(self, count: int) -> list[PredictionRecord]:
        """The newest ``count`` successful records, oldest of them first."""
        picked = list(islice(reversed(self._successes), max(count, 0)))
        picked.reverse()
        return picked

    def latencies(self) -> list[float]:
        """Latencies of the successes ring that have one, oldest first."""
        return [r.latency_ms for r in self._successes if r.latency_ms is not None]

    def probabilities(self) -> list[float]:
        """The estimate window, calibrated, oldest first."""
        calibrate = self.calibration
        return [calibrate(p) for p in self._probabilities]

    def label_coverage(self) -> float | None:
        """Labelled / all over the successes ring; ``None`` while it is empty. O(size)."""
        successes = self._successes
        if not successes:
            return None
        return sum(record.label is not None for record in successes) / len(successes)

    def recompute_check(self) -> list[str]:
        """Re-derive the error count, the id index and the estimate window's newest part
        from the rings; fix and describe each mismatch.
        """
        found: list[str] = []
        errors = sum(self._failed)
        if errors != self._errors:
            found.append(f"error count {self._errors} != recomputed {errors}")
            self._errors = errors
        by_id = {record.prediction_id: record for record in self._successes}
        if by_id.keys() != self._by_id.keys() or any(
            self._by_id[key] is not record for key, record in by_id.items()
        ):
            found.append("prediction id index did not match the successes ring")
            self._by_id = by_id
        # The estimate window may reach back past the ring, so only its newest part, the one
        # the ring still holds, can be checked.
        from_ring = [
            (r.timestamp, r.top_probability)
            for r in self._successes
            if r.top_probability is not None
        ][-self.estimate_size :]
        kept = list(self._probabilities)
        if from_ring and kept[-len(from_ring) :] != [p for _, p in from_ring]:
            found.append("estimated-accuracy window did not match the successes ring")
            self._probabilities = LatestByTime(self.estimate_size)
            for timestamp, probability in from_ring:
                self._probabilities.add(timestamp, probability)
        return found


_timestamp = attrgetter("timestamp")

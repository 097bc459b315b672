"""``ModelMonitor``: the live numbers and the health of one model, fed one call at a time."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from modelbeacon.metrics import trend
from modelbeacon.metrics.drift import MIN_DRIFT_VECTORS, FeatureReference, drift_score
from modelbeacon.metrics.health import Health, HealthPolicy
from modelbeacon.metrics.history import CallHistory
from modelbeacon.metrics.latency import LatencyPercentiles
from modelbeacon.metrics.records import LabelledOutcome, StatusTransition
from modelbeacon.metrics.snapshot import MetricsSnapshot
from modelbeacon.metrics.status import StatusTracker
from modelbeacon.metrics.window import AccuracyWindow, RateWindow
from modelbeacon.prediction import PredictionRecord


class ModelMonitor:
    """Incremental metrics of one model (definitions: DESIGN.md section 3 and ``trend``).

    State: a ``CallHistory`` (calls ring, successes ring, estimate window), an
    ``AccuracyWindow`` of the most recent labelled predictions, a ``RateWindow`` of success
    timestamps, and a ``StatusTracker``. ``record_call`` and ``record_label`` only append to
    bounded buffers and adjust counters; whatever sorts or scans waits for
    ``evaluate``/``snapshot``. Health is re-judged on every change from O(1) inputs: accuracy
    and error rate from running counts, latency p95 as cached by the last
    ``evaluate``/``snapshot``.

    Every method that can change the effective status (``degraded`` while the lifecycle
    status is ``active`` and health is ``critical``, else the lifecycle status) or the health
    returns the ``StatusTransition`` it caused, exactly once per change. ``snapshot`` has no
    room to return one, so a transition it causes is handed out by the next call that
    returns a list; the service's ticker should call ``evaluate`` instead.

    Not thread-safe: the caller serialises access (the service calls it from one event loop).
    """

    #: Rate timestamps are kept this long behind the latest time seen: one minute for
    #: ``predictions_per_minute``, one more for its trend, and 300 s of tolerated backward
    #: clock step. After a larger backward step the rate undercounts until the clock is back.
    RATE_RETENTION_SECONDS: ClassVar[float] = 60.0 + 60.0 + 300.0
    #: Lifecycle statuses the service may set; ``degraded`` is derived, never set.
    BASE_STATUSES: ClassVar[frozenset[str]] = StatusTracker.BASE_STATUSES

    __slots__ = (
        "_accuracy", "_deployed_at", "_drift_size", "_history", "_model_id", "_rate",
        "_reference", "_total", "_tracker",
    )  # fmt: skip

    def __init__(
        self,
        model_id: str,
        policy: HealthPolicy,
        *,
        base_status: str = "ready",
        deployed_at: float | None = None,
        reference: FeatureReference | None = None,
        total_predictions: int = 0,
        history_size: int = 1000,
        accuracy_size: int = 100,
        estimate_size: int = 100,
        drift_size: int = 100,
    ) -> None:
        """A monitor with empty windows; ``total_predictions`` is the count logged before.

        Raises ``ValueError`` for an unknown ``base_status`` or a window size below 1.
        """
        if drift_size < 1:
            raise ValueError("window sizes must be >= 1")
        self._model_id = model_id
        self._tracker = StatusTracker(model_id, policy, base_status)
        self._deployed_at = deployed_at
        self._reference = reference
        self._total = total_predictions
        self._drift_size = drift_size
        self._history = CallHistory(history_size, estimate_size)
        self._accuracy = AccuracyWindow(accuracy_size)
        self._rate = RateWindow(self.RATE_RETENTION_SECONDS)

    @classmethod
    def restore(
        cls,
        model_id: str,
        policy: HealthPolicy,
        *,
        base_status: str,
        deployed_at: float | None,
        reference: FeatureReference | None,
        total_predictions: int,
        recent_calls: Sequence[PredictionRecord],
        labelled: Sequence[LabelledOutcome],
        rate_timestamps: Sequence[float],
        history_size: int = 1000,
        accuracy_size: int = 100,
        estimate_size: int = 100,
        drift_size: int = 100,
    ) -> ModelMonitor:
        """A monitor rebuilt from the prediction log, e.g. after a restart; emits nothing.

        - ``recent_calls``: calls oldest first, labels filled in where known. The last
          ``history_size`` of them form the calls ring (error rate). The successes ring takes
          the last ``history_size`` *successful* calls found here, so with only the last
          ``history_size`` calls it holds fewer while the log had errors, and the estimate
          window likewise takes the last ``estimate_size`` probabilities found here. To
          restore every window exactly, pass the calls back to whichever is oldest: the
          ``history_size``-th most recent call, the ``history_size``-th most recent success,
          or the ``estimate_size``-th most recent success with a top probability.
        - ``labelled``: the most recent ``accuracy_size`` labelled successful predictions by
          ``(timestamp, prediction_id)`` (more are fine: only the top ones are kept).
        - ``rate_timestamps``: success timestamps newer than ``now - RATE_RETENTION_SECONDS``,
          any order.

        ``total_predictions`` is taken as given (the log's count), not added to. Health is
        judged with the latency p95 of the restored successes.
        """
        monitor = cls(
            model_id, policy, base_status=base_status, deployed_at=deployed_at,
            reference=reference, total_predictions=total_predictions,
            history_size=history_size, accuracy_size=accuracy_size,
            estimate_size=estimate_size, drift_size=drift_size,
        )  # fmt: skip
        monitor._history = CallHistory.of(history_size, estimate_size, recent_calls)
        for outcome in sorted(labelled, key=lambda o: (o.timestamp, o.prediction_id)):
            monitor._accuracy.add(outcome.timestamp, outcome.prediction_id, outcome.correct)
        monitor._rate = RateWindow(cls.RATE_RETENTION_SECONDS, rate_timestamps)
        if recent_calls:
            monitor._rate.observe(max(call.timestamp for call in recent_calls))
        tracker = monitor._tracker
        tracker.set_accuracy(monitor._accuracy.accuracy, len(monitor._accuracy))
        tracker.set_latency_p95(LatencyPercentiles.of(monitor._history.latencies()).p95)
        tracker.set_error_rate(monitor._history.error_rate)
        tracker.settle_silently()
        return monitor

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def policy(self) -> HealthPolicy:
        return self._tracker.policy

    @property
    def reference(self) -> FeatureReference | None:
        return self._reference

    @property
    def base_status(self) -> str:
        """The lifecycle status last set (``status`` may show ``degraded`` instead)."""
        return self._tracker.base_status

    @property
    def deployed_at(self) -> float | None:
        return self._deployed_at

    @property
    def total_predictions(self) -> int:
        return self._total

    @property
    def status(self) -> str:
        """The effective status: ``degraded`` while active and critical, else lifecycle."""
        return self._tracker.status

    @property
    def health(self) -> Health:
        return self._tracker.health

    def record_call(self, record: PredictionRecord) -> list[StatusTransition]:
        """Account one predict call; amortised O(1), no sorting or scanning.

        A success (``record.error is None``) counts in every window; when ``record.label`` is
        set it is also an inline label, correct iff ``record.label == record.prediction``. A
        failure counts in the calls ring (error rate) only. Prediction ids are assumed unique
        per model.
        """
        tracker = self._tracker
        error_rate_moved = self._history.add(record)
        health_moved = False
        if record.error is None:
            self._total += 1
            self._rate.add(record.timestamp)
            # The label test first: the unlabelled common path skips the property call.
            if record.label is not None:
                window = self._accuracy
                if window.add(record.timestamp, record.prediction_id, bool(record.correct)):
                    health_moved = tracker.set_accuracy(window.accuracy, len(window))
        if error_rate_moved and tracker.set_error_rate(self._history.error_rate):
            health_moved = True
        return tracker.settle() if health_moved else tracker.take_pending()

    def newest(self, count: int) -> list[PredictionRecord]:
        """The newest ``count`` successful predictions still in the ring, oldest first."""
        return self._history.newest(count)

    def lookup(self, prediction_id: str) -> PredictionRecord | None:
        """The successful call ``prediction_id`` if it is still in the successes ring (O(1))."""
        return self._history.lookup(prediction_id)

    def record_label(
        self, outcome: LabelledOutcome, label: Any = None, labelled_at: float | None = None
    ) -> list[StatusTransition]:
        """Account a (late) label for a successful prediction, in or out of the ring.

        The outcome enters the accuracy window at ``(outcome.timestamp,
        outcome.prediction_id)``, or is dropped if older than everything in a full window. A
        prediction is counted once: a later outcome for it is ignored. When the prediction is
        still in the ring and ``label`` is not ``None``, its record's ``label`` and
        ``labelled_at`` are set.
        """
        if label is not None:
            record = self._history.lookup(outcome.prediction_id)
            if record is not None:
                record.label = label
                record.labelled_at = labelled_at
        window = self._accuracy
        tracker = self._tracker
        if window.add(
            outcome.timestamp, outcome.prediction_id, outcome.correct
        ) and tracker.set_accuracy(window.accuracy, len(window)):
            return tracker.settle()
        return tracker.take_pending()

    def set_base_status(self, status: str, *, at: float | None = None) -> list[StatusTransition]:
        """Set the lifecycle status; ``at`` with ``active`` is the deployment time.

        Raises ``ValueError`` for a status outside ``BASE_STATUSES``.
        """
        changed = self._tracker.set_base_status(status)
        if status == "active" and at is not None:
            self._deployed_at = at
        return self._tracker.settle(lifecycle_changed=changed)

    def snapshot(self, now: float) -> MetricsSnapshot:
        """The numbers at ``now``; like ``evaluate`` but keeps its transitions pending."""
        result, transitions = self.evaluate(now)
        self._tracker.defer(transitions)
        return result

    def evaluate(self, now: float) -> tuple[MetricsSnapshot, list[StatusTransition]]:
        """Every number at ``now`` and the transitions so far (pending ones first).

        Sorts the ring's latencies (~1000) and refreshes the latency p95 that health is judged
        on between evaluations. ``now`` may be earlier than earlier calls (a clock step).
        """
        history, rate, tracker = self._history, self._rate, self._tracker
        rate.observe(now)
        latencies = history.latencies()
        percentiles = LatencyPercentiles.of(latencies)
        tracker.set_latency_p95(percentiles.p95)
        transitions = tracker.settle()

        reference = self._reference
        vectors: list[tuple[float, ...]] = []
        drift = None
        if reference is not None:
            vectors = history.recent_features(self._drift_size, reference.n_features)
            if len(vectors) >= MIN_DRIFT_VECTORS:
                drift = drift_score(vectors, reference)
        probabilities = history.probabilities()
        estimated = math.fsum(probabilities) / len(probabilities) if probabilities else None
        per_minute = rate.count(now - 60.0, now)
        ring_half = history.size // 2
        trends = MappingProxyType(
            {
                "current_accuracy": trend.outcome_trend(
                    self._accuracy.outcomes(), self._accuracy.size // 2
                ),
                "estimated_accuracy": trend.mean_trend(probabilities, history.estimate_size // 2),
                "predictions_per_minute": trend.rate_trend(
                    per_minute, rate.count(now - 120.0, now - 60.0)
                ),
                "latency_p95_ms": trend.latency_trend(latencies, ring_half),
                "error_rate": trend.error_trend(history.failed_flags(), ring_half),
                "drift_score": trend.drift_trend(vectors, reference, self._drift_size // 2),
            }
        )
        uptime = None
        if tracker.base_status == "active" and self._deployed_at is not None:
            # A clock stepped back past the deployment time must not show negative uptime.
            uptime = max(0.0, now - self._deployed_at)
        result = MetricsSnapshot(
            model_id=self._model_id,
            status=tracker.status,
            model_health=tracker.health,
            total_predictions=self._total,
            predictions_per_minute=per_minute,
            current_accuracy=self._accuracy.accuracy,
            accuracy_window=len(self._accuracy),
            estimated_accuracy=estimated,
            latency_ms=percentiles,
            error_rate=history.error_rate,
            drift_score=drift,
            uptime_seconds=uptime,
            trend=trends,
            computed_at=now,
        )
        return result, transitions

    def recompute_check(self) -> list[str]:
        """Recompute what the rings determine and compare it with the incremental state.

        Covers the error count, the id index, the estimate window's newest part, the
        accuracy window's hit count, and the rate window (sorted, and holding every retained
        success of the ring). Each mismatch is fixed and described; health is then re-judged
        and a resulting transition is left pending.
        """
        found = self._history.recompute_check()
        found += self._accuracy.recompute_check()
        rate = self._rate
        found += rate.recompute_check()
        cutoff = rate.high_water - rate.retention
        missing = Counter(
            record.timestamp for record in self._history.successes() if record.timestamp > cutoff
        ) - Counter(rate.timestamps())
        if missing:
            found.append(f"rate window was missing {missing.total()} timestamps")
            for timestamp in missing.elements():
                rate.add(timestamp)
        if found:
            tracker = self._tracker
            tracker.set_accuracy(self._accuracy.accuracy, len(self._accuracy))
            tracker.set_error_rate(self._history.error_rate)
            tracker.defer(tracker.settle())
        return found

"""``ModelMonitor``: the live numbers and the health of one model, fed one call at a time."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from modelbeacon.metrics import labels, trend
from modelbeacon.metrics.calibration import RAW, Calibration
from modelbeacon.metrics.health import Health, HealthPolicy
from modelbeacon.metrics.history import CallHistory
from modelbeacon.metrics.interval import wilson_interval
from modelbeacon.metrics.latency import LatencyPercentiles
from modelbeacon.metrics.psi import DRIFT_WINDOW, DriftReference
from modelbeacon.metrics.records import LabelledOutcome, StatusTransition
from modelbeacon.metrics.snapshot import MetricsSnapshot
from modelbeacon.metrics.status import StatusTracker
from modelbeacon.metrics.timed_drift import TimedDrift
from modelbeacon.metrics.window import AccuracyWindow, RateWindow
from modelbeacon.prediction import PredictionRecord


class ModelMonitor:
    """Incremental metrics of one model (definitions: DESIGN.md section 3 and ``trend``).

    State: a ``CallHistory`` (calls ring, successes ring, calibrated estimate window), an
    ``AccuracyWindow`` of the most recent labelled predictions, a ``RateWindow`` of success
    timestamps, a ``TimedDrift`` of the features' bin counts (with a reference), and a
    ``StatusTracker``. "Last" and "recent" are by each prediction's own timestamp (equal ones in
    arrival order), so predictions logged late, by a model served elsewhere, land where they
    happened. ``record_call`` and ``record_label`` only append to bounded buffers and adjust
    counters (drift only queues the features; a late one costs an insertion); whatever bins,
    sorts or scans waits for ``evaluate``/``snapshot``. Health is re-judged on every change from
    O(1) inputs: the accuracy judgement on each label, error rate from running counts, latency
    p95 as cached by the last ``evaluate``/``snapshot``.

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
        "_accuracy", "_classes", "_deployed_at", "_drift", "_drift_size", "_history", "_model_id",
        "_rate", "_total", "_tracker",
    )  # fmt: skip

    def __init__(
        self,
        model_id: str,
        policy: HealthPolicy,
        *,
        base_status: str = "ready",
        deployed_at: float | None = None,
        reference: DriftReference | None = None,
        calibration: Calibration | None = None,
        classes: Sequence[Any] = (),
        total_predictions: int = 0,
        history_size: int = 1000,
        accuracy_size: int = 100,
        estimate_size: int = 100,
        drift_size: int = DRIFT_WINDOW,
    ) -> None:
        """A monitor with empty windows; ``total_predictions`` is the count logged before.

        ``reference`` (the training split's bins) enables drift; ``calibration`` maps each
        top-class probability before it is averaged (raw without one); ``classes`` order the
        confusion matrix. Raises ``ValueError`` for an unknown ``base_status`` or a window
        size below 1 (2 for drift).
        """
        self._model_id = model_id
        self._tracker = StatusTracker(model_id, policy, base_status)
        self._deployed_at = deployed_at
        self._drift_size = drift_size
        self._drift = None if reference is None else TimedDrift(reference, drift_size)
        self._classes = tuple(classes)
        self._total = total_predictions
        self._history = CallHistory(history_size, estimate_size, calibration or RAW)
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
        reference: DriftReference | None,
        calibration: Calibration | None = None,
        classes: Sequence[Any] = (),
        total_predictions: int,
        recent_calls: Sequence[PredictionRecord],
        labelled: Sequence[PredictionRecord],
        rate_timestamps: Sequence[float],
        recent_successes: Sequence[PredictionRecord] | None = None,
        history_size: int = 1000,
        accuracy_size: int = 100,
        estimate_size: int = 100,
        drift_size: int = DRIFT_WINDOW,
    ) -> ModelMonitor:
        """A monitor rebuilt from the prediction log, e.g. after a restart; emits nothing.

        - ``recent_calls``: calls oldest first, labels filled in where known. The last
          ``history_size`` of them form the calls ring (error rate). The successes ring takes
          the last ``history_size`` *successful* calls found here, so with only the last
          ``history_size`` calls it holds fewer while the log had errors, and the estimate
          window likewise takes the last ``estimate_size`` probabilities found here, and the
          drift window the last ``drift_size`` feature vectors. To restore every window
          exactly, pass the calls back to whichever is oldest: the ``history_size``-th most
          recent call, the ``history_size``-th most recent success, the ``estimate_size``-th
          most recent success with a top probability, or the ``drift_size``-th most recent
          success with features of the reference's width.
        - ``labelled``: the most recent ``accuracy_size`` labelled successful predictions by
          ``(timestamp, prediction_id)``, with ``label`` and ``labelled_at`` set (more are
          fine: only the top ones are kept). Their outcomes are replayed, oldest first, through
          the accuracy judgement, so health after a restart rests on the evidence of the
          window's labels (the CUSUMs' memory of labels before them is not kept).
        - ``rate_timestamps``: success timestamps newer than ``now - RATE_RETENTION_SECONDS``,
          any order.
        - ``recent_successes``: when given, the successful predictions with the latest
          timestamps (any order; at least ``history_size`` of them where the log has them),
          which then form the successes ring, estimate and drift windows instead of the
          successes of ``recent_calls``. A model whose predictions were logged out of time
          order needs this: its latest by time are not its latest by arrival.

        ``total_predictions`` is taken as given (the log's count), not added to. Health is
        judged with the latency p95 of the restored successes.
        """
        monitor = cls(
            model_id, policy, base_status=base_status, deployed_at=deployed_at,
            reference=reference, calibration=calibration, classes=classes,
            total_predictions=total_predictions, history_size=history_size,
            accuracy_size=accuracy_size, estimate_size=estimate_size, drift_size=drift_size,
        )  # fmt: skip
        history = CallHistory.of(
            history_size, estimate_size, recent_calls, calibration or RAW, recent_successes
        )
        monitor._history = history
        if reference is not None:
            successes = (
                recent_successes
                if recent_successes is not None
                else [call for call in recent_calls if call.error is None]
            )
            monitor._drift = TimedDrift.of(
                reference,
                drift_size,
                ((r.timestamp, r.features) for r in successes if r.features is not None),
            )
        window = monitor._accuracy
        tracker = monitor._tracker
        for record in sorted(labelled, key=lambda r: (r.timestamp, r.prediction_id)):
            outcome = monitor._outcome(record, record.label, record.labelled_at)
            if window.add(outcome):
                tracker.observe_label(outcome.correct, window.hits, len(window))
        monitor._rate = RateWindow(cls.RATE_RETENTION_SECONDS, rate_timestamps)
        if recent_calls:
            monitor._rate.observe(max(call.timestamp for call in recent_calls))
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
    def reference(self) -> DriftReference | None:
        return None if self._drift is None else self._drift.reference

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
            drift = self._drift
            if drift is not None and record.features is not None:
                drift.add(record.timestamp, record.features)
            if record.label is not None:
                window = self._accuracy
                outcome = self._outcome(record, record.label, record.timestamp)
                if window.add(outcome):
                    health_moved = tracker.observe_label(outcome.correct, window.hits, len(window))
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
        self, prediction: PredictionRecord, label: Any, labelled_at: float
    ) -> list[StatusTransition]:
        """Account a (late) ``label`` for the successful ``prediction``, in or out of the ring.

        The outcome (right iff ``label == prediction.prediction``) enters the accuracy window
        at ``(prediction.timestamp, prediction.prediction_id)``, or is dropped if older than
        everything in a full window. A prediction is counted once: a later label for it is
        ignored. When the prediction is still in the ring and unlabelled, its record's
        ``label`` and ``labelled_at`` are set.
        """
        kept = self._history.lookup(prediction.prediction_id)
        if kept is not None and kept.label is None:
            kept.label = label
            kept.labelled_at = labelled_at
        window = self._accuracy
        tracker = self._tracker
        outcome = self._outcome(prediction, label, labelled_at)
        if window.add(outcome) and tracker.observe_label(outcome.correct, window.hits, len(window)):
            return tracker.settle()
        return tracker.take_pending()

    def _outcome(
        self, prediction: PredictionRecord, label: Any, labelled_at: float | None
    ) -> LabelledOutcome:
        delay = 0.0 if labelled_at is None else max(0.0, labelled_at - prediction.timestamp)
        return LabelledOutcome(
            prediction.timestamp,
            prediction.prediction_id,
            bool(label == prediction.prediction),
            label,
            prediction.prediction,
            prediction.top_probability,
            delay,
        )

    def set_trained(
        self,
        *,
        reference: DriftReference | None,
        calibration: Calibration | None,
        classes: Sequence[Any],
    ) -> None:
        """Take what training produced; the drift window starts empty when the reference
        changes (a model being trained has served nothing to compare)."""
        if reference != self.reference:
            self._drift = None if reference is None else TimedDrift(reference, self._drift_size)
        self._history.calibration = calibration or RAW
        self._classes = tuple(classes)

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

        drift = None if self._drift is None else self._drift.window()
        summary = None if drift is None else drift.summary()
        probabilities = history.probabilities()
        estimated = math.fsum(probabilities) / len(probabilities) if probabilities else None
        per_minute = rate.count(now - 60.0, now)
        ring_half = history.size // 2
        window = self._accuracy
        outcomes = window.outcomes()
        trends = MappingProxyType(
            {
                "current_accuracy": trend.outcome_trend(window.correctness(), window.size // 2),
                "estimated_accuracy": trend.mean_trend(probabilities, history.estimate_size // 2),
                "predictions_per_minute": trend.rate_trend(
                    per_minute, rate.count(now - 120.0, now - 60.0)
                ),
                "latency_p95_ms": trend.latency_trend(latencies, ring_half),
                "error_rate": trend.error_trend(history.failed_flags(), ring_half),
                "drift_score": trend.drift_trend(None if drift is None else drift.halves()),
            }
        )
        # A model served elsewhere makes no calls here, so no call of it can fail.
        error_rate = None if tracker.base_status == "monitored" else history.error_rate
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
            current_accuracy=window.accuracy,
            accuracy_window=len(window),
            accuracy_interval=wilson_interval(window.hits, len(window)),
            estimated_accuracy=estimated,
            estimate_gap=labels.estimate_gap(outcomes, history.calibration),
            confusion=labels.confusion(outcomes, self._classes),
            label_coverage=history.label_coverage(),
            label_delay_seconds=labels.label_delay(outcomes),
            latency_ms=percentiles,
            error_rate=error_rate,
            drift=summary,
            health_reason=tracker.reason(),
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
            tracker.judge_window(self._accuracy.hits, len(self._accuracy))
            tracker.set_error_rate(self._history.error_rate)
            tracker.defer(tracker.settle())
        return found

"""A model's effective status and health, and the transitions between them."""

from __future__ import annotations

from typing import ClassVar

from modelbeacon.metrics.health import Health, HealthPolicy, combine_health
from modelbeacon.metrics.judgement import AccuracyJudge
from modelbeacon.metrics.records import StatusTransition


class StatusTracker:
    """Holds the latest health inputs and emits one transition per change of (status, health).

    The effective status is ``degraded`` while the lifecycle status is ``active`` (served here)
    or ``monitored`` (served elsewhere) and health is ``critical``, else the lifecycle status.
    Inputs are set with ``set_*`` (each returns whether its part of health changed, so a caller
    can skip ``settle`` when nothing did); ``settle``
    recombines and returns the transition, if any, after the pending ones. Transitions that a
    caller could not hand out yet are parked with ``defer`` and returned by the next
    ``settle``/``take_pending``.
    """

    #: Lifecycle statuses a service may set; ``degraded`` is derived, never set.
    BASE_STATUSES: ClassVar[frozenset[str]] = frozenset(
        {"ready", "active", "inactive", "training", "failed", "monitored"}
    )
    #: Lifecycle statuses of a model in use, which show ``degraded`` while critical.
    IN_USE: ClassVar[frozenset[str]] = frozenset({"active", "monitored"})

    __slots__ = (
        "_base_status", "_error_part", "_error_rate", "_health", "_hits", "_judge", "_labelled",
        "_latency_p95", "_latency_part", "_pending", "_status", "model_id", "policy",
    )  # fmt: skip

    def __init__(self, model_id: str, policy: HealthPolicy, base_status: str) -> None:
        """Start with no data: health ``unknown``, no transition. ``ValueError`` for an
        unknown ``base_status``.
        """
        self._check(base_status)
        self.model_id = model_id
        self.policy = policy
        self._base_status = base_status
        self._judge = AccuracyJudge.of(policy)
        self._hits = 0
        self._labelled = 0
        self._latency_p95: float | None = None
        self._error_rate: float | None = None
        self._latency_part: Health = "healthy"
        self._error_part: Health = "healthy"
        self._health: Health = "unknown"
        self._status = base_status
        self._pending: list[StatusTransition] = []

    @property
    def base_status(self) -> str:
        return self._base_status

    @property
    def status(self) -> str:
        return self._status

    @property
    def health(self) -> Health:
        return self._health

    @property
    def latency_p95(self) -> float | None:
        """The p95 latency health is judged on (the last one set)."""
        return self._latency_p95

    def observe_label(self, correct: bool, hits: int, labelled: int) -> bool:
        """One label entered the accuracy window, which now has ``hits`` of ``labelled``."""
        self._hits, self._labelled = hits, labelled
        return self._judge.observe(correct, hits, labelled)

    def judge_window(self, hits: int, labelled: int) -> bool:
        """Re-judge the accuracy window as it is (no new label)."""
        self._hits, self._labelled = hits, labelled
        return self._judge.judge(hits, labelled)

    def reason(self) -> str:
        """The evidence for the current health in words: each part that set it (accuracy,
        latency, error rate), then the accuracy judgement's if it did not."""
        accuracy = self._judge.explain(self._hits, self._labelled)
        health = self._health
        latency_part, error_part = self._latency_part, self._error_part
        if health in ("unknown", "healthy"):
            return f"{accuracy}; latency and error rate are within thresholds"
        causes = [accuracy] if self._judge.part == health else []
        if latency_part == health:
            causes.append(self.policy.latency_cause(latency_part, self._latency_p95))
        if error_part == health:
            causes.append(self.policy.error_cause(error_part, self._error_rate))
        if self._judge.part != health:
            causes.append(accuracy)
        return "; ".join(causes)

    def set_latency_p95(self, latency_p95_ms: float | None) -> bool:
        self._latency_p95 = latency_p95_ms
        part = self.policy.latency_health(latency_p95_ms)
        changed = part != self._latency_part
        self._latency_part = part
        return changed

    def set_error_rate(self, error_rate: float | None) -> bool:
        self._error_rate = error_rate
        part = self.policy.error_health(error_rate)
        changed = part != self._error_part
        self._error_part = part
        return changed

    def set_base_status(self, status: str) -> bool:
        """Set the lifecycle status; ``ValueError`` outside ``BASE_STATUSES``."""
        self._check(status)
        changed = status != self._base_status
        self._base_status = status
        return changed

    def settle(self, *, lifecycle_changed: bool = False) -> list[StatusTransition]:
        """Recombine health and status: pending transitions, plus one if either changed."""
        old_status, old_health = self._status, self._health
        self._recombine()
        transitions = self.take_pending()
        if self._status != old_status or self._health != old_health:
            reason = self.reason()
            if lifecycle_changed:
                reason = f"lifecycle status set to '{self._base_status}'; {reason}"
            transitions.append(
                StatusTransition(
                    self.model_id, old_status, self._status, old_health, self._health, reason
                )
            )
        return transitions

    def settle_silently(self) -> None:
        """Recombine without emitting anything (a restored monitor starts where it was)."""
        self._recombine()

    def defer(self, transitions: list[StatusTransition]) -> None:
        """Park ``transitions`` to be returned, in order, before any later one."""
        self._pending = transitions + self._pending

    def take_pending(self) -> list[StatusTransition]:
        pending = self._pending
        if not pending:
            return []
        self._pending = []
        return pending

    def _recombine(self) -> None:
        self._health = combine_health(self._judge.part, self._latency_part, self._error_part)
        degraded = self._base_status in self.IN_USE and self._health == "critical"
        self._status = "degraded" if degraded else self._base_status

    def _check(self, status: str) -> None:
        if status not in self.BASE_STATUSES:
            allowed = ", ".join(sorted(self.BASE_STATUSES))
            raise ValueError(f"unknown lifecycle status {status!r}; expected one of {allowed}")

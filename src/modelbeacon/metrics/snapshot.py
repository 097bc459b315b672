"""The live numbers of one model at one time (the "Live metrics" payload)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from modelbeacon.clock import iso_utc
from modelbeacon.metrics.health import Health
from modelbeacon.metrics.interval import AccuracyInterval
from modelbeacon.metrics.labels import Confusion, LabelDelay
from modelbeacon.metrics.latency import LatencyPercentiles
from modelbeacon.metrics.psi import DriftSummary
from modelbeacon.metrics.trend import Trend

# Fields that move with the clock alone; an update is worth sending only if another changed.
_CLOCK_FIELDS = frozenset({"computed_at", "uptime_seconds"})


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Every number of DESIGN.md section 3 for one model, computed at ``computed_at``.

    ``trend`` maps each name of ``TREND_METRICS`` to ``up``/``down``/``flat``; treat it as
    read-only (``ModelMonitor`` hands out a read-only mapping). ``health_reason`` is the
    evidence for ``model_health`` in words.
    """

    model_id: str
    status: str
    model_health: Health
    total_predictions: int
    predictions_per_minute: int
    current_accuracy: float | None
    accuracy_window: int
    accuracy_interval: AccuracyInterval | None
    estimated_accuracy: float | None
    estimate_gap: float | None
    confusion: Confusion | None
    label_coverage: float | None
    label_delay_seconds: LabelDelay | None
    latency_ms: LatencyPercentiles
    error_rate: float | None
    drift: DriftSummary | None
    health_reason: str
    uptime_seconds: float | None
    trend: Mapping[str, Trend]
    computed_at: float

    def as_dict(self) -> dict[str, Any]:
        """Exactly the "Live metrics" JSON object of docs/PAYLOADS.md."""
        return {
            "model_id": self.model_id,
            "status": self.status,
            "model_health": self.model_health,
            "total_predictions": self.total_predictions,
            "predictions_per_minute": self.predictions_per_minute,
            "current_accuracy": self.current_accuracy,
            "accuracy_window": self.accuracy_window,
            "accuracy_interval": _dict(self.accuracy_interval),
            "estimated_accuracy": self.estimated_accuracy,
            "estimate_gap": self.estimate_gap,
            "confusion": _dict(self.confusion),
            "label_coverage": self.label_coverage,
            "label_delay_seconds": _dict(self.label_delay_seconds),
            "latency_ms": self.latency_ms.as_dict(),
            "error_rate": self.error_rate,
            "drift_score": self.drift_score,
            "drift": _dict(self.drift),
            "health_reason": self.health_reason,
            "uptime_seconds": self.uptime_seconds,
            "trend": dict(self.trend),
            "computed_at": iso_utc(self.computed_at),
        }

    @property
    def drift_score(self) -> float | None:
        """The largest feature PSI (``drift.score``)."""
        return None if self.drift is None else self.drift.score

    def same_numbers(self, other: MetricsSnapshot) -> bool:
        """Whether every field but ``computed_at`` and ``uptime_seconds`` is equal."""
        return all(
            getattr(self, field.name) == getattr(other, field.name)
            for field in fields(self)
            if field.name not in _CLOCK_FIELDS
        )


def _dict(value: AccuracyInterval | Confusion | LabelDelay | DriftSummary | None) -> Any:
    return None if value is None else value.as_dict()

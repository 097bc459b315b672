"""The live numbers of one model at one time (the "Live metrics" payload)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from modelbeacon.clock import iso_utc
from modelbeacon.metrics.health import Health
from modelbeacon.metrics.latency import LatencyPercentiles
from modelbeacon.metrics.trend import Trend

# Fields that move with the clock alone; an update is worth sending only if another changed.
_CLOCK_FIELDS = frozenset({"computed_at", "uptime_seconds"})


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Every number of DESIGN.md section 3 for one model, computed at ``computed_at``.

    ``trend`` maps each name of ``TREND_METRICS`` to ``up``/``down``/``flat``; treat it as
    read-only (``ModelMonitor`` hands out a read-only mapping).
    """

    model_id: str
    status: str
    model_health: Health
    total_predictions: int
    predictions_per_minute: int
    current_accuracy: float | None
    accuracy_window: int
    estimated_accuracy: float | None
    latency_ms: LatencyPercentiles
    error_rate: float | None
    drift_score: float | None
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
            "estimated_accuracy": self.estimated_accuracy,
            "latency_ms": self.latency_ms.as_dict(),
            "error_rate": self.error_rate,
            "drift_score": self.drift_score,
            "uptime_seconds": self.uptime_seconds,
            "trend": dict(self.trend),
            "computed_at": iso_utc(self.computed_at),
        }

    def same_numbers(self, other: MetricsSnapshot) -> bool:
        """Whether every field but ``computed_at`` and ``uptime_seconds`` is equal."""
        return all(
            getattr(self, field.name) == getattr(other, field.name)
            for field in fields(self)
            if field.name not in _CLOCK_FIELDS
        )

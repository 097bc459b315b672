"""One point of a model's metrics history: the charted numbers of a snapshot at one step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelbeacon.clock import iso_utc
from modelbeacon.metrics.health import Health
from modelbeacon.metrics.snapshot import MetricsSnapshot


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """What a history chart draws for one model at one step; ``at`` is unix seconds.

    ``accuracy_interval`` is ``(low, high)``, ``None`` exactly when there is no interval.
    """

    at: float
    predictions_per_minute: int
    current_accuracy: float | None
    accuracy_interval: tuple[float, float] | None
    estimated_accuracy: float | None
    latency_p95_ms: float | None
    error_rate: float | None
    drift_score: float | None
    model_health: Health

    def as_dict(self) -> dict[str, Any]:
        """The point JSON object of docs/PAYLOADS.md ("Metrics history")."""
        interval = self.accuracy_interval
        bounds = None if interval is None else {"low": interval[0], "high": interval[1]}
        return {
            "timestamp": iso_utc(self.at),
            "predictions_per_minute": self.predictions_per_minute,
            "current_accuracy": self.current_accuracy,
            "accuracy_interval": bounds,
            "estimated_accuracy": self.estimated_accuracy,
            "latency_p95_ms": self.latency_p95_ms,
            "error_rate": self.error_rate,
            "drift_score": self.drift_score,
            "model_health": self.model_health,
        }


def history_point(snapshot: MetricsSnapshot, *, at: float) -> HistoryPoint:
    """The history point of ``snapshot`` for the step at ``at``.

    ``at`` is the step's time rather than ``snapshot.computed_at``: a cached snapshot may be
    up to the cache's age older, and the points of a series must sit on the steps.
    """
    interval = snapshot.accuracy_interval
    return HistoryPoint(
        at=at,
        predictions_per_minute=snapshot.predictions_per_minute,
        current_accuracy=snapshot.current_accuracy,
        accuracy_interval=None if interval is None else (interval.low, interval.high),
        estimated_accuracy=snapshot.estimated_accuracy,
        latency_p95_ms=snapshot.latency_ms.p95,
        error_rate=snapshot.error_rate,
        drift_score=snapshot.drift_score,
        model_health=snapshot.model_health,
    )

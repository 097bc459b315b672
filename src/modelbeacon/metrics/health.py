"""Model health: the thresholds of DESIGN.md section 3 and how they combine.

Health is judged from three parts, each ``healthy``/``warning``/``critical`` (accuracy can also
be ``unknown``). Accuracy decides, judged with evidence by ``metrics.judgement`` (not compared
with the lines directly); latency p95 and error rate, compared with their thresholds, can only
make it worse. Severity
order is ``unknown < healthy < warning < critical``, except that ``unknown`` accuracy combined
with healthy latency and error rate stays ``unknown`` (we cannot call a model healthy before it
has been judged on labels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Health = Literal["unknown", "healthy", "warning", "critical"]

_SEVERITY: tuple[Health, ...] = ("unknown", "healthy", "warning", "critical")


def worst_health(*parts: Health) -> Health:
    """The most severe of ``parts`` in the order unknown < healthy < warning < critical."""
    return max(parts, key=_SEVERITY.index)


def combine_health(accuracy_part: Health, latency_part: Health, error_part: Health) -> Health:
    """Combine the three parts: the worst, but unknown accuracy + healthy rest stays unknown."""
    other = worst_health(latency_part, error_part)
    if accuracy_part == "unknown" and other == "healthy":
        return "unknown"
    return worst_health(accuracy_part, other)


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """Health thresholds; comparisons are strict.

    Built by ``Settings.health_policy``, which holds the one set of defaults. Latency or error
    rate exactly at a threshold is on the good side (250 ms is healthy). Raises ``ValueError``
    when the thresholds are out of range or in the wrong order.
    """

    accuracy_warning: float
    accuracy_critical: float
    min_labelled: int
    latency_p95_warning_ms: float
    latency_p95_critical_ms: float
    error_rate_warning: float
    error_rate_critical: float

    def __post_init__(self) -> None:
        numbers = (
            self.accuracy_warning,
            self.accuracy_critical,
            self.latency_p95_warning_ms,
            self.latency_p95_critical_ms,
            self.error_rate_warning,
            self.error_rate_critical,
        )
        if not all(math.isfinite(value) for value in numbers):
            raise ValueError("health thresholds must be finite numbers")
        if not 0.0 <= self.accuracy_critical <= self.accuracy_warning <= 1.0:
            raise ValueError("need 0 <= accuracy_critical <= accuracy_warning <= 1")
        if self.min_labelled < 0:
            raise ValueError("min_labelled must be >= 0")
        # Non-negative latency and error thresholds make "no data" and "0 errors" equivalent,
        # which the monitor's hot path relies on to skip re-evaluation while nothing failed.
        if not 0.0 <= self.latency_p95_warning_ms <= self.latency_p95_critical_ms:
            raise ValueError("need 0 <= latency_p95_warning_ms <= latency_p95_critical_ms")
        if not 0.0 <= self.error_rate_warning <= self.error_rate_critical <= 1.0:
            raise ValueError("need 0 <= error_rate_warning <= error_rate_critical <= 1")

    def latency_health(self, latency_p95_ms: float | None) -> Health:
        """``healthy`` without data, else by the p95 latency thresholds."""
        if latency_p95_ms is None or latency_p95_ms <= self.latency_p95_warning_ms:
            return "healthy"
        if latency_p95_ms > self.latency_p95_critical_ms:
            return "critical"
        return "warning"

    def error_health(self, error_rate: float | None) -> Health:
        """``healthy`` without data, else by the error-rate thresholds."""
        if error_rate is None or error_rate <= self.error_rate_warning:
            return "healthy"
        if error_rate > self.error_rate_critical:
            return "critical"
        return "warning"

    def latency_cause(self, part: Health, latency_p95_ms: float | None) -> str:
        """Why the latency part is ``part`` (``warning``/``critical``), in words."""
        limit = self.latency_p95_critical_ms if part == "critical" else self.latency_p95_warning_ms
        return f"latency p95 {latency_p95_ms:.1f} ms is above the {part} threshold {limit:.1f} ms"

    def error_cause(self, part: Health, error_rate: float | None) -> str:
        """Why the error-rate part is ``part`` (``warning``/``critical``), in words."""
        limit = self.error_rate_critical if part == "critical" else self.error_rate_warning
        return f"error rate {error_rate:.3f} is above the {part} threshold {limit:.3f}"

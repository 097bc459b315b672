"""Model health: the thresholds of DESIGN.md section 3 and how they combine.

Health is judged from three parts, each ``healthy``/``warning``/``critical`` (accuracy can also
be ``unknown``). Accuracy decides; latency p95 and error rate can only make it worse. Severity
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

    Built by ``Settings.health_policy``, which holds the one set of defaults. Accuracy exactly
    at a threshold is on the good side (0.85 is healthy), and latency or error rate exactly at
    a threshold is too (250 ms is healthy). Raises ``ValueError`` when the thresholds are out
    of range or in the wrong order.
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

    def accuracy_health(self, accuracy: float | None, labelled: int) -> Health:
        """``unknown`` below ``min_labelled`` labels, else by the accuracy thresholds."""
        if accuracy is None or labelled < self.min_labelled:
            return "unknown"
        if accuracy < self.accuracy_critical:
            return "critical"
        if accuracy < self.accuracy_warning:
            return "warning"
        return "healthy"

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

    def health(
        self,
        accuracy: float | None,
        labelled: int,
        latency_p95_ms: float | None,
        error_rate: float | None,
    ) -> Health:
        """The model's health from its current numbers (see the module docstring)."""
        return combine_health(
            self.accuracy_health(accuracy, labelled),
            self.latency_health(latency_p95_ms),
            self.error_health(error_rate),
        )

    def reason(
        self,
        accuracy: float | None,
        labelled: int,
        latency_p95_ms: float | None,
        error_rate: float | None,
    ) -> str:
        """A sentence explaining ``health(...)`` for the same arguments.

        It names every part that set the result, e.g. ``"accuracy 0.780 is below the critical
        threshold 0.800 (100 labels)"``.
        """
        accuracy_part = self.accuracy_health(accuracy, labelled)
        latency_part = self.latency_health(latency_p95_ms)
        error_part = self.error_health(error_rate)
        result = combine_health(accuracy_part, latency_part, error_part)
        labels = f"{labelled} label" + ("" if labelled == 1 else "s")

        if result == "unknown":
            return (
                f"accuracy not judged yet: {labels}, fewer than the "
                f"{self.min_labelled} needed; latency and error rate are within thresholds"
            )
        if result == "healthy":
            return (
                f"accuracy {accuracy:.3f} meets the warning threshold "
                f"{self.accuracy_warning:.3f} ({labels}); latency and error rate are within "
                "thresholds"
            )

        causes: list[str] = []
        if accuracy_part == result:
            threshold = self.accuracy_critical if result == "critical" else self.accuracy_warning
            causes.append(
                f"accuracy {accuracy:.3f} is below the {result} threshold {threshold:.3f} "
                f"({labels})"
            )
        if latency_part == result:
            limit = (
                self.latency_p95_critical_ms
                if result == "critical"
                else self.latency_p95_warning_ms
            )
            causes.append(
                f"latency p95 {latency_p95_ms:.1f} ms is above the {result} threshold "
                f"{limit:.1f} ms"
            )
        if error_part == result:
            limit = self.error_rate_critical if result == "critical" else self.error_rate_warning
            causes.append(
                f"error rate {error_rate:.3f} is above the {result} threshold {limit:.3f}"
            )
        return "; ".join(causes)

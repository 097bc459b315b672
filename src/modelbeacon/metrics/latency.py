"""Latency percentiles by the nearest-rank method."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def nearest_rank(sorted_values: Sequence[float], percent: int) -> float:
    """The ``percent``-th percentile of non-empty ascending ``sorted_values``.

    Nearest rank: ``sorted_values[ceil(percent / 100 * n) - 1]``. The rank is computed in
    integers so that no float rounding can move it (``percent`` is an int for that reason).
    """
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no values to take a percentile of")
    if not 0 < percent <= 100:
        raise ValueError("percent must be in (0, 100]")
    rank = -(-percent * n // 100)
    return sorted_values[rank - 1]


@dataclass(frozen=True, slots=True)
class LatencyPercentiles:
    """p50/p95/p99 in milliseconds; all ``None`` when there were no calls."""

    p50: float | None = None
    p95: float | None = None
    p99: float | None = None

    @classmethod
    def of(cls, latencies: Sequence[float]) -> LatencyPercentiles:
        """Percentiles of ``latencies`` (any order); sorts a copy, O(n log n)."""
        if not latencies:
            return cls()
        ordered = sorted(latencies)
        return cls(nearest_rank(ordered, 50), nearest_rank(ordered, 95), nearest_rank(ordered, 99))

    def as_dict(self) -> dict[str, Any]:
        """``{"p50", "p95", "p99"}`` as in the ``latency_ms`` field of the payloads."""
        return {"p50": self.p50, "p95": self.p95, "p99": self.p99}

"""The Wilson score interval of a proportion.

Wilson, E. B. (1927), "Probable inference, the law of succession, and statistical inference",
JASA 22(158): 209-212. It is what ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``
returns (the tests check it against scipy); written out here because the health judgement
evaluates it on every label, where constructing scipy's result object would cost ~100x more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: The two-sided 95% normal quantile, ``scipy.stats.norm.ppf(0.975)``.
Z_95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class AccuracyInterval:
    """``{low, high}``: a 95% interval for the accuracy behind ``hits`` of ``n`` labels."""

    low: float
    high: float

    def as_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}


def wilson_interval(hits: int, n: int, z: float = Z_95) -> AccuracyInterval | None:
    """The Wilson score interval of ``hits`` successes in ``n`` trials; ``None`` when ``n == 0``.

    ``center ± half`` with ``center = (p + z²/2n) / (1 + z²/n)`` and
    ``half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)``, exactly 0 (1) when no (every) trial
    succeeded, as scipy gives, and clipped to [0, 1] against rounding.
    85 of 100 gives [0.767, 0.907].
    """
    if n <= 0:
        return None
    p = hits / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    center = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if hits == 0 else max(0.0, center - half)
    high = 1.0 if hits == n else min(1.0, center + half)
    return AccuracyInterval(low, high)

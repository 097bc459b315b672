"""Trends: a metric's recent half compared with its older half.

Every trend is defined by the data alone (never by the previous snapshot), so it does not
depend on how often snapshots are taken and can be recomputed from the prediction log:

============================  ==============================================  ===============
metric                        newer vs older                                  up/down when
============================  ==============================================  ===============
``current_accuracy``          newest half vs older half of the accuracy       |diff| > 0.01
                              window (flat if a half has < 10)
``estimated_accuracy``        same, over the estimate window                  |diff| > 0.01
``predictions_per_minute``    count in (now-60, now] vs (now-120, now-60]     |diff| > max(1,
                                                                              10% of older)
``latency_p95_ms``            p95 of the newest vs older half of the          |diff| > 10% of
                              successful-call latencies (flat if < 20)        older
``error_rate``                newest vs older half of the calls ring          |diff| > 0.01
                              (flat if < 20)
``drift_score``               largest feature PSI of the newest vs older      |diff| > 0.05
                              half of the drift window (flat if a half
                              has < 50)
============================  ==============================================  ===============
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, TypeVar

from modelbeacon.metrics.latency import nearest_rank

Trend = Literal["up", "down", "flat"]

#: The metrics that carry a trend, in payload order.
TREND_METRICS: tuple[str, ...] = (
    "current_accuracy",
    "estimated_accuracy",
    "predictions_per_minute",
    "latency_p95_ms",
    "error_rate",
    "drift_score",
)

FRACTION_TOLERANCE = 0.01
RELATIVE_TOLERANCE = 0.10
DRIFT_TOLERANCE = 0.05
MIN_HALF_SAMPLES = 10
MIN_HALF_CALLS = 20

T = TypeVar("T")


def split_halves(values: Sequence[T], half: int) -> tuple[Sequence[T], Sequence[T]]:
    """``(older, newer)``: the last ``half`` items and the ``half`` items before them."""
    n = len(values)
    cut = max(0, n - half)
    return values[max(0, n - 2 * half) : cut], values[cut:]


def compare(newer: float, older: float, tolerance: float) -> Trend:
    """``up``/``down`` when ``newer`` differs from ``older`` by more than ``tolerance``."""
    difference = newer - older
    if difference > tolerance:
        return "up"
    if -difference > tolerance:
        return "down"
    return "flat"


def outcome_trend(outcomes: Sequence[bool], half: int) -> Trend:
    """Trend of the fraction correct over an accuracy window in prediction order."""
    older, newer = split_halves(outcomes, half)
    if len(older) < MIN_HALF_SAMPLES or len(newer) < MIN_HALF_SAMPLES:
        return "flat"
    return compare(sum(newer) / len(newer), sum(older) / len(older), FRACTION_TOLERANCE)


def mean_trend(values: Sequence[float], half: int) -> Trend:
    """Trend of the mean (``fsum / n``) of a window of fractions in arrival order."""
    older, newer = split_halves(values, half)
    if len(older) < MIN_HALF_SAMPLES or len(newer) < MIN_HALF_SAMPLES:
        return "flat"
    return compare(math.fsum(newer) / len(newer), math.fsum(older) / len(older), FRACTION_TOLERANCE)


def rate_trend(current: int, previous: int) -> Trend:
    """Predictions in the last minute against the minute before."""
    return compare(current, previous, max(1.0, RELATIVE_TOLERANCE * previous))


def latency_trend(latencies: Sequence[float], half: int) -> Trend:
    """Nearest-rank p95 of the newer half of ``latencies`` (arrival order) vs the older."""
    older, newer = split_halves(latencies, half)
    if len(older) < MIN_HALF_CALLS or len(newer) < MIN_HALF_CALLS:
        return "flat"
    older_p95 = nearest_rank(sorted(older), 95)
    return compare(nearest_rank(sorted(newer), 95), older_p95, RELATIVE_TOLERANCE * older_p95)


def error_trend(failed: Sequence[bool], half: int) -> Trend:
    """Error rate of the newer half of the calls ring (arrival order) vs the older half."""
    older, newer = split_halves(failed, half)
    if len(older) < MIN_HALF_CALLS or len(newer) < MIN_HALF_CALLS:
        return "flat"
    return compare(sum(newer) / len(newer), sum(older) / len(older), FRACTION_TOLERANCE)


def drift_trend(halves: tuple[float, float] | None) -> Trend:
    """``(older, newer)`` drift scores of the drift window's halves; flat without them."""
    if halves is None:
        return "flat"
    older, newer = halves
    return compare(newer, older, DRIFT_TOLERANCE)

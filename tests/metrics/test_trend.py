"""Trend helpers: halves and tolerances."""

from __future__ import annotations

from modelbeacon.metrics import trend


def test_split_halves_takes_newest_half_and_the_half_before() -> None:
    values = list(range(130))
    older, newer = trend.split_halves(values, 50)
    assert list(newer) == list(range(80, 130))
    assert list(older) == list(range(30, 80))
    older, newer = trend.split_halves(values[:60], 50)
    assert list(newer) == list(range(10, 60)) and list(older) == list(range(10))


def test_compare_needs_more_than_the_tolerance() -> None:
    assert trend.compare(0.5, 0.25, 0.25) == "flat"
    assert trend.compare(0.5, 0.2, 0.25) == "up"
    assert trend.compare(0.2, 0.5, 0.25) == "down"


def test_rate_trend_tolerance_is_ten_percent_and_at_least_one() -> None:
    assert trend.rate_trend(1, 0) == "flat"
    assert trend.rate_trend(2, 0) == "up"
    assert trend.rate_trend(110, 100) == "flat"
    assert trend.rate_trend(111, 100) == "up"
    assert trend.rate_trend(89, 100) == "down"


def test_outcome_trend_flat_until_both_halves_have_ten() -> None:
    assert trend.outcome_trend([False] * 9 + [True] * 50, 50) == "flat"
    assert trend.outcome_trend([False] * 10 + [True] * 50, 50) == "up"
    assert trend.outcome_trend([True] * 50 + [False] * 50, 50) == "down"


def test_latency_and_error_trends_need_twenty_per_half() -> None:
    assert trend.latency_trend([1.0] * 19 + [5.0] * 500, 500) == "flat"
    assert trend.latency_trend([1.0] * 20 + [5.0] * 500, 500) == "up"
    assert trend.latency_trend([1.0] * 20 + [1.1] * 20, 500) == "flat"  # all in the newer half
    assert trend.error_trend([True] * 20 + [False] * 500, 500) == "down"


def test_drift_trend_compares_the_newer_half_with_the_older() -> None:
    assert trend.drift_trend(None) == "flat"
    assert trend.drift_trend((0.1, 0.2)) == "up"
    assert trend.drift_trend((0.2, 0.1)) == "down"
    assert trend.drift_trend((0.1, 0.15)) == "flat"

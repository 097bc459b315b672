"""HealthPolicy thresholds, combination and reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelbeacon.metrics.health import combine_health
from tests.policies import health_policy

POLICY = health_policy()


@pytest.mark.parametrize(
    ("accuracy", "expected"),
    [
        (1.0, "healthy"),
        (0.85, "healthy"),
        (0.8499, "warning"),
        (0.80, "warning"),
        (0.7999, "critical"),
        (0.0, "critical"),
    ],
)
def test_health_policy_accuracy_thresholds(accuracy: float, expected: str) -> None:
    assert POLICY.health(accuracy, 100, None, None) == expected


def test_health_policy_unknown_below_min_labelled() -> None:
    assert POLICY.health(0.1, 19, None, None) == "unknown"
    assert POLICY.health(0.1, 20, None, None) == "critical"
    assert POLICY.health(None, 0, 10.0, 0.0) == "unknown"
    assert health_policy(min_labelled=0).health(None, 0, None, None) == "unknown"


@pytest.mark.parametrize(
    ("latency", "error_rate", "expected"),
    [
        (250.0, 0.05, "healthy"),
        (250.1, 0.0, "warning"),
        (1000.0, 0.0, "warning"),
        (1000.1, 0.0, "critical"),
        (1.0, 0.0501, "warning"),
        (1.0, 0.2, "warning"),
        (1.0, 0.2001, "critical"),
    ],
)
def test_health_policy_latency_and_errors_only_worsen(
    latency: float, error_rate: float, expected: str
) -> None:
    assert POLICY.health(0.99, 100, latency, error_rate) == expected
    # A critical accuracy stays critical whatever latency and errors do.
    assert POLICY.health(0.5, 100, latency, error_rate) == "critical"


def test_health_policy_unknown_accuracy_with_bad_latency_is_not_unknown() -> None:
    assert POLICY.health(None, 0, 300.0, 0.0) == "warning"
    assert POLICY.health(0.99, 3, 10.0, 0.5) == "critical"
    assert POLICY.health(0.99, 3, 10.0, 0.01) == "unknown"


parts = st.sampled_from(["unknown", "healthy", "warning", "critical"])
rest = st.sampled_from(["healthy", "warning", "critical"])


@given(parts, rest, rest)
def test_combine_health_is_worst_but_unknown_survives_healthy(a: str, b: str, c: str) -> None:
    order = ["unknown", "healthy", "warning", "critical"]
    result = combine_health(a, b, c)  # type: ignore[arg-type]
    worst = max((a, b, c), key=order.index)
    assert result == ("unknown" if a == "unknown" and worst == "healthy" else worst)


def test_health_policy_reason_names_the_cause() -> None:
    assert POLICY.reason(0.78, 100, 10.0, 0.0) == (
        "accuracy 0.780 is below the critical threshold 0.800 (100 labels)"
    )
    assert POLICY.reason(0.83, 100, 10.0, 0.0) == (
        "accuracy 0.830 is below the warning threshold 0.850 (100 labels)"
    )
    assert POLICY.reason(0.95, 100, 1200.0, 0.3) == (
        "latency p95 1200.0 ms is above the critical threshold 1000.0 ms; "
        "error rate 0.300 is above the critical threshold 0.200"
    )
    assert "fewer than the 20 needed" in POLICY.reason(None, 1, None, None)
    assert "1 label," in POLICY.reason(None, 1, None, None)
    assert POLICY.reason(0.95, 40, 5.0, 0.0).startswith("accuracy 0.950 meets")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"accuracy_warning": 0.7, "accuracy_critical": 0.8},
        {"accuracy_warning": 1.5},
        {"min_labelled": -1},
        {"latency_p95_warning_ms": 2000.0},
        {"latency_p95_warning_ms": -1.0},
        {"error_rate_warning": 0.5, "error_rate_critical": 0.2},
        {"error_rate_critical": float("nan")},
    ],
)
def test_health_policy_rejects_inconsistent_thresholds(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        health_policy(**kwargs)  # type: ignore[arg-type]

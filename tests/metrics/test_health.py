"""HealthPolicy thresholds, combination and reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelbeacon.metrics.health import combine_health
from tests.policies import health_policy

POLICY = health_policy()


@pytest.mark.parametrize(
    ("latency", "expected"),
    [(None, "healthy"), (250.0, "healthy"), (250.1, "warning"), (1000.0, "warning"),
     (1000.1, "critical")],
)  # fmt: skip
def test_health_policy_latency_thresholds(latency: float | None, expected: str) -> None:
    assert POLICY.latency_health(latency) == expected


@pytest.mark.parametrize(
    ("error_rate", "expected"),
    [(None, "healthy"), (0.05, "healthy"), (0.0501, "warning"), (0.2, "warning"),
     (0.2001, "critical")],
)  # fmt: skip
def test_health_policy_error_rate_thresholds(error_rate: float | None, expected: str) -> None:
    assert POLICY.error_health(error_rate) == expected


parts = st.sampled_from(["unknown", "healthy", "warning", "critical"])
rest = st.sampled_from(["healthy", "warning", "critical"])


@given(parts, rest, rest)
def test_combine_health_is_worst_but_unknown_survives_healthy(a: str, b: str, c: str) -> None:
    order = ["unknown", "healthy", "warning", "critical"]
    result = combine_health(a, b, c)  # type: ignore[arg-type]
    worst = max((a, b, c), key=order.index)
    assert result == ("unknown" if a == "unknown" and worst == "healthy" else worst)


def test_health_policy_causes_name_the_number_and_threshold() -> None:
    assert POLICY.latency_cause("critical", 1200.0) == (
        "latency p95 1200.0 ms is above the critical threshold 1000.0 ms"
    )
    assert POLICY.error_cause("warning", 0.1) == (
        "error rate 0.100 is above the warning threshold 0.050"
    )


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

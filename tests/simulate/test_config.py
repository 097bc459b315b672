"""SimulationConfig: defaults and refusals."""

from __future__ import annotations

import pytest

from modelbeacon.simulate.config import SimulationConfig


def test_config_defaults_are_the_readable_demo_traffic() -> None:
    config = SimulationConfig()
    assert (config.low_rate, config.high_rate, config.rate) == (20.0, 60.0, None)
    assert (config.label_share, config.inline_share) == (0.7, 0.2)
    assert (config.min_label_delay, config.max_label_delay) == (0.5, 10.0)
    assert config.duration is None and config.max_requests is None
    assert config.dataset == "iris" and config.model_name == "iris-demo"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "localhost:8000"}, "http://"),
        ({"low_rate": 70.0}, "high_rate must be at least low_rate"),
        ({"rate": 0.0}, "rate must be greater than 0"),
        ({"label_share": 1.5}, "label_share must be between 0 and 1"),
        ({"min_label_delay": 5.0, "max_label_delay": 1.0}, "max_label_delay"),
        ({"drift_every": 60.0, "drift_duration": 60.0}, "shorter than drift_every"),
        ({"duration": -1.0}, "duration must be greater than 0"),
        ({"max_requests": 0}, "max_requests must be at least 1"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"period": float("nan")}, "finite"),
    ],
)
def test_config_refuses_bad_values_naming_the_field(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SimulationConfig(**overrides)  # type: ignore[arg-type]


def test_config_allows_disabling_drift_and_retrain() -> None:
    config = SimulationConfig(drift_every=0.0, drift_duration=500.0, retrain_every=0.0)
    assert config.drift_every == 0.0 and config.retrain_every == 0.0

"""``Settings``: the metrics-history knobs, their environment names and their bounds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modelbeacon.settings import Settings


def test_settings_history_defaults_to_a_5_second_step_kept_24_hours() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.history_step_seconds == 5.0
    assert settings.history_hours == 24


def test_settings_history_step_is_read_from_modelbeacon_history_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELBEACON_HISTORY_STEP", "0.25")
    monkeypatch.setenv("MODELBEACON_HISTORY_HOURS", "48")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.history_step_seconds == 0.25
    assert settings.history_hours == 48


def test_settings_history_step_can_be_given_by_its_field_name() -> None:
    settings = Settings(_env_file=None, history_step_seconds=0.1)  # type: ignore[call-arg]
    assert settings.history_step_seconds == 0.1


@pytest.mark.parametrize(
    "values",
    [
        {"history_step_seconds": 0.09},
        {"history_step_seconds": 5.01},
        {"history_step_seconds": 0},
        {"history_hours": 0},
    ],
)
def test_settings_refuse_a_history_step_or_period_out_of_bounds(values: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize("step", [0.1, 5.0])
def test_settings_accept_the_history_step_bounds_themselves(step: float) -> None:
    settings = Settings(_env_file=None, history_step_seconds=step)  # type: ignore[call-arg]
    assert settings.history_step_seconds == step

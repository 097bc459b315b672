"""The default health policy for tests: ``Settings``' defaults (the one definition), without
reading the environment, with the overrides a test asks for."""

from __future__ import annotations

import dataclasses
from typing import Any

from modelbeacon.metrics import HealthPolicy
from modelbeacon.settings import Settings


def health_policy(**overrides: Any) -> HealthPolicy:
    """``dataclasses.replace`` of the default policy, so bad overrides raise ``ValueError``."""
    return dataclasses.replace(Settings.model_construct().health_policy(), **overrides)

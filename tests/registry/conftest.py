"""Shared helpers for the registry tests: a progress recorder."""

from __future__ import annotations

import pytest

from modelbeacon.registry.training import TrainingProgress


class ProgressLog:
    """Collects every progress report ``train`` makes, in order."""

    def __init__(self) -> None:
        self.reports: list[TrainingProgress] = []

    def __call__(self, report: TrainingProgress) -> None:
        self.reports.append(report)

    def stages(self) -> list[str]:
        """Stage names in order of first appearance, each once."""
        seen: list[str] = []
        for report in self.reports:
            if not seen or seen[-1] != report.stage:
                seen.append(report.stage)
        return seen

    def fitting_steps(self) -> list[TrainingProgress]:
        """Fitting reports strictly between the stage's first and last percentage."""
        return [r for r in self.reports if r.stage == "fitting" and 10.0 < r.progress < 85.0]


@pytest.fixture
def progress_log() -> ProgressLog:
    return ProgressLog()

"""Terminal pieces shared by the commands: training progress on a terminal or in a log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn


def training_progress_bar(console: Console) -> Progress:
    """A bar with the training stage, percentage, elapsed time and the stage's details."""
    return Progress(
        TextColumn("[bold]{task.fields[stage]:<13}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[details]}"),
        console=console,
        transient=False,
    )


class TrainingReporter:
    """Shows training progress: a live bar on a terminal, one line per report in a log file
    or CI (where a bar would only show its final frame)."""

    def __init__(self, console: Console, bar: Progress) -> None:
        self._console = console
        self._bar = bar
        self._task = bar.add_task("train", total=100, stage="queued", details="", visible=False)
        self._last: tuple[str, float, str] | None = None

    def report(self, stage: str, progress: float, details: str) -> None:
        """Show one report; one equal to the previous (a poll that saw no change) shows nothing."""
        if (stage, progress, details) == self._last:
            return
        self._last = (stage, progress, details)
        self._bar.update(self._task, visible=True, completed=progress, stage=stage, details=details)
        if not self._console.is_terminal:
            self._console.print(f"{stage:<13} {progress:5.1f}%  {details}")


@contextmanager
def training_reporter(console: Console) -> Iterator[TrainingReporter]:
    with training_progress_bar(console) as bar:
        yield TrainingReporter(console, bar)

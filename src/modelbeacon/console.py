"""Terminal pieces shared by the commands: the training progress bar."""

from __future__ import annotations

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

"""Time sources, injectable so tests can step the wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]
"""Returns wall-clock unix seconds (``time.time`` in production)."""

system_clock: Clock = time.time


def iso(ts: float | None) -> str | None:
    """ISO-8601 UTC with a trailing ``Z`` (``None`` stays ``None``)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def format_uptime(seconds: float | None) -> str | None:
    """``"2h 15m"``-style text for the dashboard; ``None`` when not deployed."""
    if seconds is None:
        return None
    minutes = int(max(seconds, 0) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"

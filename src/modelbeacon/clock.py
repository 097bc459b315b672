"""Time: the injectable wall clock and the one ISO-8601 UTC format of every payload.

Bottom layer (beside ``errors``): metrics, events, storage and services all import it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import overload

Clock = Callable[[], float]
"""Returns wall-clock unix seconds (``time.time`` in production); tests step their own."""

system_clock: Clock = time.time


@overload
def iso_utc(timestamp: float) -> str: ...
@overload
def iso_utc(timestamp: None) -> None: ...
def iso_utc(timestamp: float | None) -> str | None:
    """Unix seconds as ISO-8601 UTC with microseconds and a trailing ``Z``
    (``2026-11-24T06:38:04.123456Z``); ``None`` stays ``None``."""
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def utc_now_iso() -> str:
    """Now, formatted as ``iso_utc``."""
    return iso_utc(time.time())

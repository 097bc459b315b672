"""How services announce what happened, without knowing who listens.

Services call ``EventSink.emit`` synchronously (from the event loop, never from a worker
thread); the real-time layer implements it by handing the event to the bus.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class EventSink(Protocol):
    def emit(
        self, event_type: str, payload: Mapping[str, Any], *, model_id: str | None = None
    ) -> None:
        """Queue one event; must not block and must not raise for a listener's failure."""

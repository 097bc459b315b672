"""Live events: the bus services publish to, and the hub that pushes them to dashboards.

    services --BusPublisher.emit--> EventBus (memory:// | redis://) --> EventHub --> clients

Transport-agnostic: nothing here imports FastAPI or Starlette. The ``/ws`` endpoint hands the
hub anything with ``send_text(str)`` and ``close(code, reason)`` (``ClientSocket``).
"""

from modelbeacon.events.bus import EventBus, create_bus
from modelbeacon.events.client import (
    CLOSE_QUEUE_FULL,
    CLOSE_SLOW_CLIENT,
    ClientConnection,
    ClientSocket,
)
from modelbeacon.events.coalescing import DEFAULT_COALESCING, Merge
from modelbeacon.events.event import Event, EventEncodingError
from modelbeacon.events.hub import EventHub
from modelbeacon.events.memory import MemoryBus
from modelbeacon.events.publisher import BusPublisher
from modelbeacon.events.stats import HubStats
from modelbeacon.events.types import EVENTS_CHANNEL

__all__ = [
    "CLOSE_QUEUE_FULL",
    "CLOSE_SLOW_CLIENT",
    "DEFAULT_COALESCING",
    "EVENTS_CHANNEL",
    "BusPublisher",
    "ClientConnection",
    "ClientSocket",
    "Event",
    "EventBus",
    "EventEncodingError",
    "EventHub",
    "HubStats",
    "MemoryBus",
    "Merge",
    "create_bus",
]

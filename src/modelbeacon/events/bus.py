"""The event bus interface and the factory that picks a backend by URL scheme.

Services publish ``Event``s to a channel; every hub (one per process) subscribes to it. The
interface is the one a Redis pub/sub backend can honour: events travel as their JSON text
(``Event.to_json``, encoded once per event), so nothing that only exists in process can leak
through, and delivery is at-most-once to the subscribers present at publish time.

    memory://          MemoryBus, in process (the default when no URL is set)
    redis://, rediss:// RedisBus from ``modelbeacon.events.redis`` (the scale-out issue)
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from modelbeacon.errors import UnavailableError
from modelbeacon.events.event import Event

ACCEPTED_SCHEMES = ("memory", "redis", "rediss")


class EventBus(ABC):
    """Publish/subscribe of JSON-able events between the processes of one deployment.

    Use as ``async with bus:`` (connect, then disconnect in ``finally``) or call the two
    methods from a lifespan.
    """

    @abstractmethod
    async def connect(self) -> None:
        """Open the backend. Raises ``UnavailableError`` when it cannot be reached."""

    @abstractmethod
    async def disconnect(self) -> None:
        """Close the backend; open subscriptions end (their iterators stop). Idempotent."""

    @abstractmethod
    async def publish(self, channel: str, event: Event) -> None:
        """Send ``event`` to every current subscriber of ``channel``.

        Never waits for a subscriber to consume. Raises ``EventEncodingError`` (a
        ``ValueError``) for a payload that is not JSON-able and ``UnavailableError`` when the
        bus is not connected.
        """

    @abstractmethod
    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """Listen to ``channel``.

        The subscription is active once the context is entered (events published after that
        are delivered, in publish order), and removed when the context exits, however it
        exits. Each subscriber receives its own ``Event`` objects carrying the wire text
        (``Event.delivered`` in process, ``Event.from_json`` across processes). The iterator
        stops when the bus disconnects.
        """

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.disconnect()


def create_bus(url: str | None, *, backend: EventBus | None = None) -> EventBus:
    """Build the bus named by ``url`` (``MODELBEACON_REDIS_URL``); not connected yet.

    ``backend`` wins over ``url`` (tests hand in their own). ``None`` or an empty URL means the
    in-process ``MemoryBus``. Raises ``UnavailableError`` when the backend's module is not
    available and ``ValueError`` for an unknown scheme.
    """
    if backend is not None:
        return backend
    scheme = urlsplit(url).scheme.lower() if url else "memory"
    if scheme == "memory":
        from modelbeacon.events.memory import MemoryBus

        return MemoryBus()
    if scheme in ("redis", "rediss"):
        return _create_redis_bus(url or "")
    accepted = ", ".join(f"{name}://" for name in ACCEPTED_SCHEMES)
    raise ValueError(f"unknown event bus URL scheme {scheme!r}; accepted: {accepted}")


def _create_redis_bus(url: str) -> EventBus:
    module_name = "modelbeacon.events.redis"
    try:
        # Imported lazily so that the redis client stays an optional extra.
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise UnavailableError(
            "the Redis event bus arrives with the scale-out issue and is not available yet; "
            "unset MODELBEACON_REDIS_URL to use the in-process bus",
            details={"scheme": urlsplit(url).scheme},
        ) from exc
    bus: EventBus = module.RedisBus(url)
    return bus

"""``MemoryBus``: the in-process event bus (one replica, or tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from modelbeacon.errors import UnavailableError
from modelbeacon.events.bus import EventBus
from modelbeacon.events.event import Event


class _Subscription:
    """Async iterator over one subscriber's queue of delivered events."""

    def __init__(self, queue: asyncio.Queue[Event | None]) -> None:
        self._queue = queue
        self._ended = False

    def __aiter__(self) -> _Subscription:
        return self

    async def __anext__(self) -> Event:
        if self._ended:
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:  # queued by disconnect() after the last event
            self._ended = True
            raise StopAsyncIteration
        return event


class MemoryBus(EventBus):
    """Fan-out through per-subscriber asyncio queues, each getting its own ``Event.delivered``
    copy.

    Every event is encoded (``Event.to_json``) before delivery, as on the Redis bus, and each
    subscriber gets a copy carrying only that text, so code tested against this bus cannot come
    to rely on sharing objects with the publisher; no copy is decoded unless its payload is read.
    Subscriber queues are unbounded, like a Redis client's pub/sub buffer: ``publish`` must
    never wait (it is called from the predict path), and the one subscriber per process, the
    hub, only enqueues per event and so keeps up.
    """

    def __init__(self) -> None:
        self._connected = False
        self._subscribers: dict[str, set[asyncio.Queue[Event | None]]] = {}

    @property
    def connected(self) -> bool:
        return self._connected

    def subscriber_count(self, channel: str) -> int:
        """How many subscriptions are open on ``channel`` (for health checks and tests)."""
        return len(self._subscribers.get(channel, ()))

    async def connect(self) -> None:
        self._connected = True

    async def disconnect(self) -> None:
        self._connected = False
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(None)

    async def publish(self, channel: str, event: Event) -> None:
        if not self._connected:
            raise UnavailableError("the event bus is not connected", details={"channel": channel})
        # Encoded (once, cached) before delivery, so a bad payload fails here, at the caller.
        event.to_json()
        for queue in self._subscribers.get(channel, ()):
            queue.put_nowait(event.delivered())

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Event]]:
        if not self._connected:
            raise UnavailableError("the event bus is not connected", details={"channel": channel})
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            yield _Subscription(queue)
        finally:
            queues = self._subscribers.get(channel)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[channel]

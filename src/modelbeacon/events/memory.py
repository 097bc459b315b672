"""``MemoryBus``: the in-process event bus (one replica, or tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from modelbeacon.errors import UnavailableError
from modelbeacon.events.bus import EventBus
from modelbeacon.events.event import Event


class _Subscription:
    """Async iterator over one subscriber's queue of JSON texts."""

    def __init__(self, queue: asyncio.Queue[str | None]) -> None:
        self._queue = queue
        self._ended = False

    def __aiter__(self) -> _Subscription:
        return self

    async def __anext__(self) -> Event:
        if self._ended:
            raise StopAsyncIteration
        text = await self._queue.get()
        if text is None:  # queued by disconnect() after the last event
            self._ended = True
            raise StopAsyncIteration
        return Event.from_json(text)


class MemoryBus(EventBus):
    """Fan-out through per-subscriber asyncio queues, carrying each event's JSON text.

    Events go through ``Event.to_json``/``from_json`` exactly as on the Redis bus, so code
    tested against this bus cannot come to rely on sharing objects with the publisher.
    Subscriber queues are unbounded, like a Redis client's pub/sub buffer: ``publish`` must
    never wait (it is called from the predict path), and the one subscriber per process, the
    hub, only enqueues per event and so keeps up.
    """

    def __init__(self) -> None:
        self._connected = False
        self._subscribers: dict[str, set[asyncio.Queue[str | None]]] = {}

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
        # Encoded once before delivery, so a bad payload fails here, at the publisher's call.
        text = event.to_json()
        for queue in self._subscribers.get(channel, ()):
            queue.put_nowait(text)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Event]]:
        if not self._connected:
            raise UnavailableError("the event bus is not connected", details={"channel": channel})
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            yield _Subscription(queue)
        finally:
            queues = self._subscribers.get(channel)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[channel]

"""``BusPublisher``: the services' ``EventSink``, publishing to the bus in the background.

Services announce changes from the request path (a prediction, a deployment) and must not
wait for the bus, which may be a Redis round trip away. ``emit`` only validates and queues;
one background task publishes the queued events in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from modelbeacon.events.bus import EventBus
from modelbeacon.events.event import Event
from modelbeacon.events.types import EVENTS_CHANNEL
from modelbeacon.tasks import cancel_and_wait

logger = logging.getLogger(__name__)


class BusPublisher:
    """Queue events from synchronous code; publish them on ``channel`` of ``bus`` in order.

    Implements ``modelbeacon.services.notify.EventSink``. At most ``max_pending`` events wait
    for the bus; beyond that new events are dropped and counted (live updates are
    best-effort; the REST numbers stay true), so a stuck bus never grows memory without
    bound nor blocks a caller. A failed publish is logged and counted, and the next event
    is tried.
    """

    def __init__(
        self,
        bus: EventBus,
        channel: str = EVENTS_CHANNEL,
        *,
        max_pending: int = 10_000,
        drain_timeout: float = 1.0,
    ) -> None:
        self._bus = bus
        self._channel = channel
        self._drain_timeout = drain_timeout
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=max_pending)
        self.published = 0
        self.dropped = 0
        self.failed = 0

    @property
    def pending(self) -> int:
        """Events emitted and not yet handed to the bus."""
        return self._queue.qsize()

    def emit(
        self, event_type: str, payload: Mapping[str, Any], *, model_id: str | None = None
    ) -> None:
        """Queue one event. Never awaits.

        Raises ``ValueError`` (``EventEncodingError`` for a payload that is not JSON-able) at
        the caller, where the bug is, rather than in the background task. This is the event's
        one encoding: the bus and the hub reuse the cached text.
        """
        event = Event(event_type, dict(payload), model_id=model_id)
        event.to_json()
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            if self.dropped == 0:
                logger.warning("event bus backlog full; dropping live events until it drains")
            self.dropped += 1

    @asynccontextmanager
    async def running(self) -> AsyncIterator[BusPublisher]:
        """Publish in the background for the context's duration.

        On exit, what is still queued gets up to ``drain_timeout`` seconds to reach the bus
        (a deploy announced just before shutdown is not lost on a healthy bus); the task is
        stopped in ``finally`` either way.
        """
        pump = asyncio.create_task(self._pump(), name="modelbeacon-bus-publisher")
        try:
            yield self
            try:
                async with asyncio.timeout(self._drain_timeout):
                    await self._queue.join()
            except TimeoutError:
                logger.warning("%d live events not published at shutdown", self.pending)
        finally:
            await cancel_and_wait(pump)

    async def _pump(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._bus.publish(self._channel, event)
                self.published += 1
            except Exception:
                # One failed publish (bus restarting, say) must not end live updates.
                self.failed += 1
                logger.exception("publishing a %s event failed", event.type)
            finally:
                self._queue.task_done()

"""``EventHub``: fans live events out to every connected dashboard client.

    services --publish--> EventBus --subscription--> EventHub.broadcast --> per-client queues
                                                                               | sender task
                                                                               v per client
                                                                            socket.send_text

Fan-out never awaits a client: ``broadcast`` encodes the event once and offers it to each
client's bounded queue, O(1) per client. Each client has its own sender task, and a send that
blocks longer than the client's ``send_timeout`` gets that client dropped, so a stalled client
delays neither the others nor the publisher (nor, through it, the predict path).

What a client that falls behind gets (see ``coalescing`` and ``send_queue``): the newest state
per ``(type, model_id)`` for state messages, and every change message (status changes,
deployments, job ends, snapshot, pong, error) while its queue (``queue_size``, default 256)
has room. When the queue is full the oldest state message is dropped; when it is full of
change messages the client is closed with 1013 (try again later) and its reconnect starts
from a fresh snapshot. A client whose send blocks past ``send_timeout`` is closed with 1008.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Set
from contextlib import asynccontextmanager

from modelbeacon.events import types
from modelbeacon.events.bus import EventBus
from modelbeacon.events.client import ClientConnection, ClientSocket, ReplyBudget
from modelbeacon.events.client_messages import (
    MAX_CLIENT_MESSAGE_BYTES,
    InvalidMessage,
    Ping,
    Subscribe,
    parse_client_message,
)
from modelbeacon.events.coalescing import DEFAULT_COALESCING, Merge
from modelbeacon.events.event import Event
from modelbeacon.events.send_queue import OutgoingMessage
from modelbeacon.events.stats import HubCounters, HubStats
from modelbeacon.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

# Bus events fanned out in a row before the pump yields to the loop, so that a burst of
# thousands of events cannot hold up request handling for its whole duration.
_FANOUT_BATCH = 64


class EventHub:
    """The set of connected clients of one process and the fan-out to them.

    One hub per app, built by the composition root; all methods run on its event loop.
    ``error_replies_per_second`` caps the ``error`` replies per client (bursts of the same
    size), so a client sending garbage cannot keep the server busy answering it.
    """

    def __init__(
        self,
        *,
        queue_size: int = 256,
        close_timeout: float = 1.0,
        coalescing: Mapping[str, Merge] = DEFAULT_COALESCING,
        known_types: Set[str] = types.SERVER_MESSAGE_TYPES,
        max_client_message_bytes: int = MAX_CLIENT_MESSAGE_BYTES,
        error_replies_per_second: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._queue_size = queue_size
        self._close_timeout = close_timeout
        self._coalescing = coalescing
        self._known_types = frozenset(known_types)
        self._max_client_message_bytes = max_client_message_bytes
        self._error_rate = error_replies_per_second
        self._clock = clock
        # dict as an insertion-ordered set: clients are served in connection order.
        self._connections: dict[ClientConnection, None] = {}
        self._counters = HubCounters()
        self._receiving = False

    @property
    def active_connections(self) -> int:
        """Clients registered and still served (a dropped client stops counting at once)."""
        return len(self._connections)

    @property
    def receiving(self) -> bool:
        """True while a ``running`` subscription is delivering bus events (for readiness)."""
        return self._receiving

    @asynccontextmanager
    async def running(
        self, bus: EventBus, channel: str = types.EVENTS_CHANNEL
    ) -> AsyncIterator[None]:
        """Broadcast every event published on ``channel`` of ``bus`` (already connected)
        until the context exits; the subscription is active once the context is entered.
        The background task is stopped and the subscription closed in ``finally``."""
        if self._receiving:
            raise RuntimeError("this hub is already receiving from a bus")
        async with bus.subscribe(channel) as events:
            self._receiving = True
            pump = asyncio.create_task(self._pump(events), name="modelbeacon-event-hub")
            try:
                yield
            finally:
                try:
                    await cancel_and_wait(pump)
                finally:
                    self._receiving = False

    def broadcast(self, event: Event) -> int:
        """Offer ``event`` to every client; return how many clients it was offered to.

        Never awaits. Raises ``EventEncodingError`` (before any client sees it) when the
        payload is not JSON-able.
        """
        message = OutgoingMessage.build(event, self._coalescing)
        _ = message.text  # the event's one encoding (cached), shared by every client
        self._counters.events_broadcast += 1
        # A copy: offering may drop a client, which removes it from the dict.
        clients = list(self._connections)
        for conn in clients:
            conn.offer(message)
        return len(clients)

    @asynccontextmanager
    async def connect(
        self,
        client: ClientSocket,
        *,
        send_timeout: float,
        snapshot: Callable[[], Awaitable[Event]] | None = None,
    ) -> AsyncIterator[ClientConnection]:
        """Register ``client`` (already accepted by the transport) for the context's duration.

        ``snapshot``, when given, is awaited after the client is registered and its event is
        sent before anything else: no event published meanwhile is missed or sent ahead of
        it. ``send_timeout`` (seconds) bounds every send to this client. On exit the client
        is unregistered and its sender task stopped; the socket itself is closed only when
        the hub dropped the client (1008 or 1013, see ``ClientConnection.close_code``).
        """
        conn = ClientConnection(
            client,
            send_timeout=send_timeout,
            close_timeout=self._close_timeout,
            queue_size=self._queue_size,
            coalescing=self._coalescing,
            counters=self._counters,
            error_budget=ReplyBudget(self._error_rate, self._error_rate, self._clock),
            on_closing=self._unregister,
        )
        self._connections[conn] = None
        try:
            if snapshot is not None:
                conn.send_snapshot(await snapshot())
            async with conn.sending():
                yield conn
        finally:
            self._unregister(conn)

    def handle_client_message(self, conn: ClientConnection, text: str) -> None:
        """Act on one text frame from ``conn``: ``ping`` -> ``pong``, ``subscribe`` -> narrow
        its types; anything else -> an ``error`` reply (rate-limited). Never raises, never
        awaits."""
        try:
            message = parse_client_message(
                text, known_types=self._known_types, max_bytes=self._max_client_message_bytes
            )
            if isinstance(message, Ping):
                conn.enqueue(Event(types.PONG))
            elif isinstance(message, Subscribe):
                conn.subscribe(message.events)
            else:
                self._reject(conn, message)
        except Exception:
            # The contract is that nothing a client sends reaches the endpoint as an error;
            # a bug here must cost at most this one message.
            logger.exception("handling a WebSocket client message failed")

    def stats(self) -> HubStats:
        """Counters for self-monitoring; O(number of clients)."""
        return self._counters.snapshot(
            active_connections=self.active_connections,
            queue_depths=[conn.queue_depth for conn in self._connections],
        )

    def _reject(self, conn: ClientConnection, message: InvalidMessage) -> None:
        self._counters.invalid_client_messages += 1
        conn.send_error(message.reason)

    def _unregister(self, conn: ClientConnection) -> None:
        self._connections.pop(conn, None)

    async def _pump(self, events: AsyncIterator[Event]) -> None:
        handled = 0
        try:
            async for event in events:
                try:
                    self.broadcast(event)
                except Exception:
                    # One undeliverable event (say, from a replica of another version) must
                    # not stop live updates for everyone.
                    logger.exception("could not broadcast a %s event", event.type)
                handled += 1
                if handled % _FANOUT_BATCH == 0:
                    await asyncio.sleep(0)
        except Exception:
            logger.exception("the event bus subscription failed; live updates stopped")
        finally:
            self._receiving = False

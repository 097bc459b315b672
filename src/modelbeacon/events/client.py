"""One connected dashboard client: its queue, its sender task, its subscription.

The hub talks to a client through ``ClientSocket``, two coroutine methods that a Starlette
``WebSocket`` already has, so the transport stays outside this package.

Close codes the hub uses (RFC 6455):

    1008 CLOSE_SLOW_CLIENT   policy violation: one send blocked longer than ``send_timeout``
                             (the client stopped reading)
    1013 CLOSE_QUEUE_FULL    try again later: the send queue was full of messages that must
                             not be dropped; a reconnect gets a fresh snapshot
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Final, Protocol

from modelbeacon.events import types
from modelbeacon.events.coalescing import Merge
from modelbeacon.events.event import Event, EventEncodingError
from modelbeacon.events.send_queue import OutgoingMessage, PushResult, SendQueue
from modelbeacon.events.stats import HubCounters
from modelbeacon.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

CLOSE_SLOW_CLIENT: Final = 1008
CLOSE_QUEUE_FULL: Final = 1013


class ClientSocket(Protocol):
    """What the hub needs of a client connection (a Starlette ``WebSocket`` fits as is).

    ``send_text`` may block while the peer is not reading; the hub bounds it with a timeout.
    Either method may raise once the peer is gone; the hub then forgets the client.
    """

    async def send_text(self, data: str, /) -> None: ...

    async def close(self, code: int, reason: str, /) -> None: ...


class ReplyBudget:
    """Token bucket: at most ``rate`` replies per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = burst
        self._last = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class ClientConnection:
    """A registered client, as yielded by ``EventHub.connect``.

    Enqueueing never awaits: it costs O(1) and wakes this client's sender task, which alone
    writes to the socket. Once the connection is closing (the hub dropped the client, or the
    socket failed) every enqueue is refused and returns ``False``.
    """

    def __init__(
        self,
        socket: ClientSocket,
        *,
        send_timeout: float,
        close_timeout: float,
        queue_size: int,
        coalescing: Mapping[str, Merge],
        counters: HubCounters,
        error_budget: ReplyBudget,
        on_closing: Callable[[ClientConnection], None],
    ) -> None:
        if send_timeout <= 0:
            raise ValueError("send_timeout must be positive")
        self._socket = socket
        self._send_timeout = send_timeout
        self._close_timeout = close_timeout
        self._queue = SendQueue(queue_size)
        self._coalescing = coalescing
        self._counters = counters
        self._error_budget = error_budget
        self._on_closing = on_closing
        self._wakeup = asyncio.Event()
        self._closing = asyncio.Event()
        self._closed = asyncio.Event()
        self._close_request: tuple[int, str] | None = None
        self.subscribed_types: frozenset[str] | None = None
        """Types this client asked for; ``None`` means all. Direct replies always pass."""

    @property
    def closing(self) -> bool:
        """True once the hub stopped serving this client (it will take no more messages)."""
        return self._closing.is_set()

    @property
    def close_code(self) -> int | None:
        """The code the hub closed the socket with, or ``None`` if it did not close it."""
        return None if self._close_request is None else self._close_request[0]

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    def enqueue(self, event: Event) -> bool:
        """Queue ``event`` for this client only, whatever its subscription.

        Raises ``EventEncodingError`` for a payload that is not JSON-able (checked now, not
        when the sender gets to it). Returns ``False`` when the client is no longer served.
        """
        return self._push(self._encoded(event))

    def send_snapshot(self, event: Event) -> bool:
        """Queue ``event`` ahead of everything pending (the snapshot a client starts from)."""
        return self._push(self._encoded(event), front=True)

    def send_error(self, message: str) -> bool:
        """Queue an ``error`` reply unless this client used up its error-reply budget."""
        if not self._error_budget.take():
            self._counters.error_replies_suppressed += 1
            return False
        return self.enqueue(Event(types.ERROR, {"message": message}))

    def offer(self, message: OutgoingMessage) -> None:
        """Queue a broadcast message if this client's subscription wants it."""
        wanted = self.subscribed_types
        if wanted is None or message.type in wanted or message.type in types.DIRECT_REPLY_TYPES:
            self._push(message)

    def subscribe(self, event_types: frozenset[str] | None) -> None:
        """Narrow (or with ``None``, widen back) the broadcast types this client receives.

        Pending broadcasts of types no longer wanted are removed from the queue.
        """
        self.subscribed_types = event_types
        if event_types is not None:
            wanted = event_types | types.DIRECT_REPLY_TYPES
            self._counters.messages_discarded += self._queue.retain(lambda m: m.type in wanted)

    def close(self, code: int, reason: str) -> None:
        """Stop serving this client: drop what is pending and have the sender close the
        socket with ``code`` (within ``close_timeout``). Never awaits; idempotent."""
        self._stop_serving((code, reason))

    async def wait_closed(self) -> None:
        """Return once the connection has ended: the hub finished closing the socket, the
        socket failed, or the ``connect`` context exited."""
        await self._closed.wait()

    async def next_message(self, receive: Callable[[], Awaitable[str]]) -> str | None:
        """Await ``receive()`` (the transport's receive-text), or ``None`` if the hub stops
        serving this client first, so an endpoint loop does not outlive a dropped client.

        Exceptions of ``receive`` (the client went away) propagate.
        """
        if self.closing:
            return None
        receiving = asyncio.ensure_future(receive())
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait((receiving, closing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            receiving.cancel()
            closing.cancel()
            # Wait for both so that no task outlives the call, and so that a receive error
            # never ends up "never retrieved".
            await asyncio.gather(receiving, closing, return_exceptions=True)
        if self.closing:
            return None
        return receiving.result()

    @asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Run the sender task for the duration of the context (used by ``EventHub``).

        On exit the sender is cancelled, unless the hub is closing the socket, in which case
        the close (bounded by ``send_timeout`` + ``close_timeout``) is allowed to finish.
        """
        sender = asyncio.create_task(self._send_loop(), name="modelbeacon-ws-sender")
        try:
            yield
        finally:
            try:
                if self._close_request is not None:
                    await sender
                else:
                    await cancel_and_wait(sender)
            finally:
                self._stop_serving(None)
                self._closed.set()

    def _encoded(self, event: Event) -> OutgoingMessage:
        message = OutgoingMessage.build(event, self._coalescing)
        _ = message.text  # raise EventEncodingError to the caller, not in the sender
        return message

    def _push(self, message: OutgoingMessage, *, front: bool = False) -> bool:
        if self.closing:
            return False
        self._counters.messages_enqueued += 1
        result = self._queue.push(message, front=front)
        if result is PushResult.COALESCED:
            self._counters.messages_coalesced += 1
        elif result is PushResult.QUEUED_AFTER_DROP:
            self._counters.messages_dropped += 1
        elif result is PushResult.OVERFLOW:
            self._counters.messages_discarded += 1
            self._counters.clients_dropped_overflow += 1
            self.close(CLOSE_QUEUE_FULL, "send queue full; reconnect for a fresh snapshot")
            return False
        self._wakeup.set()
        return True

    def _stop_serving(self, close_request: tuple[int, str] | None) -> None:
        if self.closing:
            return
        self._close_request = close_request
        self._closing.set()
        self._counters.messages_discarded += self._queue.clear()
        self._on_closing(self)
        self._wakeup.set()

    async def _send_loop(self) -> None:
        while not self.closing:
            message = self._queue.pop()
            if message is None:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await self._send(message)
        if self._close_request is not None:
            await self._close_socket(*self._close_request)
        self._closed.set()

    async def _send(self, message: OutgoingMessage) -> None:
        try:
            text = message.text
        except EventEncodingError:
            # Only a merged message is encoded this late; a bug in a merge rule must not
            # cost the client its connection.
            logger.exception("dropping a %s message that cannot be encoded", message.type)
            self._counters.messages_discarded += 1
            return
        sent = False
        deadline = asyncio.timeout(self._send_timeout)
        try:
            async with deadline:
                await self._socket.send_text(text)
            sent = True
        except TimeoutError:
            if not deadline.expired():
                self._stop_serving(None)  # the transport's own timeout: the peer is gone
            elif not self.closing:
                self._counters.clients_dropped_slow += 1
                reason = f"client too slow: a send took over {self._send_timeout:g} s"
                self.close(CLOSE_SLOW_CLIENT, reason)
        except Exception:
            # Transport-specific "peer went away" errors; there is nobody left to tell.
            logger.debug("send to a WebSocket client failed; dropping it", exc_info=True)
            self._stop_serving(None)
        finally:
            if sent:
                self._counters.record_sent(message.type, message.size)
            else:
                self._counters.messages_discarded += 1

    async def _close_socket(self, code: int, reason: str) -> None:
        try:
            async with asyncio.timeout(self._close_timeout):
                await self._socket.close(code, reason)
        except Exception:
            # The peer may be gone or stalled; the transport reaps the connection.
            logger.debug("closing a WebSocket client failed", exc_info=True)

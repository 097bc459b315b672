"""Self-monitoring counters of the hub, and the frozen snapshot ``EventHub.stats()`` returns.

Per client, every message handed to its queue ends up in exactly one bucket, so
``messages_enqueued == total_messages_sent + messages_coalesced + messages_dropped +
messages_discarded + total_queue_depth`` at any moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class HubStats:
    """Counters since the hub was built, plus the queues as they are now."""

    active_connections: int
    events_broadcast: int
    """Events the hub fanned out (each counted once, whatever the number of clients)."""
    messages_enqueued: int
    """Messages handed to client queues (one per client per event, plus direct replies)."""
    messages_sent: Mapping[str, int]
    """Messages written to client sockets, per message type."""
    bytes_sent: Mapping[str, int]
    """UTF-8 bytes of those messages, per message type."""
    messages_coalesced: int
    """Unsent messages replaced by (or merged into) a newer one of the same key."""
    messages_dropped: int
    """Oldest coalescible messages dropped from a full queue to make room."""
    messages_discarded: int
    """Messages lost with their client: pending when it was dropped or left, or refused."""
    max_queue_depth: int
    total_queue_depth: int
    clients_dropped_slow: int
    """Clients closed because a send blocked past their send timeout."""
    clients_dropped_overflow: int
    """Clients closed because their queue was full of messages that must not be dropped."""
    invalid_client_messages: int
    error_replies_suppressed: int
    """``error`` replies not sent because the client exceeded its error-reply rate."""

    @property
    def total_messages_sent(self) -> int:
        return sum(self.messages_sent.values())

    @property
    def total_bytes_sent(self) -> int:
        return sum(self.bytes_sent.values())


@dataclass(slots=True)
class HubCounters:
    """The hub's mutable counters, shared with its client connections (one hub, one loop)."""

    events_broadcast: int = 0
    messages_enqueued: int = 0
    messages_sent: dict[str, int] = field(default_factory=dict)
    bytes_sent: dict[str, int] = field(default_factory=dict)
    messages_coalesced: int = 0
    messages_dropped: int = 0
    messages_discarded: int = 0
    clients_dropped_slow: int = 0
    clients_dropped_overflow: int = 0
    invalid_client_messages: int = 0
    error_replies_suppressed: int = 0

    def record_sent(self, message_type: str, size: int) -> None:
        self.messages_sent[message_type] = self.messages_sent.get(message_type, 0) + 1
        self.bytes_sent[message_type] = self.bytes_sent.get(message_type, 0) + size

    def snapshot(self, *, active_connections: int, queue_depths: list[int]) -> HubStats:
        return HubStats(
            active_connections=active_connections,
            events_broadcast=self.events_broadcast,
            messages_enqueued=self.messages_enqueued,
            messages_sent=MappingProxyType(dict(self.messages_sent)),
            bytes_sent=MappingProxyType(dict(self.bytes_sent)),
            messages_coalesced=self.messages_coalesced,
            messages_dropped=self.messages_dropped,
            messages_discarded=self.messages_discarded,
            max_queue_depth=max(queue_depths, default=0),
            total_queue_depth=sum(queue_depths),
            clients_dropped_slow=self.clients_dropped_slow,
            clients_dropped_overflow=self.clients_dropped_overflow,
            invalid_client_messages=self.invalid_client_messages,
            error_replies_suppressed=self.error_replies_suppressed,
        )

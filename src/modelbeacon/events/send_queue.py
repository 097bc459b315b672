"""``SendQueue``: one client's bounded, coalescing queue of messages not yet sent.

Pure data structure (no asyncio, no I/O); every operation is O(1) except ``retain``.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping

from modelbeacon.events.coalescing import CoalescingKey, Merge
from modelbeacon.events.event import Event


class OutgoingMessage:
    """An event on its way to clients; its JSON text is the event's own, encoded once."""

    __slots__ = ("_size", "event", "key", "merge")

    def __init__(self, event: Event, key: CoalescingKey | None, merge: Merge | None) -> None:
        self.event = event
        self.key = key
        self.merge = merge
        self._size: int | None = None

    @classmethod
    def build(cls, event: Event, coalescing: Mapping[str, Merge]) -> OutgoingMessage:
        """The message for ``event``: coalescible per ``(type, model_id)`` when its type has
        a rule in ``coalescing``."""
        merge = coalescing.get(event.type)
        key = None if merge is None else (event.type, event.model_id)
        return cls(event, key, merge)

    @property
    def type(self) -> str:
        return self.event.type

    @property
    def text(self) -> str:
        """The wire text (``Event.to_json``, cached by the event). Raises
        ``EventEncodingError`` for a payload that is not JSON-able."""
        return self.event.to_json()

    @property
    def size(self) -> int:
        """Length of ``text`` in UTF-8 bytes (counted once, for every client's stats)."""
        if self._size is None:
            self._size = len(self.text.encode("utf-8"))
        return self._size


class PushResult(enum.Enum):
    QUEUED = "queued"
    COALESCED = "coalesced"
    """Replaced (or merged with) an unsent message of the same key."""
    QUEUED_AFTER_DROP = "queued_after_drop"
    """The queue was full: its oldest coalescible message was dropped to make room."""
    OVERFLOW = "overflow"
    """Full of messages that must not be dropped: nothing was queued."""


class SendQueue:
    """FIFO of at most ``maxsize`` messages with coalescing.

    Guarantees, for messages pushed at the back: messages leave in push order, except that a
    coalescible message replaces the unsent one with its key and takes its place at the back
    (so what a client receives is always a subsequence, in order, of what was pushed, with
    stale states merged into the newest). Non-coalescible messages are never dropped; when the
    queue is full the oldest coalescible message is dropped first, and when none is left the
    push is refused (``OVERFLOW``) and the caller gives up on the client.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("a send queue needs room for at least one message")
        self.maxsize = maxsize
        self._next_seq = 0
        self._entries: OrderedDict[int, OutgoingMessage] = OrderedDict()
        # Coalescible entries only, oldest first: the index for replacing and for dropping.
        self._by_key: OrderedDict[CoalescingKey, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[OutgoingMessage]:
        """Pending messages in send order (for inspection; do not push while iterating)."""
        return iter(self._entries.values())

    def push(self, message: OutgoingMessage, *, front: bool = False) -> PushResult:
        """Queue ``message`` at the back (or, with ``front``, ahead of everything pending)."""
        key = message.key
        if key is not None and key in self._by_key:
            older = self._entries.pop(self._by_key.pop(key))
            if message.merge is not None:
                merged = message.merge(older.event, message.event)
                if merged is not message.event:
                    message = OutgoingMessage(merged, key, message.merge)
            self._append(message, front=front)
            return PushResult.COALESCED
        result = PushResult.QUEUED
        if len(self._entries) >= self.maxsize:
            if not self._by_key:
                return PushResult.OVERFLOW
            _, oldest = self._by_key.popitem(last=False)
            del self._entries[oldest]
            result = PushResult.QUEUED_AFTER_DROP
        self._append(message, front=front)
        return result

    def pop(self) -> OutgoingMessage | None:
        """The next message to send, or ``None`` when nothing is pending."""
        if not self._entries:
            return None
        _, message = self._entries.popitem(last=False)
        if message.key is not None:
            del self._by_key[message.key]
        return message

    def retain(self, keep: Callable[[OutgoingMessage], bool]) -> int:
        """Remove the pending messages for which ``keep`` is false; return how many. O(n)."""
        removed = [seq for seq, message in self._entries.items() if not keep(message)]
        for seq in removed:
            message = self._entries.pop(seq)
            if message.key is not None:
                del self._by_key[message.key]
        return len(removed)

    def clear(self) -> int:
        """Remove every pending message; return how many."""
        count = len(self._entries)
        self._entries.clear()
        self._by_key.clear()
        return count

    def _append(self, message: OutgoingMessage, *, front: bool) -> None:
        seq = self._next_seq
        self._next_seq += 1
        self._entries[seq] = message
        if front:
            self._entries.move_to_end(seq, last=False)
        if message.key is not None:
            self._by_key[message.key] = seq

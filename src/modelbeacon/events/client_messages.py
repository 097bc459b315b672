"""Parsing of client -> server WebSocket messages (``ping``, ``subscribe``).

Parsing never raises: whatever a client sends becomes a ``Ping``, a ``Subscribe`` or an
``InvalidMessage`` whose ``reason`` is safe to send back to that client.
"""

from __future__ import annotations

import json
from collections.abc import Set
from dataclasses import dataclass

from modelbeacon.events import types

MAX_CLIENT_MESSAGE_BYTES = 4096
"""Client messages are tiny commands; anything longer is refused before it is parsed."""


@dataclass(frozen=True, slots=True)
class Ping:
    """``{"type": "ping"}``: answer with ``pong``."""


@dataclass(frozen=True, slots=True)
class Subscribe:
    """``{"type": "subscribe", "events": [...]}``; ``events is None`` means every type."""

    events: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class InvalidMessage:
    reason: str


ClientMessage = Ping | Subscribe | InvalidMessage


def parse_client_message(
    text: str, *, known_types: Set[str], max_bytes: int = MAX_CLIENT_MESSAGE_BYTES
) -> ClientMessage:
    """Parse one text frame. ``known_types`` are the names a ``subscribe`` may list."""
    # A str is at least one UTF-8 byte per character, so most oversize texts are refused
    # without encoding them. surrogatepass: a lone surrogate must not raise here.
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return InvalidMessage(f"message larger than {max_bytes} bytes")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        # RecursionError: a few thousand nested brackets fit in the size limit.
        return InvalidMessage("message is not valid JSON")
    if not isinstance(message, dict):
        return InvalidMessage("message must be a JSON object with a 'type'")
    kind = message.get("type")
    if kind == types.PING:
        return Ping()
    if kind == types.SUBSCRIBE:
        return _parse_subscribe(message.get("events"), known_types)
    expected = " or ".join(repr(name) for name in sorted(types.CLIENT_MESSAGE_TYPES))
    if not isinstance(kind, str):
        return InvalidMessage(f"message needs a string 'type' ({expected})")
    return InvalidMessage(f"unknown message type {kind[:64]!r}; expected {expected}")


def _parse_subscribe(events: object, known_types: Set[str]) -> ClientMessage:
    if not isinstance(events, list) or not all(isinstance(name, str) for name in events):
        return InvalidMessage("'subscribe' needs 'events': a list of event type names")
    unknown = sorted({name for name in events if name not in known_types})
    if unknown:
        shown = ", ".join(repr(name[:64]) for name in unknown[:10])
        known = ", ".join(sorted(known_types))
        return InvalidMessage(f"unknown event types {shown}; known event types: {known}")
    return Subscribe(frozenset(events) or None)

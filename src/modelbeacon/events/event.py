"""``Event``: one live change, and its JSON wire form.

The wire form is the exact WebSocket message a dashboard receives,
``{"type": ..., "timestamp": ..., **payload}``. The bus carries the same text, so an event that
crossed a Redis bus is indistinguishable from one that stayed in process: ``to_json`` refuses
any payload that would not come back from ``json.loads`` equal to what went in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RESERVED_KEYS = frozenset({"type", "timestamp"})
"""Wire-message keys owned by the event itself; a payload may not carry them."""


class EventEncodingError(ValueError):
    """An event's payload cannot travel as JSON unchanged (a publisher's bug, not the client's)."""


def utc_timestamp() -> str:
    """Now as ISO-8601 UTC with microseconds and a ``Z`` suffix: ``2026-11-24T06:38:04.123456Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Event:
    """One live change to push to dashboards.

    ``payload`` holds the message fields besides ``type`` and ``timestamp`` and must be
    JSON-able without loss: str keys only, lists rather than tuples, finite floats.
    ``model_id`` is part of the coalescing key. It is always ``str(payload["model_id"])`` when
    the payload names a model, and is filled in from the payload when not given; it cannot be
    set without the payload carrying it, because the wire form is the payload and a key that
    did not travel would be lost on the Redis bus.

    Raises ``ValueError`` when the payload uses a reserved key or disagrees with ``model_id``.
    """

    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    model_id: str | None = None
    timestamp: str = field(default_factory=utc_timestamp)

    def __post_init__(self) -> None:
        clash = RESERVED_KEYS.intersection(self.payload)
        if clash:
            raise ValueError(f"event payload may not use the reserved keys {sorted(clash)}")
        raw = self.payload.get("model_id")
        from_payload = None if raw is None else str(raw)
        if self.model_id is None:
            # Frozen dataclass: object.__setattr__ is the documented way to finish __init__.
            object.__setattr__(self, "model_id", from_payload)
        elif self.model_id != from_payload:
            raise ValueError(
                f"event model_id {self.model_id!r} must equal the payload's model_id "
                f"({from_payload!r}) so that it survives the wire"
            )

    def wire_message(self) -> dict[str, Any]:
        """The message as a client receives it (a new dict; the payload is not copied deeply)."""
        return {"type": self.type, "timestamp": self.timestamp, **self.payload}

    def to_json(self) -> str:
        """Compact JSON of ``wire_message()``.

        Raises ``EventEncodingError`` when the payload is not JSON-able (non-str keys, tuples,
        NaN/inf, objects): such an event would arrive different from what was published.
        """
        try:
            text = json.dumps(self.wire_message(), separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise EventEncodingError(f"{self.type} payload is not JSON-able: {exc}") from exc
        if Event.from_json(text) != self:
            raise EventEncodingError(
                f"{self.type} payload does not survive JSON unchanged "
                "(use str keys and lists, not int keys or tuples)"
            )
        return text

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        """Parse a wire message produced by ``to_json``.

        Raises ``ValueError`` when the text is not a JSON object with string ``type`` and
        ``timestamp``.
        """
        try:
            message = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"event is not valid JSON: {exc}") from exc
        if not isinstance(message, dict):
            raise ValueError("event must be a JSON object")
        kind = message.pop("type", None)
        timestamp = message.pop("timestamp", None)
        if not isinstance(kind, str) or not isinstance(timestamp, str):
            raise ValueError("event needs string 'type' and 'timestamp' fields")
        return cls(type=kind, payload=message, timestamp=timestamp)

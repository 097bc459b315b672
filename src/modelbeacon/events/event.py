"""``Event``: one live change, and its JSON wire form, encoded once.

The wire form is the exact WebSocket message a dashboard receives,
``{"type": ..., "timestamp": ..., **payload}``. The bus carries the same text, so an event that
crossed a Redis bus is indistinguishable from one that stayed in process: ``to_json`` refuses
any payload that would not come back from ``json.loads`` equal to what went in.

Cost per event in one process: one encode (the first ``to_json``, cached; the publisher calls
it at ``emit`` so a bad payload fails at the caller) and no decode. A subscriber's copy
(``delivered``) shares the text and decodes its payload only if something reads it (a merge
of a lagging client's ``prediction_logged``); ``from_json`` decodes where text arrives from
another process.
"""

from __future__ import annotations

import json
from typing import Any

from modelbeacon.clock import utc_now_iso

RESERVED_KEYS = frozenset({"type", "timestamp"})
"""Wire-message keys owned by the event itself; a payload may not carry them."""


class EventEncodingError(ValueError):
    """An event's payload cannot travel as JSON unchanged (a publisher's bug, not the client's)."""


def _check_json_safe(value: Any, where: str) -> None:
    """Refuse what ``json.dumps`` would silently change: tuples and non-str keys."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventEncodingError(f"{where} has a non-str key {key!r}")
            _check_json_safe(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_safe(item, f"{where}[{index}]")
    elif isinstance(value, tuple):
        raise EventEncodingError(f"{where} is a tuple: use a list")


class Event:
    """One live change to push to dashboards.

    ``payload`` holds the message fields besides ``type`` and ``timestamp`` and must be
    JSON-able without loss: str keys only, lists rather than tuples, finite floats. It must not
    be changed once the event is built (the wire text is cached). ``model_id`` is part of the
    coalescing key. It is always ``str(payload["model_id"])`` when the payload names a model,
    and is filled in from the payload when not given; it cannot be set without the payload
    carrying it, because the wire form is the payload and a key that did not travel would be
    lost on the Redis bus.

    Raises ``ValueError`` when the payload uses a reserved key or disagrees with ``model_id``.
    Events are equal when type, timestamp, model_id and payload are.
    """

    __slots__ = ("_payload", "_text", "model_id", "timestamp", "type")

    def __init__(
        self,
        type: str,
        payload: dict[str, Any] | None = None,
        model_id: str | None = None,
        timestamp: str | None = None,
    ) -> None:
        payload = {} if payload is None else payload
        clash = RESERVED_KEYS.intersection(payload)
        if clash:
            raise ValueError(f"event payload may not use the reserved keys {sorted(clash)}")
        raw = payload.get("model_id")
        from_payload = None if raw is None else str(raw)
        if model_id is not None and model_id != from_payload:
            raise ValueError(
                f"event model_id {model_id!r} must equal the payload's model_id "
                f"({from_payload!r}) so that it survives the wire"
            )
        self.type = type
        self.timestamp = timestamp if timestamp is not None else utc_now_iso()
        self.model_id = from_payload
        self._payload: dict[str, Any] | None = payload
        self._text: str | None = None

    @property
    def payload(self) -> dict[str, Any]:
        """The message fields besides type and timestamp (decoded on first read for a copy)."""
        if self._payload is None:
            assert self._text is not None, "an event holds its payload, its text, or both"
            message = json.loads(self._text)
            del message["type"], message["timestamp"]
            self._payload = message
        return self._payload

    def wire_message(self) -> dict[str, Any]:
        """The message as a client receives it (a new dict; the payload is not copied deeply)."""
        return {"type": self.type, "timestamp": self.timestamp, **self.payload}

    def to_json(self) -> str:
        """Compact JSON of ``wire_message()``, encoded once and cached.

        Raises ``EventEncodingError`` when the payload is not JSON-able (non-str keys, tuples,
        NaN/inf, objects): such an event would arrive different from what was published.
        """
        if self._text is None:
            payload = self.payload
            _check_json_safe(payload, self.type)
            try:
                self._text = json.dumps(self.wire_message(), separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise EventEncodingError(f"{self.type} payload is not JSON-able: {exc}") from exc
        return self._text

    def delivered(self) -> Event:
        """A subscriber's own copy: the same wire text, its payload decoded only if read.

        Raises ``EventEncodingError`` as ``to_json``.
        """
        copy = Event.__new__(Event)
        copy.type, copy.timestamp, copy.model_id = self.type, self.timestamp, self.model_id
        copy._payload = None
        copy._text = self.to_json()
        return copy

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        """Parse a wire message produced by ``to_json`` (it keeps ``text`` as its wire form).

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
        event = cls(kind, message, timestamp=timestamp)
        event._text = text if isinstance(text, str) else text.decode()
        return event

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (self.type, self.timestamp, self.model_id, self.payload) == (
            other.type,
            other.timestamp,
            other.model_id,
            other.payload,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Event({self.type!r}, {self.payload!r}, timestamp={self.timestamp!r})"

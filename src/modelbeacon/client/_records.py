"""Turning a caller's values into the JSON the server takes: logged records (with their id and
timestamp settled here), labels, and any body with numpy values in it.

A record is checked and encoded when it is logged, in the caller's thread: a value that is not
JSON, a malformed id or timestamp raises ``InvalidInputError`` there, instead of failing a whole
batch of other records on the server later.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelbeacon.clock import iso_utc
from modelbeacon.errors import InvalidInputError

Timestamp = datetime | float | int | str
"""When a prediction was made: a datetime (naive means UTC), unix seconds, or ISO-8601 text."""

# The server's pattern for a caller's prediction id (api/schemas.py PREDICTION_ID_PATTERN).
_PREDICTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


@dataclass(frozen=True, slots=True)
class QueuedRecord:
    """One logged prediction waiting to be sent: its model, its id and its JSON object."""

    model_id: str
    prediction_id: str
    encoded: bytes
    queued_at: float


def encode_json(value: Any) -> bytes:
    """``value`` as compact JSON; numpy arrays and scalars become lists and numbers.

    Raises ``InvalidInputError`` for what JSON cannot hold (NaN, infinity, other objects).
    """
    try:
        return json.dumps(value, default=_plain, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"cannot send as JSON: {exc}") from exc


def _plain(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)  # numpy arrays and numpy scalars
    if callable(tolist):
        return tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def prediction_record(
    model_id: str | int,
    *,
    features: Any,
    prediction: Any,
    probabilities: Mapping[str, float] | None,
    latency_ms: float | None,
    label: Any,
    prediction_id: str | None,
    timestamp: Timestamp | None,
    queued_at: float,
) -> QueuedRecord:
    """A logged prediction ready to queue; ``prediction_id`` defaults to a new uuid4 hex and
    ``timestamp`` to now."""
    if prediction_id is None:
        prediction_id = uuid.uuid4().hex
    elif not isinstance(prediction_id, str) or not _PREDICTION_ID.match(prediction_id):
        raise InvalidInputError(
            f"prediction_id {prediction_id!r} must be 1-128 letters, digits or '_.:-', "
            "starting with a letter or digit"
        )
    record: dict[str, Any] = {
        "prediction_id": prediction_id,
        "features": features,
        "prediction": prediction,
    }
    optional = {"probabilities": probabilities, "latency_ms": latency_ms, "label": label}
    record.update({key: value for key, value in optional.items() if value is not None})
    # Now, not when the batch reaches the server (up to flush_interval later, or much later
    # after an outage): rates and windows go by this time.
    record["timestamp"] = iso_timestamp(time.time() if timestamp is None else timestamp)
    return QueuedRecord(str(model_id), prediction_id, encode_json(record), queued_at)


def iso_timestamp(timestamp: Timestamp) -> str:
    """``timestamp`` as ISO-8601 UTC; text is taken as already ISO-8601 (the server checks)."""
    if isinstance(timestamp, str):
        return timestamp
    if isinstance(timestamp, datetime):
        moment = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
        return iso_utc(moment.timestamp())
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        return iso_utc(float(timestamp))
    raise InvalidInputError(
        f"timestamp must be a datetime, unix seconds or ISO-8601 text, not {timestamp!r}"
    )


def feedback_items(
    labels: Mapping[str, Any] | Iterable[tuple[str, Any]],
) -> list[dict[str, Any]]:
    """``{prediction_id: label}`` or ``(prediction_id, label)`` pairs as the server's items."""
    pairs = labels.items() if isinstance(labels, Mapping) else labels
    return [{"prediction_id": str(pid), "label": label} for pid, label in pairs]

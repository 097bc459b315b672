"""Which message types a lagging client may receive merged, and how to merge them.

A coalescible message describes a *state* (the latest numbers of a model, of the machine, of a
training job): a client that has not yet been sent the previous one loses nothing by getting
only the newest. Every other type describes a *change* that happened once (a status
transition, a deployment, the end of a job) and is never merged or dropped while the client's
queue has room.

Messages are coalesced per key ``(type, model_id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeGuard

from modelbeacon.events import types
from modelbeacon.events.event import Event

Merge = Callable[[Event, Event], Event]
"""``merge(older, newer)``: the one message that replaces both, the older one not yet sent."""

CoalescingKey = tuple[str, str | None]

MAX_PREDICTIONS_PER_MESSAGE = 20
"""``prediction_logged`` carries at most this many predictions (DESIGN.md section 5)."""


def keep_newest(older: Event, newer: Event) -> Event:
    """The newest state supersedes the older one entirely."""
    return newer


def merge_prediction_batches(older: Event, newer: Event) -> Event:
    """Merge two ``prediction_logged`` batches of one model into the one the client gets.

    ``count`` is the sum (the client still learns how many predictions happened),
    ``total_predictions`` and every other field are the newer ones, and ``predictions`` keeps
    the newest ``MAX_PREDICTIONS_PER_MESSAGE`` of both batches, newest last. A batch whose
    fields have the wrong shape is not merged: the newer one wins, as for any state message.
    """
    old_count, new_count = older.payload.get("count"), newer.payload.get("count")
    old_items, new_items = older.payload.get("predictions"), newer.payload.get("predictions")
    if not (
        _is_count(old_count)
        and _is_count(new_count)
        and isinstance(old_items, list)
        and isinstance(new_items, list)
    ):
        return newer
    payload: dict[str, Any] = {
        **newer.payload,
        "count": old_count + new_count,
        "predictions": [*old_items, *new_items][-MAX_PREDICTIONS_PER_MESSAGE:],
    }
    return Event(newer.type, payload, model_id=newer.model_id, timestamp=newer.timestamp)


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


DEFAULT_COALESCING: Mapping[str, Merge] = MappingProxyType(
    {
        types.SYSTEM_METRICS: keep_newest,
        types.MODEL_METRICS_UPDATE: keep_newest,
        types.PREDICTION_LOGGED: merge_prediction_batches,
        types.MODEL_STATUS_REALTIME: keep_newest,
        types.TRAINING_PROGRESS: keep_newest,
    }
)
"""Message type -> merge rule. A type absent from the table is never coalesced.

``metrics_history`` is absent on purpose: each message is one point of a series the client
draws, so a newer point does not make an older one worthless the way a newer state does.
"""

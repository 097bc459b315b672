"""``StatusAnnouncer``: the one place a ``StatusTransition`` becomes a ``model_status_change``
event, so each transition is announced exactly once (and logged)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from modelbeacon.events.types import MODEL_STATUS_CHANGE
from modelbeacon.metrics import StatusTransition
from modelbeacon.services.notify import EventSink

logger = logging.getLogger(__name__)


class StatusAnnouncer:
    def __init__(self, sink: EventSink) -> None:
        self._sink = sink

    def announce(self, transitions: Iterable[StatusTransition]) -> None:
        for t in transitions:
            logger.info(
                "model %s: %s/%s -> %s/%s (%s)",
                t.model_id, t.old_status, t.old_health, t.new_status, t.new_health, t.reason,
            )  # fmt: skip
            self._sink.emit(MODEL_STATUS_CHANGE, t.as_dict(), model_id=t.model_id)

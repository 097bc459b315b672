"""The client's own errors, both ``ModelbeaconError``: logging that cannot keep up, and logged
predictions the server never took."""

from __future__ import annotations

import json
from typing import Any

from modelbeacon.errors import ModelbeaconError


class LogQueueFullError(ModelbeaconError):
    """``log_prediction`` found the queue full for longer than ``enqueue_timeout``: the server
    has been slower than the caller (or unreachable) for a while. Nothing was queued."""

    code = "log_queue_full"


class LogDeliveryError(ModelbeaconError):
    """Logged predictions that did not reach the server: it refused them (a 4xx), or it stayed
    unreachable or failing (5xx, 429, no answer) through every retry.

    ``records`` holds each record as it was sent (a dict with its ``prediction_id``), to log
    again or to keep; ``details`` says ``model_id``, how many ``records``, the HTTP ``status``
    (None when no answer came) and the server's own error ``details`` when it sent some (for a
    refused record, ``details["record"]`` is its index in ``records``). ``flush()`` and
    ``close()`` raise one for everything that failed since the last one they raised; its
    ``failures`` lists the single failures it combines (itself when there is one).
    """

    code = "log_delivery_failed"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        records: list[bytes] | None = None,
        failures: list[LogDeliveryError] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self._encoded = records or []
        self.failures: list[LogDeliveryError] = failures or [self]

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records that were not logged, in the order they were queued."""
        return [json.loads(record) for record in self._encoded]

    @classmethod
    def combine(cls, failures: list[LogDeliveryError]) -> LogDeliveryError:
        """One error for several failed batches (the first's message, every record)."""
        if len(failures) == 1:
            return failures[0]
        lost = sum(len(f._encoded) for f in failures)
        first = failures[0]
        return cls(
            f"{lost} logged predictions in {len(failures)} batches were not logged; "
            f"the first: {first.message}",
            details={**first.details, "records": lost, "batches": len(failures)},
            records=[record for f in failures for record in f._encoded],
            failures=failures,
        )

"""What a ``ModelMonitor`` consumes besides predictions (``modelbeacon.prediction``), and what it
emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelbeacon.metrics.health import Health


@dataclass(frozen=True, slots=True)
class LabelledOutcome:
    """One labelled prediction as the accuracy window keeps it, keyed by the *prediction's*
    timestamp.

    ``(timestamp, prediction_id)`` orders the accuracy window, so a late label lands where its
    prediction was made, not where the label arrived. ``label`` and ``prediction`` feed the
    confusion matrix; ``top_probability`` (raw, ``None`` for a model without probabilities)
    feeds ``estimate_gap``; ``delay`` is ``labelled_at -
    timestamp`` in seconds (0 for a label sent with the request).
    """

    timestamp: float
    prediction_id: str
    correct: bool
    label: Any = None
    prediction: Any = None
    top_probability: float | None = None
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class StatusTransition:
    """A change of a model's effective status or health (the ``model_status_change`` body)."""

    model_id: str
    old_status: str
    new_status: str
    old_health: Health
    new_health: Health
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """The ``model_status_change`` fields of docs/PAYLOADS.md (without type/timestamp)."""
        return {
            "model_id": self.model_id,
            "old_status": self.old_status,
            "new_status": self.new_status,
            "old_health": self.old_health,
            "new_health": self.new_health,
            "reason": self.reason,
        }

"""Names of every WebSocket message type (docs/PAYLOADS.md) and of the bus channel.

Other code imports these instead of writing the strings by hand, so a renamed message type is
a one-line change that mypy and the tests follow everywhere.
"""

from __future__ import annotations

from typing import Final

# Server -> client messages, in the order of docs/PAYLOADS.md.
SNAPSHOT: Final = "snapshot"
SYSTEM_METRICS: Final = "system_metrics"
MODEL_METRICS_UPDATE: Final = "model_metrics_update"
METRICS_HISTORY: Final = "metrics_history"
PREDICTION_LOGGED: Final = "prediction_logged"
MODEL_STATUS_CHANGE: Final = "model_status_change"
MODEL_STATUS_REALTIME: Final = "model_status_realtime"
MODEL_DEPLOYED: Final = "model_deployed"
MODEL_REGISTERED: Final = "model_registered"
TRAINING_PROGRESS: Final = "training_progress"
TRAINING_COMPLETED: Final = "training_completed"
TRAINING_FAILED: Final = "training_failed"
METRICS_DEGRADED: Final = "metrics_degraded"
PONG: Final = "pong"
ERROR: Final = "error"

# Client -> server messages.
PING: Final = "ping"
SUBSCRIBE: Final = "subscribe"

SERVER_MESSAGE_TYPES: Final[frozenset[str]] = frozenset(
    {
        SNAPSHOT,
        SYSTEM_METRICS,
        MODEL_METRICS_UPDATE,
        METRICS_HISTORY,
        PREDICTION_LOGGED,
        MODEL_STATUS_CHANGE,
        MODEL_STATUS_REALTIME,
        MODEL_DEPLOYED,
        MODEL_REGISTERED,
        TRAINING_PROGRESS,
        TRAINING_COMPLETED,
        TRAINING_FAILED,
        METRICS_DEGRADED,
        PONG,
        ERROR,
    }
)
"""Every type a client may receive, hence every name a ``subscribe`` request may list."""

DIRECT_REPLY_TYPES: Final[frozenset[str]] = frozenset({SNAPSHOT, PONG, ERROR})
"""Messages addressed to one client; a ``subscribe`` filter never holds them back."""

CLIENT_MESSAGE_TYPES: Final[frozenset[str]] = frozenset({PING, SUBSCRIBE})

EVENTS_CHANNEL: Final = "modelbeacon.events"
"""The bus channel services publish live events to and every hub listens on."""

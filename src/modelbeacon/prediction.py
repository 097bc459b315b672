"""``PredictionRecord``: the one description of a prediction, shared by every layer.

The predict path builds one per call (success or failure); the same object is what the model's
monitor keeps in its ring buffers, what the log writer queues, and what the views shape into
JSON. Storage derives its row from it in one place (``storage.prediction_repository``), and
reading the log back gives the same type again.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any


@dataclass(slots=True)
class PredictionRecord:
    """One predict call of one model.

    ``error`` not ``None`` marks a failed call: it counts in the error rate only, and carries no
    features, prediction or probabilities. ``label`` is the true label when known (inline with the
    request, or later through feedback, ``labelled_at`` then being when it arrived); the record is
    mutable for that reason alone. ``latency_ms`` is ``None`` only for a prediction logged by a
    model served elsewhere whose caller did not measure it. ``probabilities`` maps each class, as
    text, to its probability; ``top_probability`` is their maximum. Numbers must be finite; times
    are wall-clock unix seconds. ``features`` follow the model's inputs (``modelbeacon.inputs``):
    floats, categories (strings) and ``None`` for a missing value. ``model_id`` and
    ``model_version`` are set on every record the service makes (the monitor, being per model, does
    not read them).
    """

    prediction_id: str
    timestamp: float
    latency_ms: float | None
    prediction: Any = None
    top_probability: float | None = None
    features: tuple[Any, ...] | None = None
    label: Any = None
    error: str | None = None
    _: KW_ONLY
    model_id: int | None = None
    model_version: int | None = None
    probabilities: dict[str, float] | None = None
    labelled_at: float | None = None

    @property
    def correct(self) -> bool | None:
        """Whether the label matches the prediction; ``None`` while unlabelled."""
        return None if self.label is None else bool(self.label == self.prediction)

    @property
    def input_hash(self) -> str | None:
        """``input_hash`` of the features (``None`` for a failed call)."""
        return None if self.features is None else input_hash(self.features)


def input_hash(values: Sequence[Any]) -> str:
    """blake2b of the canonical input: equal inputs, equal hashes.

    An all-float vector hashes as its little-endian float64 bytes (as before categories
    existed, so stored hashes stay valid); any other (categories, missing values) as ``j``
    followed by its compact JSON.
    """
    if all(type(v) is float for v in values):
        data = struct.pack(f"<{len(values)}d", *values)
    else:
        data = b"j" + json.dumps(list(values), separators=(",", ":")).encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()

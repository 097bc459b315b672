"""Ground-truth labels waiting for their delay before they are sent as feedback."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class PendingLabel:
    """The true ``label`` of ``prediction_id``, to be sent at ``due`` (seconds, run clock)."""

    due: float
    seq: int
    prediction_id: str = field(compare=False)
    label: int | str = field(compare=False)


class LabelQueue:
    """A bounded min-heap of pending labels, earliest ``due`` first (ties: first pushed).

    Pure: the caller supplies the times. Holds at most ``capacity`` labels; ``push`` refuses
    more (returns False) rather than growing without bound when the server cannot keep up.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        self._capacity = capacity
        self._heap: list[PendingLabel] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, due: float, prediction_id: str, label: int | str) -> bool:
        """Queue a label; False (and nothing queued) when the queue is full."""
        if len(self._heap) >= self._capacity:
            return False
        heapq.heappush(self._heap, PendingLabel(due, next(self._seq), prediction_id, label))
        return True

    def next_due(self) -> float | None:
        """When the earliest pending label falls due; None when nothing waits."""
        return self._heap[0].due if self._heap else None

    def pop_due(self, now: float) -> list[PendingLabel]:
        """Remove and return every label due at or before ``now``, earliest first."""
        due: list[PendingLabel] = []
        while self._heap and self._heap[0].due <= now:
            due.append(heapq.heappop(self._heap))
        return due

    def count_due_by(self, when: float) -> int:
        """How many pending labels fall due at or before ``when`` (O(n); for shutdown)."""
        return sum(1 for pending in self._heap if pending.due <= when)

    def clear(self) -> int:
        """Drop everything pending; return how many were dropped."""
        dropped = len(self._heap)
        self._heap.clear()
        return dropped

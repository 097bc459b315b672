"""``TimedDrift``: the drift window over the latest predictions by their own timestamps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from modelbeacon.metrics.latest import LatestByTime
from modelbeacon.metrics.psi import DRIFT_WINDOW, DriftReference, DriftWindow


class TimedDrift:
    """A ``DriftWindow`` fed the ``size`` comparable feature vectors with the latest times.

    In time order (the served path) a vector goes straight to the window's queue, O(1). A
    vector older than the newest kept one (logged late) is placed in a ``LatestByTime`` of the
    vectors, and the window is rebuilt from it, once, at the next ``window()``: binning 1000
    vectors then costs a few milliseconds, paid only after late arrivals.
    """

    __slots__ = ("_built_at", "_vectors", "_window")

    def __init__(self, reference: DriftReference, size: int = DRIFT_WINDOW) -> None:
        self._window = DriftWindow(reference, size)
        self._vectors: LatestByTime[Sequence[Any]] = LatestByTime(size)
        self._built_at = 0

    @classmethod
    def of(
        cls, reference: DriftReference, size: int, timed: Iterable[tuple[float, Sequence[Any]]]
    ) -> TimedDrift:
        """A window as if each ``(time, features)`` had been added, in any order."""
        drift = cls(reference, size)
        for time, features in sorted(timed, key=lambda item: item[0]):
            drift.add(time, features)
        return drift

    @property
    def reference(self) -> DriftReference:
        return self._window.reference

    def add(self, time: float, features: Sequence[Any]) -> None:
        """Count ``features`` of a prediction made at ``time``; vectors the reference cannot
        compare are ignored."""
        window = self._window
        if not window.accepts(features):
            return
        vectors = self._vectors
        kept, _ = vectors.add(time, features)
        if kept and vectors.late_inserts == self._built_at:
            window.add(features)

    def window(self) -> DriftWindow:
        """The window, rebuilt first if a late vector arrived since it was last built."""
        vectors = self._vectors
        if vectors.late_inserts != self._built_at:
            self._built_at = vectors.late_inserts
            window = self._window = DriftWindow(self._window.reference, self._window.size)
            for features in vectors:
                window.add(features)
        return self._window

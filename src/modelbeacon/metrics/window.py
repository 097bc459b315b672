"""Bounded windows updated in O(1) (amortised) per event: accuracy and prediction rate."""

from __future__ import annotations

from array import array
from bisect import bisect_right, insort
from collections.abc import Iterable
from itertools import pairwise

from modelbeacon.metrics.records import LabelledOutcome


class AccuracyWindow:
    """The most recent ``size`` labelled predictions, ordered by ``(timestamp, prediction_id)``.

    ``add`` keeps exactly the top ``size`` keys of everything ever added (a streaming top-k):
    an outcome older than the oldest kept one is dropped once the window is full. A
    prediction is counted once; adding its id again is ignored, which stays true after it
    left the window because everything kept is then newer than it.
    """

    __slots__ = ("_hits", "_keys", "_outcomes", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("accuracy window size must be >= 1")
        self.size = size
        self._keys: list[tuple[float, str]] = []
        self._outcomes: dict[str, LabelledOutcome] = {}
        self._hits = 0

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def hits(self) -> int:
        """How many kept predictions were right."""
        return self._hits

    def add(self, outcome: LabelledOutcome) -> bool:
        """Count one labelled prediction; ``True`` if the window changed.

        O(1) when labels arrive in prediction order; a late label costs an insertion into a
        list of ``size`` keys.
        """
        prediction_id = outcome.prediction_id
        if prediction_id in self._outcomes:
            return False
        keys = self._keys
        key = (outcome.timestamp, prediction_id)
        full = len(keys) >= self.size
        if full and key < keys[0]:
            return False
        if not keys or key > keys[-1]:
            keys.append(key)
        else:
            insort(keys, key)
        self._outcomes[prediction_id] = outcome
        self._hits += outcome.correct
        if full:
            # Evicting from the front of a list of ~100 is a short memmove, cheaper than
            # any linked structure in Python.
            _, evicted_id = keys.pop(0)
            self._hits -= self._outcomes.pop(evicted_id).correct
        return True

    @property
    def accuracy(self) -> float | None:
        """Fraction correct, ``None`` while empty."""
        n = len(self._keys)
        return self._hits / n if n else None

    def outcomes(self) -> list[LabelledOutcome]:
        """The kept predictions, oldest first."""
        outcomes = self._outcomes
        return [outcomes[prediction_id] for _, prediction_id in self._keys]

    def correctness(self) -> list[bool]:
        """Whether each kept prediction was right, oldest first."""
        outcomes = self._outcomes
        return [outcomes[prediction_id].correct for _, prediction_id in self._keys]

    def recompute_check(self) -> list[str]:
        """Recount the hits from the kept outcomes; fix and describe any mismatch."""
        hits = sum(self.correctness())
        if hits != self._hits:
            found = f"accuracy window hits {self._hits} != recomputed {hits}"
            self._hits = hits
            return [found]
        return []


class RateWindow:
    """Timestamps of recent successful predictions, kept sorted, for counts by time range.

    The clock may step in either direction: a timestamp older than the newest one is inserted
    in order (a memmove of the entries after it). Entries at or before ``high_water -
    retention`` are pruned, where ``high_water`` is the latest time seen (a timestamp or a
    ``now``). Counts are therefore exact for any range ending no more than
    ``retention - span`` seconds before ``high_water``; a clock that went back further than
    that undercounts until it catches up. Pruning is amortised: dead entries are skipped by an
    offset and physically deleted only once they are at least half the array.
    """

    __slots__ = ("_high_water", "_next_prune", "_start", "_times", "retention")

    _MIN_PRUNE_STEP = 1024

    def __init__(self, retention: float, timestamps: Iterable[float] = ()) -> None:
        self.retention = retention
        self._times = array("d", sorted(timestamps))
        self._start = 0
        self._high_water = self._times[-1] if self._times else float("-inf")
        self._next_prune = len(self._times) + self._MIN_PRUNE_STEP

    def __len__(self) -> int:
        """How many timestamps are kept (not yet pruned)."""
        return len(self._times) - self._start

    @property
    def high_water(self) -> float:
        """The latest time seen; pruning is relative to it."""
        return self._high_water

    def add(self, timestamp: float) -> None:
        """Record one prediction at ``timestamp``; amortised O(1) when in order."""
        times = self._times
        if timestamp > self._high_water:
            self._high_water = timestamp
        if not times or timestamp >= times[-1]:
            times.append(timestamp)
        else:
            insort(times, timestamp, lo=self._start)
        if len(times) >= self._next_prune:
            self.prune()

    def observe(self, now: float) -> None:
        """Move the high-water mark to ``now`` if it is later, and prune."""
        if now > self._high_water:
            self._high_water = now
        self.prune()

    def prune(self) -> None:
        """Forget timestamps at or before ``high_water - retention``."""
        times = self._times
        self._start = bisect_right(times, self._high_water - self.retention, lo=self._start)
        if self._start * 2 >= len(times):
            del times[: self._start]
            self._start = 0
        self._next_prune = len(times) + max(len(times), self._MIN_PRUNE_STEP)

    def count(self, after: float, until: float) -> int:
        """How many timestamps ``t`` satisfy ``after < t <= until``."""
        times, start = self._times, self._start
        return bisect_right(times, until, lo=start) - bisect_right(times, after, lo=start)

    def timestamps(self) -> list[float]:
        """The kept timestamps, ascending."""
        return self._times[self._start :].tolist()

    def recompute_check(self) -> list[str]:
        """Check that the kept timestamps are sorted; re-sort and describe if not."""
        kept = self.timestamps()
        if all(a <= b for a, b in pairwise(kept)):
            return []
        self._times = array("d", sorted(kept))
        self._start = 0
        return ["rate window timestamps were out of order"]

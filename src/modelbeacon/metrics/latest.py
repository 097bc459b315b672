"""``LatestByTime``: a bounded window of the items with the latest timestamps."""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestByTime(Generic[T]):
    """The ``size`` items with the latest times seen, oldest first; equal times keep arrival
    order (an item is placed after those of its time already kept).

    ``add`` is O(1) when times arrive in order (the served path). An item older than the
    newest kept one (a prediction logged late, a clock step) is inserted at its place, O(size),
    and counted in ``late_inserts`` so that whatever is derived from the window incrementally
    knows to rebuild; when the window is full of later items it is not kept at all.
    """

    __slots__ = ("_items", "_times", "late_inserts", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("window size must be >= 1")
        self.size = size
        self._times: deque[float] = deque()
        self._items: deque[T] = deque()
        self.late_inserts = 0

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __reversed__(self) -> Iterator[T]:
        return reversed(self._items)

    @property
    def oldest(self) -> T:
        """The oldest kept item (``IndexError`` while empty)."""
        return self._items[0]

    def add(self, time: float, item: T) -> tuple[bool, T | None]:
        """Keep ``item`` at ``time``; return whether it was kept and the item that left the
        window to make room for it, if any."""
        times, items = self._times, self._items
        full = len(items) == self.size
        if not times or time >= times[-1]:
            evicted = None
            if full:
                times.popleft()
                evicted = items.popleft()
            times.append(time)
            items.append(item)
            return True, evicted
        position = bisect_right(times, time)
        evicted = None
        if full:
            if position == 0:
                return False, None
            times.popleft()
            evicted = items.popleft()
            position -= 1
        times.insert(position, time)
        items.insert(position, item)
        self.late_inserts += 1
        return True, evicted

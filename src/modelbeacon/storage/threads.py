"""Running blocking storage calls off the event loop without cutting them loose."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``asyncio.to_thread`` that, when cancelled, still waits for the thread to finish.

    Cancelling a task does not stop the thread it waits on. A database call cut loose that way
    would keep running after shutdown and hand its connection back to a pool the engine has
    already disposed, leaking it (and could commit after a later write it should precede).
    Waiting here makes every storage call finish before its caller counts as stopped.
    """
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        # The call's own outcome no longer matters, only that it has ended.
        await asyncio.wait([future])
        raise

"""Work tied to its caller's lifetime: background tasks stopped without swallowing the
caller's cancellation, and blocking calls run in a thread that is never cut loose."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has finished.

    The task's ``CancelledError`` is absorbed, but if the *calling* task is itself being
    cancelled the error is re-raised, so a shutdown is never turned into a normal return.
    Any other exception of the task propagates: it is a bug, not a way of stopping.
    """
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise


@asynccontextmanager
async def background(
    coroutine: Coroutine[Any, Any, None], *, name: str
) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``coroutine`` as a task for the duration of the ``async with``; cancel and wait
    for it on exit (``cancel_and_wait``)."""
    task = asyncio.create_task(coroutine, name=name)
    try:
        yield task
    finally:
        await cancel_and_wait(task)


async def in_thread(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``asyncio.to_thread`` that, when cancelled, still waits for the thread to finish.

    Cancelling a task does not stop the thread it waits on. A database call cut loose that way
    would keep running after shutdown and hand its connection back to a pool the engine has
    already disposed, leaking it (and could commit after a later write it should precede).
    Waiting here makes every blocking call finish before its caller counts as stopped.
    """
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        # The call's own outcome no longer matters, only that it has ended.
        await asyncio.wait([future])
        raise

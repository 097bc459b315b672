"""Background tasks tied to a context, stopped without swallowing the caller's cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any


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

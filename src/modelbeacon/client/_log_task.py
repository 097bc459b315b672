"""The async client's logging: records queue in the caller's task and leave in batches from
one background asyncio task, started with the first record (on the caller's loop)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from modelbeacon.client._batching import LogBuffer, LogOptions, delivery, delivery_failure
from modelbeacon.client._errors import LogDeliveryError, LogQueueFullError
from modelbeacon.client._http import Outcome
from modelbeacon.client._records import QueuedRecord
from modelbeacon.client._routes import Call

logger = logging.getLogger("modelbeacon.client")


class LogTask:
    """Queued records and the task that sends them with ``send`` (one call, retried)."""

    def __init__(
        self, options: LogOptions, send: Callable[[Call], Awaitable[Outcome]], url: str
    ) -> None:
        self._buffer = LogBuffer(options)
        self._send = send
        self._url = url
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def last_error(self) -> LogDeliveryError | None:
        return self._buffer.last_error

    async def put(self, record: QueuedRecord) -> None:
        """Queue ``record``; waits up to ``enqueue_timeout`` s for room, then raises
        ``LogQueueFullError``. Raises ``RuntimeError`` once the client is closed."""
        async with self._changed:
            try:
                if not (self._closing or self._buffer.has_room()):
                    async with asyncio.timeout(self._buffer.options.enqueue_timeout):
                        await self._changed.wait_for(
                            lambda: self._closing or self._buffer.has_room()
                        )
            except TimeoutError:
                error = self._buffer.last_error
                raise LogQueueFullError(
                    f"{len(self._buffer)} logged predictions are waiting to be sent to "
                    f"{self._url}, the most the queue holds; the server is slower than the "
                    "logging, or unreachable",
                    details={
                        "queued": len(self._buffer),
                        "last_error": None if error is None else error.message,
                    },
                ) from None
            if self._closing:
                raise RuntimeError("this modelbeacon AsyncClient is closed")
            batch_ready = self._buffer.add(record)
            if batch_ready:
                self._changed.notify_all()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="modelbeacon-log-sender"
            )
        if batch_ready:
            # A caller logging in a tight loop never waits on anything else: let the sender
            # take the full batch now rather than when the queue is full.
            await asyncio.sleep(0)

    async def flush(self, timeout: float | None = None) -> None:
        """Send everything queued so far and wait until it is logged or failed; raises
        ``LogDeliveryError`` for what failed since the last raise, ``TimeoutError`` when
        records are still on their way after ``timeout`` s."""
        async with self._changed:
            point = self._buffer.flush_point()
            self._changed.notify_all()
            try:
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(lambda: self._buffer.flushed(point))
            except TimeoutError:
                raise TimeoutError(
                    f"{point - self._buffer.settled} logged predictions were still being sent "
                    f"after {timeout} s"
                ) from None
            failure = self._buffer.take_failures()
        if failure is not None:
            raise failure

    async def wait_for(self, prediction_ids: Iterable[str]) -> None:
        """Send at once whatever is queued if one of ``prediction_ids`` is among it, and wait
        until that is settled (logged, or failed: the failure is raised by ``flush``), so a
        label sent next finds its prediction."""
        async with self._changed:
            if not self._buffer.holds_any(prediction_ids):
                return
            point = self._buffer.flush_point()
            self._changed.notify_all()
            await self._changed.wait_for(lambda: self._buffer.flushed(point))

    async def close(self) -> None:
        """Send everything queued, end the task, and raise as ``flush`` does."""
        async with self._changed:
            self._closing = True
            self._buffer.flush_point()
            self._changed.notify_all()
        if self._task is not None:
            await self._task
        failure = self._buffer.take_failures()
        if failure is not None:
            raise failure

    async def _run(self) -> None:
        try:
            while True:
                async with self._changed:
                    while (wait := self._buffer.seconds_until_due(time.monotonic())) != 0.0:
                        if wait is None and self._closing:
                            return
                        try:
                            async with asyncio.timeout(wait):
                                await self._changed.wait()
                        except TimeoutError:
                            pass
                    batch = self._buffer.take()
                    self._changed.notify_all()
                failures = [
                    failure for records in batch for failure in await self._deliver(records)
                ]
                for failure in failures:
                    logger.error("%s", failure.message)
                async with self._changed:
                    self._buffer.settle(batch, failures)
                    self._changed.notify_all()
        finally:
            unsent = self._buffer.added - self._buffer.settled
            if unsent:
                logger.error(
                    "%d logged predictions were never sent: the AsyncClient was not closed "
                    "before its event loop ended",
                    unsent,
                )

    async def _deliver(self, records: list[QueuedRecord]) -> list[LogDeliveryError]:
        steps = delivery(records, self._url)
        try:
            call = next(steps)
            while True:
                call = steps.send(await self._send(call))
        except StopIteration as done:
            failures: list[LogDeliveryError] = done.value
            return failures
        except Exception as exc:  # a bug must not end the task and hang every flush()
            logger.exception("sending logged predictions failed")
            return [delivery_failure(records, f"{type(exc).__name__}: {exc}")]

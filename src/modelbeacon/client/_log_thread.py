"""The sync client's logging: records queue in the caller's thread and leave in batches from
one background thread, started with the first record."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Iterable

from modelbeacon.client._batching import LogBuffer, LogOptions, delivery, delivery_failure
from modelbeacon.client._errors import LogDeliveryError, LogQueueFullError
from modelbeacon.client._http import Outcome
from modelbeacon.client._records import QueuedRecord
from modelbeacon.client._routes import Call

logger = logging.getLogger("modelbeacon.client")

#: How long a process that exits without ``close()`` waits for its queued records.
EXIT_FLUSH_SECONDS = 5.0


class LogThread:
    """Queued records and the thread that sends them with ``send`` (one call, retried)."""

    def __init__(self, options: LogOptions, send: Callable[[Call], Outcome], url: str) -> None:
        self._buffer = LogBuffer(options)
        self._send = send
        self._url = url
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False

    @property
    def last_error(self) -> LogDeliveryError | None:
        with self._changed:
            return self._buffer.last_error

    def put(self, record: QueuedRecord) -> None:
        """Queue ``record``; waits up to ``enqueue_timeout`` s for room, then raises
        ``LogQueueFullError``. Raises ``RuntimeError`` once the client is closed."""
        with self._changed:
            room = self._changed.wait_for(
                lambda: self._closing or self._buffer.has_room(),
                self._buffer.options.enqueue_timeout,
            )
            if self._closing:
                raise RuntimeError("this modelbeacon Client is closed")
            if not room:
                raise LogQueueFullError(
                    f"{len(self._buffer)} logged predictions are waiting to be sent to "
                    f"{self._url}, the most the queue holds; the server is slower than the "
                    "logging, or unreachable",
                    details={"queued": len(self._buffer), "last_error": self._last_reason()},
                )
            if self._buffer.add(record):
                self._changed.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="modelbeacon-log-sender", daemon=True
                )
                self._thread.start()
                atexit.register(self._flush_at_exit)

    def flush(self, timeout: float | None = None) -> None:
        """Send everything queued so far and wait until it is logged or failed; raises
        ``LogDeliveryError`` for what failed since the last raise, ``TimeoutError`` when
        records are still on their way after ``timeout`` s."""
        with self._changed:
            point = self._buffer.flush_point()
            self._changed.notify_all()
            if not self._changed.wait_for(lambda: self._buffer.flushed(point), timeout):
                raise TimeoutError(
                    f"{point - self._buffer.settled} logged predictions were still being sent "
                    f"after {timeout} s"
                )
            failure = self._buffer.take_failures()
        if failure is not None:
            raise failure

    def wait_for(self, prediction_ids: Iterable[str]) -> None:
        """Send at once whatever is queued if one of ``prediction_ids`` is among it, and wait
        until that is settled (logged, or failed: the failure is raised by ``flush``), so a
        label sent next finds its prediction."""
        with self._changed:
            if not self._buffer.holds_any(prediction_ids):
                return
            point = self._buffer.flush_point()
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._buffer.flushed(point))

    def close(self) -> None:
        """Send everything queued, stop the thread, and raise as ``flush`` does."""
        with self._changed:
            self._closing = True
            self._buffer.flush_point()
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
            atexit.unregister(self._flush_at_exit)
        with self._changed:
            failure = self._buffer.take_failures()
        if failure is not None:
            raise failure

    def _run(self) -> None:
        while True:
            with self._changed:
                while (wait := self._buffer.seconds_until_due(time.monotonic())) != 0.0:
                    if wait is None and self._closing:
                        return
                    self._changed.wait(wait)
                batch = self._buffer.take()
                self._changed.notify_all()
            failures = [failure for records in batch for failure in self._deliver(records)]
            for failure in failures:
                logger.error("%s", failure.message)
            with self._changed:
                self._buffer.settle(batch, failures)
                self._changed.notify_all()

    def _deliver(self, records: list[QueuedRecord]) -> list[LogDeliveryError]:
        steps = delivery(records, self._url)
        try:
            call = next(steps)
            while True:
                call = steps.send(self._send(call))
        except StopIteration as done:
            failures: list[LogDeliveryError] = done.value
            return failures
        except Exception as exc:  # a bug must not stop the thread and hang every flush()
            logger.exception("sending logged predictions failed")
            return [delivery_failure(records, f"{type(exc).__name__}: {exc}")]

    def _last_reason(self) -> str | None:
        error = self._buffer.last_error
        return None if error is None else error.message

    def _flush_at_exit(self) -> None:
        """The process exits and the client was never closed: give its records a moment."""
        try:
            self.flush(timeout=EXIT_FLUSH_SECONDS)
        except (TimeoutError, LogDeliveryError) as exc:
            logger.error("a modelbeacon Client was not closed before exit: %s", exc)

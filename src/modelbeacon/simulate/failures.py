"""Classifying failed requests, and reporting them without flooding a terminal."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from rich.console import Console
from rich.markup import escape

from modelbeacon.client import describe_failure
from modelbeacon.errors import ModelbeaconError, UnavailableError
from modelbeacon.simulate.summary import ErrorKind

Failure = httpx.Response | httpx.TransportError | ModelbeaconError
"""A failed request: the response (status >= 400), the socket error, or the client's error."""


def failure_kind(failure: Failure) -> ErrorKind:
    """``connection`` for no HTTP answer (refused, reset, timed out), else ``4xx`` / ``5xx``.

    A client error is ``connection`` when it is an ``UnavailableError``, else it goes by its
    ``details["status"]``. A response below 400 is not a failure; passing one is a programming
    error.
    """
    if isinstance(failure, httpx.TransportError | UnavailableError):
        return "connection"
    status = (
        failure.details["status"] if isinstance(failure, ModelbeaconError) else failure.status_code
    )
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    raise ValueError(f"HTTP {status} is not a failure")


def failure_message(failure: Failure, url: str) -> str:
    """``describe_failure``'s line for ``failure``; a client error carries it as its message."""
    if isinstance(failure, ModelbeaconError):
        return failure.message
    return describe_failure(failure, url)


class FailureReporter:
    """Prints failures to a console at most once per ``interval`` seconds, with a count.

    The first failure is printed at once; later ones within ``interval`` are only counted and
    folded into the next line. After failures, the first success prints one "succeed
    again" line. ``clock`` returns seconds (monotonic). A None console prints nothing.
    """

    def __init__(self, console: Console | None, interval: float, clock: Callable[[], float]):
        self._console = console
        self._interval = interval
        self._clock = clock
        self._last_printed: float | None = None
        self._unprinted = 0
        self._last_message = ""
        self._failures_since_success = 0

    def failure(self, message: str) -> None:
        self._failures_since_success += 1
        self._unprinted += 1
        self._last_message = message
        now = self._clock()
        if self._last_printed is None or now - self._last_printed >= self._interval:
            self._print_pending(now)

    def success(self) -> None:
        if self._failures_since_success:
            self.flush()
            self._say(
                f"[green]requests succeed again[/green] after "
                f"{self._failures_since_success} failures"
            )
            self._failures_since_success = 0
            self._last_printed = None

    def flush(self) -> None:
        """Print the failures counted but not yet shown, if any."""
        if self._unprinted:
            self._print_pending(self._clock())

    def _print_pending(self, now: float) -> None:
        count = self._unprinted
        tail = "" if count == 1 else f" ({count} failed requests since the last report)"
        self._say(f"[red]error:[/red] {escape(self._last_message)}{tail}; still sending")
        self._unprinted = 0
        self._last_printed = now

    def _say(self, markup: str) -> None:
        if self._console is not None:
            self._console.print(markup, highlight=False, soft_wrap=True)

"""Classifying and describing failed requests, and reporting them without flooding a terminal."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from rich.console import Console
from rich.markup import escape

from modelbeacon.simulate.summary import ErrorKind


def failure_kind(failure: httpx.Response | httpx.TransportError) -> ErrorKind:
    """``connection`` for no HTTP answer (refused, reset, timed out), else ``4xx`` / ``5xx``.

    A response below 400 is not a failure; passing one is a programming error.
    """
    if isinstance(failure, httpx.TransportError):
        return "connection"
    if failure.status_code >= 500:
        return "5xx"
    if failure.status_code >= 400:
        return "4xx"
    raise ValueError(f"HTTP {failure.status_code} is not a failure")


def describe_failure(failure: httpx.Response | httpx.TransportError, url: str) -> str:
    """One line a person can act on: what failed and what the server (or socket) said."""
    if isinstance(failure, httpx.TransportError):
        reason = str(failure) or type(failure).__name__
        return f"cannot reach {url}: {type(failure).__name__}: {reason}"
    try:
        body = failure.json()
        error = body["error"]
        said = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        said = failure.text[:200] or failure.reason_phrase
    request = failure.request
    return f"{request.method} {request.url.path} -> HTTP {failure.status_code} {said}"


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

"""Classifying failed requests, and reporting them without flooding a terminal.

Every request of a run goes through ``modelbeacon.client``, so a failure is one of its errors
(``ModelbeaconError``): no answer is an ``UnavailableError``, a refusal carries the HTTP
status in ``details["status"]``.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from modelbeacon.errors import ModelbeaconError, UnavailableError
from modelbeacon.simulate.summary import ErrorKind


def failure_kind(failure: ModelbeaconError) -> ErrorKind:
    """``connection`` when no HTTP answer came (refused, reset, timed out; logged predictions
    that never got one, or a log queue that stayed full), else ``4xx`` / ``5xx`` by
    ``details["status"]``. A status below 400 is not a failure; passing one is a programming
    error.
    """
    status = failure.details.get("status")
    if isinstance(failure, UnavailableError) or status is None:
        return "connection"
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    raise ValueError(f"HTTP {status} is not a failure")


class FailureReporter:
    """Prints failures to a console at most once per ``interval`` seconds, with a count.

    The first failure is printed at once; later ones within ``interval`` are only counted and
    folded into the next line. After failures, the first success prints one "succeed
    again" line. ``clock`` returns seconds (monotonic). A None console prints nothing;
    ``prefix`` (rich markup) starts every line, to tell two runs on one console apart.
    """

    def __init__(
        self,
        console: Console | None,
        interval: float,
        clock: Callable[[], float],
        prefix: str = "",
    ):
        self._console = console
        self._interval = interval
        self._clock = clock
        self._prefix = prefix
        self._last_printed: float | None = None
        self._unprinted = 0
        self._last_message = ""
        self._failures_since_success = 0

    def failure(self, message: str, count: int = 1) -> None:
        """``count`` requests (or records) failed, the last one saying ``message``."""
        self._failures_since_success += count
        self._unprinted += count
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
            self._console.print(f"{self._prefix}{markup}", highlight=False, soft_wrap=True)

"""Running the app under uvicorn with the shutdown our contract promises."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType

import uvicorn


class GracefulServer(uvicorn.Server):
    """A uvicorn server whose SIGTERM/SIGINT ends in a clean exit 0.

    uvicorn re-raises the signal it captured once shutdown is done (so the process dies with
    143 or 130); our contract is "flush and exit 0", and the lifespan has already flushed.
    """

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


class DemoServer(GracefulServer):
    """The first SIGINT/SIGTERM calls ``on_first_signal`` (the demo stops its traffic, then
    sets ``should_exit`` itself); a second one stops the server at once."""

    def __init__(self, config: uvicorn.Config, on_first_signal: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_first_signal = on_first_signal
        self._signalled = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._signalled or sig not in (signal.SIGINT, signal.SIGTERM):
            super().handle_exit(sig, frame)
            return
        self._signalled = True
        self._on_first_signal()

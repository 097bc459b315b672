"""``modelbeacon demo``: the whole product in one process, on SQLite, with live traffic.

The API server (uvicorn) and the traffic simulator share one event loop. The simulator talks to
the server over real HTTP on loopback, like any client: to the deployed model, and (unless
turned off) to a model served elsewhere beside it, ``iris-elsewhere``, whose predictions the
simulator makes itself and logs with half the traffic (``simulate.external``). The first
Ctrl-C (or SIGTERM) stops the traffic, then the server flushes the prediction log and the
process exits 0; a second Ctrl-C stops the server at once.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import uvicorn
from rich.console import Console

from modelbeacon.app import create_app
from modelbeacon.errors import UnavailableError
from modelbeacon.server import DemoServer
from modelbeacon.settings import Settings
from modelbeacon.simulate.cli import ensure_model
from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.summary import SimulationSummary

_STARTUP_SECONDS = 60.0


async def _until(stop: asyncio.Event, work: asyncio.Task[None]) -> bool:
    """Wait for ``work`` or ``stop``; True if ``work`` finished (it is cancelled otherwise)."""
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if work.done():
        work.result()
        return True
    work.cancel()
    with suppress(asyncio.CancelledError):
        await work
    return False


async def run_demo(
    settings: Settings, config: SimulationConfig, console: Console, *, external: bool = True
) -> list[SimulationSummary] | None:
    """Serve, set up a model, simulate until stopped (with the model served elsewhere beside
    it when ``external``); the summaries, the served model's first; None if stopped before
    any traffic."""
    from modelbeacon.simulate.external import run_with_external
    from modelbeacon.simulate.traffic import run_simulation

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def request_stop() -> None:
        # Called from a signal handler: wake the loop safely.
        loop.call_soon_threadsafe(stop.set)

    server = DemoServer(
        uvicorn.Config(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            timeout_graceful_shutdown=10,
        ),
        on_first_signal=request_stop,
    )
    serving = asyncio.create_task(server.serve())
    try:
        deadline = loop.time() + _STARTUP_SECONDS
        while not server.started:
            if serving.done() or loop.time() > deadline:
                raise UnavailableError(
                    f"the server did not start on {settings.host}:{settings.port} "
                    "(is the port in use? pass --port)"
                )
            await asyncio.sleep(0.05)
        console.print(f"[bold green]dashboard:[/bold green] {config.url}/")
        if not await _until(stop, asyncio.create_task(ensure_model(config, console))):
            return None
        if external:
            return list(await run_with_external(config, console=console, stop=stop))
        return [await run_simulation(config, console=console, stop=stop)]
    finally:
        server.should_exit = True
        with suppress(asyncio.CancelledError):
            await serving

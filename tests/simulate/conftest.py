"""Real ``modelbeacon serve`` processes for the simulator tests, stopped by their own PIDs."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import ServerProcess

StartServer = Callable[..., ServerProcess]


def _server_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELBEACON_")}
    env.update(
        MODELBEACON_DATABASE_URL=f"sqlite:///{folder / 'modelbeacon.db'}",
        MODELBEACON_ARTIFACT_DIR=str(folder / "artifacts"),
    )
    return env


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the tests that only need one; each trains and deploys its own model."""
    folder = tmp_path_factory.mktemp("shared-server")
    server = ServerProcess(_server_env(folder), folder, folder / "server.log")
    try:
        yield server
    finally:
        server.stop(signal.SIGKILL)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    started: list[ServerProcess] = []

    def start(port: int | None = None) -> ServerProcess:
        server = ServerProcess(_server_env(tmp_path), tmp_path, tmp_path / "server.log", port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL)

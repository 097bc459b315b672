"""A real ``modelbeacon serve`` for the client's tests, and what they watch it with."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ServerProcess, free_port, server_environment

#: Small enough that a batch of 40 records is refused with a 413, and halves of it are not.
BODY_LIMIT = 4096


class BeaconServer:
    """A real ``modelbeacon serve`` on one loopback port and one SQLite database, which a
    test may stop and start again (same port, same data)."""

    def __init__(self, tmp_path: Path) -> None:
        self._env = server_environment(tmp_path, max_body_bytes=BODY_LIMIT)
        self._tmp_path = tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: ServerProcess | None = None

    def start(self) -> None:
        assert self._process is None, "already running"
        log = self._tmp_path / "server.log"
        self._process = ServerProcess(self._env, self._tmp_path, log, port=self.port)

    @property
    def running(self) -> bool:
        return self._process is not None

    def stop(self) -> None:
        """Stop the process we started, by its PID."""
        if self._process is not None:
            self._process.stop()
            self._process = None


@pytest.fixture(scope="package")
def beacon_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BeaconServer]:
    """One server for the client's tests (a start costs seconds), each test registering its
    own model; stopped by its PID afterwards."""
    server = BeaconServer(tmp_path_factory.mktemp("beacon"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Sent:
    """Every request a client sent (method and path) and every answer's status, in order."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def logs(self) -> list[str]:
        return [path for method, path in self.requests if path.endswith("/predictions")]

    def on_request(self, request: httpx.Request) -> None:
        self.requests.append((request.method, request.url.path))

    def on_response(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)

    async def on_request_async(self, request: httpx.Request) -> None:
        self.on_request(request)

    async def on_response_async(self, response: httpx.Response) -> None:
        self.on_response(response)


def watch(http: httpx.Client | httpx.AsyncClient) -> Sent:
    """Record what ``http`` (a client's ``http``) sends, with httpx's event hooks."""
    sent = Sent()
    if isinstance(http, httpx.AsyncClient):
        http.event_hooks["request"].append(sent.on_request_async)
        http.event_hooks["response"].append(sent.on_response_async)
    else:
        http.event_hooks["request"].append(sent.on_request)
        http.event_hooks["response"].append(sent.on_response)
    return sent


def register(url: str, name: str) -> str:
    """A monitored iris-shaped model (four numbers, classes 0-2); its id."""
    response = httpx.post(
        f"{url}/api/models/register",
        json={"name": name, "features": ["a", "b", "c", "d"], "classes": [0, 1, 2]},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def logged_ids(url: str, model_id: str) -> list[str]:
    """The ids of every prediction the server holds for ``model_id``, sorted."""
    response = httpx.get(f"{url}/api/models/{model_id}/predictions", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return sorted(p["prediction_id"] for p in response.json()["predictions"])


def total_predictions(url: str, model_id: str) -> int:
    return int(httpx.get(f"{url}/api/models/{model_id}").json()["total_predictions"])


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)


def iris_record(n: int) -> dict[str, Any]:
    """The keyword arguments of one ``log_prediction`` (about 150 bytes as JSON)."""
    return {
        "features": [5.1, 3.5, 1.4, float(n % 10) / 10],
        "prediction": n % 3,
        "probabilities": {"0": 0.5, "1": 0.25, "2": 0.25},
        "latency_ms": 1.5,
    }

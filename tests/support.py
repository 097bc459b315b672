"""Helpers shared by API and end-to-end tests (plain functions, no fixtures)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

IRIS_ROWS = [
    ([5.1, 3.5, 1.4, 0.2], 0),
    ([7.0, 3.2, 4.7, 1.4], 1),
    ([6.3, 3.3, 6.0, 2.5], 2),
    ([4.9, 3.0, 1.4, 0.2], 0),
    ([6.4, 3.2, 4.5, 1.5], 1),
    ([5.8, 2.7, 5.1, 1.9], 2),
]


async def wait_for_job(
    client: httpx.AsyncClient, job_id: str, timeout: float = 120.0
) -> dict[str, Any]:
    """Poll the job until it ends; return its final state (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await client.get(f"/api/training/{job_id}")).json()
        if job["state"] in ("completed", "failed"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"training job {job_id} did not finish within {timeout}s")


async def train(
    client: httpx.AsyncClient,
    name: str = "iris-lr",
    dataset: str = "iris",
    algorithm: str = "logistic_regression",
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train to completion and return the model as GET /api/models/{id} shows it."""
    response = await client.post(
        "/api/models/train",
        json={"name": name, "dataset": dataset, "algorithm": algorithm, "params": params or {}},
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    job = await wait_for_job(client, accepted["job_id"])
    assert job["state"] == "completed", job
    return (await client.get(f"/api/models/{accepted['model_id']}")).json()


def train_on_server(
    url: str,
    name: str = "iris-lr",
    dataset: str = "iris",
    algorithm: str = "logistic_regression",
    params: dict[str, Any] | None = None,
    *,
    deploy: bool = False,
    timeout: float = 120.0,
) -> dict[str, Any]:
    """``train`` for a server in another process (sync): train to completion, deploy it if
    asked, and return the model as GET /api/models/{id} shows it."""
    with httpx.Client(base_url=url, timeout=30) as http:
        body = {"name": name, "dataset": dataset, "algorithm": algorithm, "params": params or {}}
        response = http.post("/api/models/train", json=body)
        assert response.status_code == 202, response.text
        accepted = response.json()
        deadline = time.monotonic() + timeout
        while (job := http.get(f"/api/training/{accepted['job_id']}").json())["state"] in (
            "queued",
            "running",
        ):
            assert time.monotonic() < deadline, f"training did not finish within {timeout}s"
            time.sleep(0.1)
        assert job["state"] == "completed", job
        if deploy:
            deployed = http.post(f"/api/models/{accepted['model_id']}/deploy")
            assert deployed.status_code == 200, deployed.text
        return http.get(f"/api/models/{accepted['model_id']}").json()  # type: ignore[no-any-return]


async def deployed_model(client: httpx.AsyncClient, name: str = "iris-lr") -> dict[str, Any]:
    model = await train(client, name=name)
    response = await client.post(f"/api/models/{model['id']}/deploy")
    assert response.status_code == 200, response.text
    return model


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is ``status`` in the one error shape; return its ``error`` object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A ``modelbeacon serve`` child we started, stopped by its own PID."""

    def __init__(
        self,
        env: dict[str, str],
        cwd: Path,
        log: Path,
        port: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "modelbeacon", "serve", "--port", str(self.port)],
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early: {log.read_text()[-3000:]}")
            try:
                health = httpx.get(f"{self.url}/api/health", headers=headers, timeout=1)
                if health.status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server did not become healthy: {log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._log.close()
        return code


def server_environment(tmp_path: Path, **settings: object) -> dict[str, str]:
    """Environment for a test server: no inherited ``MODELBEACON_*`` variable, a fresh SQLite
    database and artifact folder under ``tmp_path``, and each of ``settings`` as
    ``MODELBEACON_<NAME>`` (``metrics_interval=0.5`` -> ``MODELBEACON_METRICS_INTERVAL=0.5``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELBEACON_")}
    env["MODELBEACON_DATABASE_URL"] = f"sqlite:///{tmp_path / 'modelbeacon.db'}"
    env["MODELBEACON_ARTIFACT_DIR"] = str(tmp_path / "artifacts")
    for name, value in settings.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        env[f"MODELBEACON_{name.upper()}"] = text
    return env


@contextmanager
def running_server(tmp_path: Path, **settings: object) -> Iterator[ServerProcess]:
    """A ``modelbeacon serve`` on a free loopback port with ``server_environment``; stopped by
    its PID (SIGTERM, then SIGKILL after 30 s) however the block exits. With ``api_keys``, the
    first key is used to wait for the server to become healthy."""
    keys = str(settings.get("api_keys", "")).split(",")
    server = ServerProcess(
        server_environment(tmp_path, **settings),
        tmp_path,
        tmp_path / "server.log",
        headers={"X-API-Key": keys[0]} if keys[0] else None,
    )
    try:
        yield server
    finally:
        server.stop()


def ws_url(server: ServerProcess) -> str:
    return f"ws://127.0.0.1:{server.port}/ws"


@dataclass(frozen=True, slots=True)
class Received:
    """One server message as a client got it, with its arrival time as ``time.monotonic()``
    (``at``) and as wall-clock unix seconds (``wall``, comparable with the server's
    ``timestamp`` on the same machine)."""

    at: float
    wall: float
    message: dict[str, Any]


class LiveClient:
    """A real ``websockets`` client of ``/ws`` that reads and records every message.

    ``received`` holds the messages in arrival order; ``wait_for`` waits (bounded) for one
    that matches. ``close_code`` is the server's close code once the connection has ended.
    """

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.received: list[Received] = []
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._arrived = asyncio.Event()

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str, **options: Any) -> AsyncIterator[LiveClient]:
        async with ws_connect(url, open_timeout=30, close_timeout=5, **options) as connection:
            client = cls(connection)
            reader = asyncio.create_task(client._read())
            try:
                yield client
            finally:
                reader.cancel()
                with suppress(asyncio.CancelledError):
                    await reader

    def messages(
        self, kind: str | None = None, model_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Messages received so far, optionally of one ``type`` and one ``model_id``."""
        return [
            r.message
            for r in self.received
            if (kind is None or r.message["type"] == kind)
            and (model_id is None or r.message.get("model_id") == model_id)
        ]

    async def wait_for(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        start: int = 0,
        timeout: float = 30.0,
        what: str = "a matching message",
    ) -> Received:
        """The first message at index >= ``start`` of ``received`` that matches."""
        index = start
        try:
            async with asyncio.timeout(timeout):
                while True:
                    while index < len(self.received):
                        received = self.received[index]
                        index += 1
                        if predicate(received.message):
                            return received
                    if self.closed.is_set():
                        raise AssertionError(
                            f"connection closed ({self.close_code}) while waiting for {what}"
                        )
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            seen = [r.message["type"] for r in self.received[start:]][-30:]
            raise AssertionError(f"no {what} within {timeout} s; last types: {seen}") from None

    async def wait_type(
        self, kind: str, model_id: str | None = None, *, start: int = 0, timeout: float = 30.0
    ) -> dict[str, Any]:
        received = await self.wait_for(
            lambda m: m["type"] == kind and (model_id is None or m.get("model_id") == model_id),
            start=start,
            timeout=timeout,
            what=f"{kind} message",
        )
        return received.message

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        await self.connection.send(json.dumps(message) if isinstance(message, dict) else message)

    async def _read(self) -> None:
        try:
            async for text in self.connection:
                self.received.append(Received(time.monotonic(), time.time(), json.loads(text)))
                self._arrived.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.connection.close_code
            self.closed.set()
            self._arrived.set()

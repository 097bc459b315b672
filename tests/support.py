"""Helpers shared by API and end-to-end tests (plain functions, no fixtures)."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

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

    def __init__(self, env: dict[str, str], cwd: Path, log: Path, port: int | None = None) -> None:
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
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
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

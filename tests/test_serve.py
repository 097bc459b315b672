"""End to end through a real ``modelbeacon serve`` process on a free loopback port."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import IRIS_ROWS

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A ``modelbeacon serve`` child we started, stopped by its own PID."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.port = free_port()
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


@pytest.fixture
def server_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELBEACON_")}
    env.update(
        MODELBEACON_DATABASE_URL=database_url,
        MODELBEACON_ARTIFACT_DIR=str(tmp_path / "artifacts"),
    )
    return env


@pytest.fixture
def start_server(server_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        server = ServerProcess(server_env, tmp_path, tmp_path / "server.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL)


def _live_numbers(url: str, model_id: str) -> dict[str, Any]:
    metrics = httpx.get(f"{url}/api/models/{model_id}/metrics/realtime").json()
    return {
        k: metrics[k]
        for k in (
            "total_predictions",
            "predictions_per_minute",
            "current_accuracy",
            "accuracy_window",
            "estimated_accuracy",
            "latency_ms",
            "error_rate",
            "drift_score",
            "model_health",
            "status",
        )
    }


def test_serve_keeps_every_live_number_across_a_restart(start_server: Any) -> None:
    server = start_server()
    job = httpx.post(
        f"{server.url}/api/models/train",
        json={"name": "iris-lr", "dataset": "iris", "algorithm": "logistic_regression"},
    ).json()
    deadline = time.monotonic() + 120
    while httpx.get(f"{server.url}/api/training/{job['job_id']}").json()["state"] != "completed":
        assert time.monotonic() < deadline, "training did not finish"
        time.sleep(0.2)
    model_id = job["model_id"]
    assert httpx.post(f"{server.url}/api/models/{model_id}/deploy").status_code == 200

    rng = random.Random(3)
    with httpx.Client(base_url=server.url) as client:
        made = []
        for i in range(300):
            features, truth = rng.choice(IRIS_ROWS)
            noisy = [v + rng.gauss(0, 0.7) for v in features]
            inline = truth if i % 3 == 0 else None
            response = client.post("/api/predict", json={"features": noisy, "label": inline})
            assert response.status_code == 200, response.text
            made.append((response.json()["prediction_id"], truth, inline))
        for prediction_id, truth, inline in made:
            if inline is None:
                client.post(f"/api/predictions/{prediction_id}/feedback", json={"label": truth})

    before = _live_numbers(server.url, model_id)
    assert before["total_predictions"] == 300 and before["accuracy_window"] == 100
    assert server.stop() == 0, "SIGTERM must flush and exit 0"

    restarted = start_server()
    after = _live_numbers(restarted.url, model_id)
    assert after == before
    models = httpx.get(f"{restarted.url}/api/models").json()
    assert [m["status"] for m in models] == [before["status"]]
    history = httpx.get(
        f"{restarted.url}/api/models/{model_id}/predictions", params={"limit": 1000}
    ).json()["predictions"]
    assert len(history) == 300 and all(h["label"] is not None for h in history)
    assert restarted.stop(signal.SIGINT) == 0

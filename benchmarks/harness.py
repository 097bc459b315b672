"""What the end-to-end benchmarks share: a real server, an iris model on it, timing helpers.

The benchmarks run as scripts (``.venv/bin/python benchmarks/bench_x.py``), so ``benchmarks/``
is ``sys.path[0]`` and they import this module as ``harness``.

``running_server`` starts ``python -m modelbeacon serve`` on a free loopback port with a fresh
SQLite database and artifact folder in a temporary directory (every other ``MODELBEACON_*``
variable is dropped, and the server runs in that directory so no ``.env`` is read), and stops it
by its PID with SIGTERM (SIGKILL only if it has not exited after 15 s), reporting its exit code.
``setup_model`` waits until it is healthy, then trains and deploys an iris logistic regression
through the REST API. ``summary`` gives nearest-rank percentiles, as the server computes its own.
"""

from __future__ import annotations

import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from modelbeacon.metrics.latency import nearest_rank

HOST = "127.0.0.1"
STOP_TIMEOUT = 15.0
STARTUP_TIMEOUT = 60.0
TRAIN_TIMEOUT = 120.0
SERVER_DESCRIPTION = "python -m modelbeacon serve (uvicorn, SQLite, log_level info)"
IRIS_MODEL: Mapping[str, str] = {"dataset": "iris", "algorithm": "logistic_regression"}
"""The model every benchmark trains (``POST /api/models/train`` body, without its name)."""

# Per-class means and spreads of the four iris features (sepal length, sepal width, petal
# length, petal width), so requests look like real iris rows of every class.
IRIS_CLASSES = (
    ((5.0, 3.4, 1.5, 0.2), (0.35, 0.38, 0.17, 0.1)),
    ((5.9, 2.8, 4.3, 1.3), (0.52, 0.31, 0.47, 0.2)),
    ((6.6, 3.0, 5.6, 2.0), (0.64, 0.32, 0.55, 0.27)),
)


class BenchError(RuntimeError):
    """The server (or a page) did not come up, or an API call in the setup failed."""


@dataclass
class Deadline:
    """One time budget for the whole run (``--max-seconds``)."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        """Seconds of the budget left (negative once it has run out)."""
        return self.seconds - (time.monotonic() - self.started)

    def expired(self) -> bool:
        """Whether the budget has run out."""
        return self.remaining() <= 0

    def bound(self, seconds: float) -> float:
        """``seconds``, or less if the budget has less left (never below zero)."""
        return max(0.0, min(seconds, self.remaining()))


def iris_rows(count: int, seed: int) -> list[list[float]]:
    """``count`` plausible iris feature rows, of classes drawn at random, reproducible by seed."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        means, spreads = IRIS_CLASSES[rng.randrange(len(IRIS_CLASSES))]
        rows.append(
            [round(max(0.1, rng.gauss(m, s)), 1) for m, s in zip(means, spreads, strict=True)]
        )
    return rows


def summary(values_ms: Sequence[float], *, extremes: bool = False) -> dict[str, Any]:
    """n, mean and nearest-rank p50/p95/p99 of ``values_ms``, with ``min`` and ``max`` too when
    ``extremes`` (every figure ``None`` when there are no values)."""
    keys = (
        ("mean", "min", "p50", "p95", "p99", "max") if extremes else ("mean", "p50", "p95", "p99")
    )
    if not values_ms:
        return {"n": 0} | dict.fromkeys(keys, None)
    ordered = sorted(values_ms)
    figures = {
        "mean": statistics.fmean(ordered),
        "min": ordered[0],
        "p50": nearest_rank(ordered, 50),
        "p95": nearest_rank(ordered, 95),
        "p99": nearest_rank(ordered, 99),
        "max": ordered[-1],
    }
    return {"n": len(ordered)} | {key: figures[key] for key in keys}


def fmt(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``, or ``-`` when there is none."""
    return "-" if value is None else format(value, spec)


def source_version() -> dict[str, Any]:
    """The commit measured and whether the working tree differed from it."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    changes = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": None if changes is None else changes != ""}


def platform_report() -> dict[str, Any]:
    """The interpreter and machine a run measured on: the first entries of every report."""
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def free_port() -> int:
    """A port the kernel just handed out on loopback (free unless someone races us)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(workdir: Path, settings: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any ``MODELBEACON_*`` variable, plus a database and
    an artifact folder in ``workdir`` and then ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELBEACON_")}
    env["MODELBEACON_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    env["MODELBEACON_ARTIFACT_DIR"] = str(workdir / "artifacts")
    env.update(settings or {})
    return env


def log_tail(log_path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of the server's log."""
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


@dataclass
class Server:
    """A ``modelbeacon serve`` subprocess started by ``running_server``."""

    process: subprocess.Popen[bytes]
    port: int
    workdir: Path
    log_path: Path
    stopped: dict[str, Any] | None = None
    """What ``stop`` reported, once ``running_server`` has stopped it."""

    @property
    def base_url(self) -> str:
        """``http://`` URL of the server."""
        return f"http://{HOST}:{self.port}"


def stop(server: subprocess.Popen[bytes]) -> dict[str, Any]:
    """SIGTERM by PID, wait up to 15 s, SIGKILL only if it is still running."""
    started = time.monotonic()
    killed = False
    if server.poll() is None:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            killed = True
    return {
        "pid": server.pid,
        "exit_code": server.returncode,
        "killed": killed,
        "stop_seconds": time.monotonic() - started,
    }


@contextmanager
def running_server(
    settings: Mapping[str, str] | None = None, *, prefix: str = "modelbeacon-bench-"
) -> Iterator[Server]:
    """Run the server on a free loopback port in a temporary directory named ``prefix...``,
    with ``settings`` added to its environment, for the ``with`` block.

    If the block raises, the tail of the server log goes to stderr. Either way the server is
    then stopped (``stop``), which is printed and left in ``Server.stopped``.
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        log_path = workdir / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "modelbeacon", "serve", "--host", HOST, "--port", str(port)],
                cwd=workdir,
                env=server_env(workdir, settings),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(process=process, port=port, workdir=workdir, log_path=log_path)
        print(f"server pid {process.pid} on {server.base_url}, workdir {workdir}")
        try:
            yield server
        except BaseException:
            print(log_tail(log_path), file=sys.stderr)
            raise
        finally:
            server.stopped = stopped = stop(process)
            how = "SIGKILL after SIGTERM timed out" if stopped["killed"] else "SIGTERM"
            print(
                f"server pid {stopped['pid']} stopped by {how} in "
                f"{stopped['stop_seconds']:.2f} s, exit code {stopped['exit_code']}"
            )


def expect(response: httpx.Response, status: int, what: str) -> Any:
    """The JSON body of ``response``; ``BenchError`` unless its status is ``status``."""
    if response.status_code != status:
        raise BenchError(
            f"{what}: expected {status}, got {response.status_code}: {response.text[:500]}"
        )
    return response.json()


def wait_healthy(client: httpx.Client, server: Server, deadline: Deadline) -> float:
    """Poll ``GET /api/health`` until 200; the seconds it took."""
    started = time.monotonic()
    limit = deadline.bound(STARTUP_TIMEOUT)
    while time.monotonic() - started < limit:
        if server.process.poll() is not None:
            raise BenchError(
                f"server exited with {server.process.returncode}:\n{log_tail(server.log_path)}"
            )
        try:
            if client.get("/api/health", timeout=2.0).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise BenchError(f"server not healthy after {limit:.0f} s:\n{log_tail(server.log_path)}")


def train_and_deploy(client: httpx.Client, deadline: Deadline) -> tuple[str, float]:
    """Train and deploy the iris model; its id and the seconds training took."""
    started = time.monotonic()
    accepted = expect(
        client.post("/api/models/train", json={"name": "bench", **IRIS_MODEL}),
        202,
        "POST /api/models/train",
    )
    job_id, model_id = accepted["job_id"], accepted["model_id"]
    limit = deadline.bound(TRAIN_TIMEOUT)
    while True:
        job = expect(client.get(f"/api/training/{job_id}"), 200, "GET /api/training/{job_id}")
        if job["state"] == "completed":
            break
        if job["state"] == "failed":
            raise BenchError(f"training failed: {job['error']}")
        if time.monotonic() - started > limit:
            raise BenchError(f"training not completed after {limit:.0f} s: {job}")
        time.sleep(0.1)
    trained = time.monotonic() - started
    expect(client.post(f"/api/models/{model_id}/deploy"), 200, "POST /api/models/{id}/deploy")
    return str(model_id), trained


def setup_model(
    client: httpx.Client, server: Server, deadline: Deadline, report: dict[str, Any]
) -> str:
    """Wait until ``server`` is healthy, then train and deploy the iris model; its id.

    ``report`` gets ``startup_seconds``, ``training_seconds`` and the id as ``model.id``.
    """
    report["startup_seconds"] = wait_healthy(client, server, deadline)
    model_id, report["training_seconds"] = train_and_deploy(client, deadline)
    report.setdefault("model", dict(IRIS_MODEL))["id"] = model_id
    return model_id


def finish(report: dict[str, Any], out: Path) -> int:
    """Write ``report`` as JSON to ``out``; the exit status: 1 if the server did not exit 0."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    if report["server_stop"]["exit_code"] != 0:
        print("the server did not exit 0", file=sys.stderr)
        return 1
    return 0

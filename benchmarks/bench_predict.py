"""Latency of ``POST /api/predict`` through a real uvicorn server on loopback.

Run: ``.venv/bin/python benchmarks/bench_predict.py [--requests N] [--concurrency C]
[--concurrent-requests N] [--max-seconds S] [--out FILE]``.

Starts ``python -m modelbeacon serve`` on a free loopback port with a fresh SQLite database and
artifact folder in a temporary directory (every other ``MODELBEACON_*`` variable is dropped,
and the server runs in that directory so no ``.env`` is read), trains and deploys an iris
logistic regression through the API, then measures:

- sequential: ``--requests`` predictions with one keep-alive ``httpx.Client``, each timed
  client-side (``perf_counter`` round trip) next to the ``latency_ms`` the server reports
  (the model call alone; see ``services/prediction.py``); ``GET /api/health`` round trips are
  interleaved with them on the same connection as a floor (no model call, but a database
  ping in a worker thread);
- concurrent: ``--concurrent-requests`` predictions from ``--concurrency`` ``httpx.AsyncClient``
  clients at once: throughput and round-trip percentiles.

Percentiles are nearest-rank, as the server computes its own. The client runs on the same
machine as the server and competes with it for CPU, so the figures are an upper bound on what
the server alone costs. Everything is bounded by ``--max-seconds``: a phase that runs out of
time stops early and says so. The server is stopped by its PID with SIGTERM (SIGKILL only if it
has not exited after 15 s) and its exit code is reported; a non-zero one fails the run. Results
go to ``benchmarks/results/predict.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from modelbeacon.metrics.latency import nearest_rank

RESULTS = Path(__file__).resolve().parent / "results" / "predict.json"
HOST = "127.0.0.1"
STOP_TIMEOUT = 15.0
STARTUP_TIMEOUT = 60.0
TRAIN_TIMEOUT = 120.0
WARMUP = 50

# Per-class means and spreads of the four iris features (sepal length, sepal width, petal
# length, petal width), so requests look like real iris rows of every class.
IRIS_CLASSES = (
    ((5.0, 3.4, 1.5, 0.2), (0.35, 0.38, 0.17, 0.1)),
    ((5.9, 2.8, 4.3, 1.3), (0.52, 0.31, 0.47, 0.2)),
    ((6.6, 3.0, 5.6, 2.0), (0.64, 0.32, 0.55, 0.27)),
)


class BenchError(RuntimeError):
    """The server did not come up, or an API call in the setup failed."""


@dataclass
class Deadline:
    """One time budget for the whole run (``--max-seconds``)."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def expired(self) -> bool:
        return self.remaining() <= 0


def iris_rows(count: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        means, spreads = IRIS_CLASSES[rng.randrange(len(IRIS_CLASSES))]
        rows.append(
            [round(max(0.1, rng.gauss(m, s)), 1) for m, s in zip(means, spreads, strict=True)]
        )
    return rows


def summary(values_ms: Sequence[float]) -> dict[str, Any]:
    """n, mean and nearest-rank p50/p95/p99 of ``values_ms`` (all ``None`` when empty)."""
    if not values_ms:
        return {"n": 0, "mean": None, "p50": None, "p95": None, "p99": None}
    ordered = sorted(values_ms)
    return {
        "n": len(ordered),
        "mean": statistics.fmean(ordered),
        "p50": nearest_rank(ordered, 50),
        "p95": nearest_rank(ordered, 95),
        "p99": nearest_rank(ordered, 99),
    }


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


def free_port() -> int:
    """A port the kernel just handed out on loopback (free unless someone races us)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELBEACON_")}
    env["MODELBEACON_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    env["MODELBEACON_ARTIFACT_DIR"] = str(workdir / "artifacts")
    return env


def log_tail(log_path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise BenchError(
            f"{what}: expected {status}, got {response.status_code}: {response.text[:500]}"
        )
    return response.json()


def wait_healthy(
    client: httpx.Client, server: subprocess.Popen[bytes], deadline: Deadline, log: Path
) -> float:
    """Poll ``GET /api/health`` until 200; the seconds it took."""
    started = time.monotonic()
    limit = min(STARTUP_TIMEOUT, max(deadline.remaining(), 0.0))
    while time.monotonic() - started < limit:
        if server.poll() is not None:
            raise BenchError(f"server exited with {server.returncode}:\n{log_tail(log)}")
        try:
            if client.get("/api/health", timeout=2.0).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise BenchError(f"server not healthy after {limit:.0f} s:\n{log_tail(log)}")


def train_and_deploy(client: httpx.Client, deadline: Deadline) -> tuple[str, float]:
    """Train and deploy the iris model; its id and the seconds training took."""
    started = time.monotonic()
    accepted = expect(
        client.post(
            "/api/models/train",
            json={"name": "bench", "dataset": "iris", "algorithm": "logistic_regression"},
        ),
        202,
        "POST /api/models/train",
    )
    job_id, model_id = accepted["job_id"], accepted["model_id"]
    limit = min(TRAIN_TIMEOUT, max(deadline.remaining(), 0.0))
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


def sequential(client: httpx.Client, rows: list[list[float]], deadline: Deadline) -> dict[str, Any]:
    """Predict and health round trips, interleaved one for one on one connection."""
    for row in rows[:WARMUP]:
        expect(client.post("/api/predict", json={"features": row}), 200, "warm-up predict")
        expect(client.get("/api/health"), 200, "warm-up health")
    predict_rtt: list[float] = []
    model_ms: list[float] = []
    non_model: list[float] = []
    health_rtt: list[float] = []
    failures = 0
    stopped_early = False
    post, get, clock = client.post, client.get, time.perf_counter
    for row in rows[WARMUP:]:
        if deadline.expired():
            stopped_early = True
            break
        started = clock()
        response = post("/api/predict", json={"features": row})
        elapsed = (clock() - started) * 1000.0
        if response.status_code == 200:
            reported = float(response.json()["latency_ms"])
            predict_rtt.append(elapsed)
            model_ms.append(reported)
            non_model.append(elapsed - reported)
        else:
            failures += 1
        started = clock()
        response = get("/api/health")
        elapsed = (clock() - started) * 1000.0
        if response.status_code == 200:
            health_rtt.append(elapsed)
        else:
            failures += 1
    return {
        "requested": len(rows) - WARMUP,
        "stopped_early": stopped_early,
        "failures": failures,
        "predict_round_trip_ms": summary(predict_rtt),
        "predict_server_latency_ms": summary(model_ms),
        "predict_round_trip_minus_latency_ms": summary(non_model),
        "health_round_trip_ms": summary(health_rtt),
    }


async def concurrent(
    base_url: str, rows: list[list[float]], concurrency: int, deadline: Deadline
) -> dict[str, Any]:
    """``len(rows)`` predictions shared among ``concurrency`` clients sending at once."""
    round_trips: list[float] = []
    failures = 0
    next_row = 0
    stopped_early = False
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0)
        for _ in range(concurrency)
    ]

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_row, failures, stopped_early
        clock = time.perf_counter
        while next_row < len(rows):
            if deadline.expired():
                stopped_early = True
                return
            row = rows[next_row]
            next_row += 1
            started = clock()
            response = await client.post("/api/predict", json={"features": row})
            elapsed = (clock() - started) * 1000.0
            if response.status_code == 200:
                round_trips.append(elapsed)
            else:
                failures += 1

    try:
        # One untimed request per client opens its connection.
        await asyncio.gather(*(c.post("/api/predict", json={"features": rows[0]}) for c in clients))
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        wall = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return {
        "requested": len(rows),
        "concurrency": concurrency,
        "stopped_early": stopped_early,
        "failures": failures,
        "wall_seconds": wall,
        "throughput_rps": len(round_trips) / wall if wall > 0 else None,
        "round_trip_ms": summary(round_trips),
    }


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


def fmt(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(seq: dict[str, Any], conc: dict[str, Any]) -> None:
    print(f"{'measurement (ms)':<46} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'req/s':>8}")
    rows = [
        ("predict, sequential: round trip", seq["predict_round_trip_ms"], None),
        ("predict, sequential: server latency_ms", seq["predict_server_latency_ms"], None),
        (
            "predict, sequential: round trip - latency_ms",
            seq["predict_round_trip_minus_latency_ms"],
            None,
        ),
        ("health (floor), sequential: round trip", seq["health_round_trip_ms"], None),
        (
            f"predict, {conc['concurrency']} concurrent: round trip",
            conc["round_trip_ms"],
            conc["throughput_rps"],
        ),
    ]
    for name, stats, rate in rows:
        print(
            f"{name:<46} {stats['n']:>6} {fmt(stats['p50']):>8} {fmt(stats['p95']):>8} "
            f"{fmt(stats['p99']):>8} {fmt(rate, '.0f') if rate is not None else '':>8}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--requests", type=int, default=2000, help="sequential predictions")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument(
        "--concurrent-requests", type=int, default=2000, help="predictions in the concurrent run"
    )
    parser.add_argument("--max-seconds", type=float, default=120.0, help="time budget of a run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.concurrent_requests < 1:
        parser.error("--requests, --concurrency and --concurrent-requests must be >= 1")

    deadline = Deadline(args.max_seconds)
    rows = iris_rows(args.requests + WARMUP, args.seed)
    concurrent_rows = iris_rows(args.concurrent_requests, args.seed + 1)
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "server": "python -m modelbeacon serve (uvicorn, SQLite, log_level info)",
        "model": {"dataset": "iris", "algorithm": "logistic_regression"},
        "warmup_requests": WARMUP,
        "max_seconds": args.max_seconds,
        "source": source_version(),
    }
    with tempfile.TemporaryDirectory(prefix="modelbeacon-bench-") as tmp:
        workdir = Path(tmp)
        log_path = workdir / "server.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "modelbeacon", "serve", "--host", HOST, "--port", str(port)],
                cwd=workdir,
                env=server_env(workdir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        print(f"server pid {server.pid} on {base_url}, workdir {workdir}")
        try:
            with httpx.Client(base_url=base_url, timeout=30.0) as client:
                report["startup_seconds"] = wait_healthy(client, server, deadline, log_path)
                model_id, report["training_seconds"] = train_and_deploy(client, deadline)
                report["model"]["id"] = model_id
                seq = sequential(client, rows, deadline)
            conc = asyncio.run(concurrent(base_url, concurrent_rows, args.concurrency, deadline))
        except BaseException:
            print(log_tail(log_path), file=sys.stderr)
            raise
        finally:
            report["server_stop"] = stop(server)
            stopped = report["server_stop"]
            how = "SIGKILL after SIGTERM timed out" if stopped["killed"] else "SIGTERM"
            print(
                f"server pid {stopped['pid']} stopped by {how} in "
                f"{stopped['stop_seconds']:.2f} s, exit code {stopped['exit_code']}"
            )

    report["sequential"] = seq
    report["concurrent"] = conc
    predict_p50 = seq["predict_round_trip_ms"]["p50"]
    health_p50 = seq["health_round_trip_ms"]["p50"]
    ratio = predict_p50 / health_p50 if predict_p50 and health_p50 else None
    report["predict_p50_over_health_p50"] = ratio
    report["elapsed_seconds"] = time.monotonic() - deadline.started

    print_table(seq, conc)
    print(f"predict p50 / health p50 (round trip): {fmt(ratio, '.2f')}")
    for name, phase in (("sequential", seq), ("concurrent", conc)):
        if phase["stopped_early"] or phase["failures"]:
            print(
                f"{name}: stopped early={phase['stopped_early']}, "
                f"non-200 responses={phase['failures']}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    if report["server_stop"]["exit_code"] != 0:
        print("the server did not exit 0", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

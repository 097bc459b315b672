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
import time
from pathlib import Path
from typing import Any

import httpx
from harness import (
    IRIS_MODEL,
    SERVER_DESCRIPTION,
    Deadline,
    expect,
    finish,
    fmt,
    iris_rows,
    platform_report,
    running_server,
    setup_model,
    source_version,
    summary,
)

RESULTS = Path(__file__).resolve().parent / "results" / "predict.json"
WARMUP = 50


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
            f"{name:<46} {stats['n']:>6} {fmt(stats['p50'], '.3f'):>8} "
            f"{fmt(stats['p95'], '.3f'):>8} {fmt(stats['p99'], '.3f'):>8} "
            f"{fmt(rate, '.0f') if rate is not None else '':>8}"
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
    report: dict[str, Any] = {
        **platform_report(),
        "server": SERVER_DESCRIPTION,
        "model": {**IRIS_MODEL},
        "warmup_requests": WARMUP,
        "max_seconds": args.max_seconds,
        "source": source_version(),
    }
    with running_server() as server:
        with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
            setup_model(client, server, deadline, report)
            seq = sequential(client, rows, deadline)
        conc = asyncio.run(concurrent(server.base_url, concurrent_rows, args.concurrency, deadline))
    report["server_stop"] = server.stopped

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
    return finish(report, args.out)


if __name__ == "__main__":
    raise SystemExit(main())

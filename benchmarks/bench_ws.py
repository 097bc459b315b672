"""Live push figures of ``/ws`` through a real uvicorn server on loopback.

Run: ``.venv/bin/python benchmarks/bench_ws.py [--predictions N] [--rate R] [--clients C]
[--seconds S] [--max-seconds T] [--out FILE]``.

Starts ``python -m modelbeacon serve`` on a free loopback port (fresh SQLite database and
artifact folder in a temporary directory, every other ``MODELBEACON_*`` variable dropped) with
``PREDICTION_INTERVAL=0.1`` and ``METRICS_INTERVAL=0.5``, trains and deploys an iris logistic
regression through the API, then measures:

- delay: ``--predictions`` predictions paced at ``--rate``/s from one ``httpx.AsyncClient``
  while one ``websockets`` client reads ``/ws``; for each prediction, the time from its HTTP
  response arriving at the client to the ``prediction_logged`` message that carries its
  ``prediction_id`` arriving (both ``perf_counter`` in the same process). A negative delay
  means the push overtook the HTTP response. Predictions no message carried are counted.
- fan-out: ``--clients`` ``websockets`` clients connected at once (one asyncio loop) while a
  steady stream of ``--rate`` predictions/s runs for ``--seconds``: messages/s received in
  total, per client and per type, how far behind the server's ``timestamp`` they arrived
  (wall clock, same machine), whether any client was closed, and the hub's own counters
  (``pipeline.websocket`` of ``GET /api/monitoring/system``) and the server's CPU use.

Every client runs in this one process on the same 2-core machine as the server, so the figures
include the client's own scheduling delays: they are an upper bound on what the server adds.
Everything is bounded by ``--max-seconds``. The server is stopped by its PID (SIGTERM; SIGKILL
only if it has not exited after 15 s) and its exit code reported; a non-zero one fails the
run. Results go to ``benchmarks/results/ws.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from harness import (
    HOST,
    IRIS_MODEL,
    SERVER_DESCRIPTION,
    Deadline,
    finish,
    fmt,
    iris_rows,
    platform_report,
    running_server,
    setup_model,
    source_version,
    summary,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

RESULTS = Path(__file__).resolve().parent / "results" / "ws.json"
SETTINGS = {
    "MODELBEACON_PREDICTION_INTERVAL": "0.1",
    "MODELBEACON_METRICS_INTERVAL": "0.5",
    "MODELBEACON_SYSTEM_INTERVAL": "5",
}
TAIL_SECONDS = 2.0
"""How long to keep reading after the last prediction, for its ``prediction_logged``."""


def sent_at(message: dict[str, Any]) -> float:
    """The server's ``timestamp`` of a message as unix seconds."""
    return datetime.fromisoformat(message["timestamp"]).timestamp()


async def open_client(url: str) -> ClientConnection:
    return await connect(url, open_timeout=60, max_size=None, max_queue=None)


async def paced_predictions(
    client: httpx.AsyncClient, rows: list[list[float]], rate: float, deadline: Deadline
) -> tuple[dict[str, float], int, bool]:
    """POST ``rows`` at ``rate``/s on an absolute schedule: prediction_id -> perf_counter when
    the response arrived, the number of non-200 responses, and whether time ran out."""
    answered: dict[str, float] = {}
    failures = 0
    started = time.perf_counter()
    for i, row in enumerate(rows):
        if deadline.expired():
            return answered, failures, True
        wait = started + i / rate - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        response = await client.post("/api/predict", json={"features": row})
        arrived = time.perf_counter()
        if response.status_code == 200:
            answered[response.json()["prediction_id"]] = arrived
        else:
            failures += 1
    return answered, failures, False


async def prediction_delay(
    base_url: str, ws_url: str, rows: list[list[float]], rate: float, deadline: Deadline
) -> dict[str, Any]:
    """HTTP response -> ``prediction_logged`` carrying that prediction, one WebSocket client."""
    carried: dict[str, float] = {}
    batches: list[int] = []
    ws = await open_client(ws_url)
    try:
        first = json.loads(await ws.recv())
        assert first["type"] == "snapshot", first["type"]

        async def read() -> None:
            async for text in ws:
                arrived = time.perf_counter()
                message = json.loads(text)
                if message["type"] == "prediction_logged":
                    batches.append(message["count"])
                    for item in message["predictions"]:
                        carried.setdefault(item["prediction_id"], arrived)

        reader = asyncio.create_task(read())
        async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:
            answered, failures, stopped_early = await paced_predictions(
                client, rows, rate, deadline
            )
        tail_end = time.monotonic() + TAIL_SECONDS
        while time.monotonic() < tail_end and not set(answered) <= set(carried):
            await asyncio.sleep(0.05)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    finally:
        await ws.close()
    delays = [(carried[pid] - at) * 1000.0 for pid, at in answered.items() if pid in carried]
    return {
        "predictions": len(rows),
        "rate_per_second": rate,
        "answered": len(answered),
        "failures": failures,
        "stopped_early": stopped_early,
        "carried": len(delays),
        "not_carried": len(answered) - len(delays),
        "overtook_http_response": sum(1 for d in delays if d < 0),
        "prediction_logged_messages": len(batches),
        "mean_count_per_message": sum(batches) / len(batches) if batches else None,
        "delay_ms": {**summary(delays), "min": min(delays, default=None)},
    }


async def fan_out(
    base_url: str,
    ws_url: str,
    server: psutil.Process,
    n: int,
    seconds: float,
    rate: float,
    rows: list[list[float]],
    deadline: Deadline,
) -> dict[str, Any]:
    """``n`` clients reading at once while predictions stream at ``rate``/s for ``seconds``."""
    window = [float("inf"), float("-inf")]  # perf_counter bounds of the measured window
    per_client = [0] * n
    per_type: Counter[str] = Counter()
    lags_ms: list[float] = []
    snapshots = 0
    ended = [False] * n

    async def read(index: int, ws: ClientConnection) -> None:
        nonlocal snapshots
        try:
            async for text in ws:
                arrived, wall = time.perf_counter(), time.time()
                message = json.loads(text)
                if message["type"] == "snapshot":
                    snapshots += 1
                if window[0] <= arrived <= window[1]:
                    per_client[index] += 1
                    per_type[message["type"]] += 1
                    lags_ms.append((wall - sent_at(message)) * 1000.0)
        except ConnectionClosed:
            pass
        ended[index] = True

    started_connecting = time.perf_counter()
    connections = await asyncio.gather(*(open_client(ws_url) for _ in range(n)))
    readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(connections)]
    try:
        connect_seconds = time.perf_counter() - started_connecting
        limit = time.monotonic() + 60
        while snapshots < n and time.monotonic() < limit:
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:
            before = (await client.get("/api/monitoring/system")).json()["pipeline"]["websocket"]
            cpu_before = server.cpu_times()
            window[0] = time.perf_counter()
            window[1] = window[0] + seconds
            stream = rows[: int(seconds * rate)]
            _, failures, stopped_early = await paced_predictions(client, stream, rate, deadline)
            remaining = window[1] - time.perf_counter()
            if remaining > 0:
                await asyncio.sleep(remaining)
            window[1] = min(window[1], time.perf_counter())
            measured = window[1] - window[0]
            cpu_after = server.cpu_times()
            after = (await client.get("/api/monitoring/system")).json()["pipeline"]["websocket"]
        closed_by_server = sum(ended)  # before our own closes below end every reader
    finally:
        await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    total = sum(per_client)
    cpu_seconds = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    rates = [c / measured for c in per_client]
    return {
        "clients": n,
        "seconds": measured,
        "prediction_rate_per_second": rate,
        "predictions_failed": failures,
        "stopped_early": stopped_early,
        "connect_all_seconds": connect_seconds,
        "snapshots_received": snapshots,
        "messages_received": total,
        "messages_per_second_total": total / measured,
        "messages_per_second_per_client": {**summary(rates), "min": min(rates)},
        "messages_per_second_by_type_per_client": {
            k: round(v / measured / n, 3) for k, v in sorted(per_type.items())
        },
        "lag_behind_server_timestamp_ms": summary(lags_ms),
        "clients_closed_during_run": closed_by_server,
        "server_cpu_percent_of_one_core": 100.0 * cpu_seconds / measured,
        "hub": {
            key: after[key] - before[key]
            for key in (
                "coalesced",
                "dropped",
                "clients_dropped_slow",
                "clients_dropped_overflow",
            )
        }
        | {"queue_depth_max_at_end": after["queue_depth_max"]},
    }


def print_report(delay: dict[str, Any], fan: dict[str, Any]) -> None:
    d = delay["delay_ms"]
    print(
        f"prediction -> prediction_logged delay (ms), n={d['n']}: p50 {fmt(d['p50'], '.3f')}  "
        f"p95 {fmt(d['p95'], '.3f')}  p99 {fmt(d['p99'], '.3f')}  min {fmt(d['min'], '.3f')}  "
        f"(not carried: {delay['not_carried']}, push before HTTP response: "
        f"{delay['overtook_http_response']})"
    )
    per = fan["messages_per_second_per_client"]
    lag = fan["lag_behind_server_timestamp_ms"]
    print(
        f"{fan['clients']} clients for {fan['seconds']:.1f} s: "
        f"{fan['messages_per_second_total']:.0f} messages/s in total, per client p50 "
        f"{fmt(per['p50'], '.2f')} (min over clients {fmt(per['min'], '.2f')}); "
        f"lag behind server timestamp p50 {fmt(lag['p50'], '.1f')} ms, p99 "
        f"{fmt(lag['p99'], '.1f')} ms; closed during run: {fan['clients_closed_during_run']}; "
        f"hub: {fan['hub']}; server CPU {fan['server_cpu_percent_of_one_core']:.0f}% of a core"
    )
    print(f"per client per type (messages/s): {fan['messages_per_second_by_type_per_client']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--predictions", type=int, default=500, help="predictions for the delay")
    parser.add_argument("--rate", type=float, default=20.0, help="predictions per second")
    parser.add_argument("--clients", type=int, default=200, help="clients in the fan-out run")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the fan-out run")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="time budget of a run")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if min(args.predictions, args.clients) < 1 or min(args.rate, args.seconds) <= 0:
        parser.error("--predictions, --clients, --rate and --seconds must be positive")

    deadline = Deadline(args.max_seconds)
    rows = iris_rows(args.predictions + int(args.seconds * args.rate), args.seed)
    report: dict[str, Any] = {
        **platform_report(),
        "server": SERVER_DESCRIPTION,
        "settings": SETTINGS,
        "model": {**IRIS_MODEL},
        "max_seconds": args.max_seconds,
        "source": source_version(),
    }
    with running_server(SETTINGS, prefix="modelbeacon-bench-ws-") as server:
        base_url, ws_url = server.base_url, f"ws://{HOST}:{server.port}/ws"
        with httpx.Client(base_url=base_url, timeout=30.0) as client:
            setup_model(client, server, deadline, report)
        delay = asyncio.run(
            prediction_delay(base_url, ws_url, rows[: args.predictions], args.rate, deadline)
        )
        fan = asyncio.run(
            fan_out(
                base_url,
                ws_url,
                psutil.Process(server.process.pid),
                args.clients,
                args.seconds,
                args.rate,
                rows[args.predictions :],
                deadline,
            )
        )
    report["server_stop"] = server.stopped

    report["prediction_logged_delay"] = delay
    report["fan_out"] = fan
    report["elapsed_seconds"] = time.monotonic() - deadline.started
    print_report(delay, fan)
    return finish(report, args.out)


if __name__ == "__main__":
    raise SystemExit(main())

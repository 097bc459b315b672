"""Logging throughput of a model served elsewhere: raw REST batches, ``Client``, ``AsyncClient``
and batch labels, side by side against one real server.

Run: ``.venv/bin/python benchmarks/bench_logging.py [--batches N] [--small-batches N]
[--client-records M] [--feedback-labels L] [--database-url URL] [--max-seconds S]
[--out FILE]``.

Starts ``python -m modelbeacon serve`` with ``harness.running_server`` (a fresh SQLite database
in a temporary directory, or ``--database-url``, e.g. a PostgreSQL database made for the run::

    createdb -h 127.0.0.1 -U postgres mb_bench_logging
    .venv/bin/python benchmarks/bench_logging.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mb_bench_logging
    dropdb -h 127.0.0.1 -U postgres mb_bench_logging

), registers ``iris-elsewhere`` (``POST /api/models/register`` with ``reference_dataset``
iris) and logs iris-like records to it: four float features, a prediction, probabilities keyed
``"0"``, ``"1"``, ``"2"``, a ``latency_ms``, its own ``prediction_id`` (unique to the run, so a
database used before does not skip them) and a timestamp within the last ten minutes. Every
record is generated before its phase starts, so the timings hold no data generation:

1. raw REST: ``POST /api/models/{id}/predictions`` from one keep-alive ``httpx.Client``,
   sequentially, ``--batches`` bodies of 1000 records, then ``--small-batches`` of 100 (bodies
   JSON-encoded beforehand): records/s overall (phase wall time) and the median of each
   batch's records / round trip, the round trip's p50/p99, and its median by quarter of the
   phase (the database grows as it goes);
2. ``Client.log_prediction`` called ``--client-records`` times one at a time (the background
   thread batches, default options), then ``flush()``: records/s from the first call to
   flush's return, and what each ``log_prediction`` call itself costs the caller (p50/p99 µs,
   ``perf_counter_ns``; it encodes and queues the record), and how many calls took over 1 ms
   and how long they took in all (they waited for room: the queue holds 10 000 records, so
   past that the caller goes at the server's pace);
3. the same with ``AsyncClient`` from one asyncio task (``await log_prediction`` in a tight
   loop never yields to the sender task until the queue is full, so records leave in bursts);
4. ``POST /api/feedback`` with 1000 labels per call (the records of phase 1, labelled with
   the class they were drawn from): labels/s, round trip p50/p99, every status counted;
5. the first 1000-record batch sent again (it must log nothing), then ``GET /api/models/{id}``:
   ``total_predictions`` must equal the distinct records logged (nothing lost, nothing twice).

One warm-up batch of 1000 and one of 100 go first (counted in 5). The client runs on the same
machine as the server and competes with it for CPU. Everything is bounded by
``--max-seconds``: each phase gets a share of what is left and says when it stopped early.
The server is stopped by its PID (SIGTERM) and its exit code reported; a non-zero one, or a
failed check in 5, fails the run. Results go to ``benchmarks/results/logging.json``
(git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from harness import (
    IRIS_CLASSES,
    Deadline,
    expect,
    finish,
    fmt,
    platform_report,
    running_server,
    source_version,
    summary,
    wait_healthy,
)
from sqlalchemy.engine import make_url

from modelbeacon.client import (
    AsyncClient,
    Client,
    LogDeliveryError,
    LogOptions,
    LogQueueFullError,
)
from modelbeacon.clock import iso_utc

RESULTS = Path(__file__).resolve().parent / "results" / "logging.json"
BIG, SMALL = 1000, 100
SPREAD_SECONDS = 600.0
"""Timestamps are drawn within this many seconds before the phase's records are made."""
PHASES = 5
BLOCKED_NS = 1_000_000
"""A ``log_prediction`` call longer than this waited for room in a full queue (or the GIL)."""


@dataclass
class Record:
    """One logged prediction: the keyword arguments of ``log_prediction`` and its true class."""

    fields: dict[str, Any]
    true_class: int

    @property
    def prediction_id(self) -> str:
        prediction_id: str = self.fields["prediction_id"]
        return prediction_id

    def rest(self) -> dict[str, Any]:
        """The record as ``POST /api/models/{id}/predictions`` takes it (ISO timestamp)."""
        return {**self.fields, "timestamp": iso_utc(self.fields["timestamp"])}

    def feedback(self) -> dict[str, Any]:
        """The record's true class as an item of ``POST /api/feedback``."""
        return {"prediction_id": self.prediction_id, "label": self.true_class}


def make_records(prefix: str, count: int, rng: random.Random) -> list[Record]:
    """``count`` iris-like records with ids ``prefix-000000``..., right 90% of the time."""
    now = time.time()
    records = []
    for i in range(count):
        true_class = rng.randrange(len(IRIS_CLASSES))
        means, spreads = IRIS_CLASSES[true_class]
        features = [
            round(max(0.1, rng.gauss(m, s)), 1) for m, s in zip(means, spreads, strict=True)
        ]
        predicted = true_class if rng.random() < 0.9 else rng.choice([0, 1, 2])
        top = round(rng.uniform(0.5, 0.98), 4)
        second = round((1.0 - top) * rng.uniform(0.3, 0.9), 4)
        rest = [second, round(1.0 - top - second, 4)]
        probabilities = {
            str(c): top if c == predicted else rest.pop() for c in range(len(IRIS_CLASSES))
        }
        records.append(
            Record(
                {
                    "features": features,
                    "prediction": predicted,
                    "probabilities": probabilities,
                    "latency_ms": round(rng.lognormvariate(math.log(2.0), 0.5), 3),
                    "prediction_id": f"{prefix}-{i:06d}",
                    "timestamp": now - rng.uniform(0.0, SPREAD_SECONDS),
                },
                true_class,
            )
        )
    return records


def share(deadline: Deadline, parts: float) -> Deadline:
    """A budget of an even ``parts``-th of what is left of ``deadline``."""
    return Deadline(deadline.bound(deadline.remaining() / max(1.0, parts)))


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def rest_phase(
    client: httpx.Client,
    model_id: str,
    records: list[Record],
    size: int,
    budget: Deadline,
    logged_ids: set[str],
) -> dict[str, Any]:
    """Send ``records`` in bodies of ``size``, one after another; each round trip timed."""
    bodies = [
        (
            [r.prediction_id for r in batch],
            json.dumps({"records": [r.rest() for r in batch]}).encode(),
        )
        for batch in chunks(records, size)
    ]
    url = f"/api/models/{model_id}/predictions"
    headers = {"content-type": "application/json"}
    round_trips: list[float] = []
    rates: list[float] = []
    failures: list[str] = []
    sent = logged = 0
    clock = time.perf_counter
    started = clock()
    for ids, body in bodies:
        if budget.expired():
            break
        began = clock()
        response = client.post(url, content=body, headers=headers)
        elapsed = clock() - began
        if response.status_code != 201:
            failures.append(f"{response.status_code}: {response.text[:200]}")
            continue
        answer = response.json()
        sent += len(ids)
        logged += answer["logged"]
        logged_ids.update(answer["prediction_ids"])
        round_trips.append(elapsed * 1000.0)
        rates.append(len(ids) / elapsed)
    wall = clock() - started
    return {
        "records_per_call": size,
        "calls_planned": len(bodies),
        "calls": len(round_trips),
        "stopped_early": len(round_trips) + len(failures) < len(bodies),
        "failures": len(failures),
        "failure_examples": failures[:3],
        "records_sent": sent,
        "records_logged": logged,
        "body_bytes_mean": statistics.fmean(len(b) for _, b in bodies) if bodies else None,
        "wall_seconds": wall,
        "records_per_second": sent / wall if wall > 0 else None,
        "records_per_second_median_call": statistics.median(rates) if rates else None,
        "round_trip_ms": summary(round_trips, extremes=True),
        "round_trip_median_ms_by_quarter": by_quarter(round_trips),
    }


def by_quarter(values: Sequence[float]) -> list[float]:
    """The median of each quarter of ``values``, in order: how a phase changed as it went."""
    if len(values) < 4:
        return []
    return [statistics.median(part) for part in chunks(values, -(-len(values) // 4))]


def client_phase(
    url: str, model_id: str, records: list[Record], budget: Deadline, logged_ids: set[str]
) -> dict[str, Any]:
    """``Client.log_prediction`` for each record, then ``flush()``."""
    costs_ns: list[int] = []
    queued: list[str] = []
    queue_full = 0
    delivery: LogDeliveryError | None = None
    clock_ns, clock = time.perf_counter_ns, time.perf_counter
    with Client(url, timeout=60.0) as beacon:
        log = beacon.log_prediction
        started = clock()
        for record in records:
            if budget.expired():
                break
            began = clock_ns()
            try:
                queued.append(log(model_id, **record.fields))
            except LogQueueFullError:
                queue_full += 1
            costs_ns.append(clock_ns() - began)
        calls_done = clock()
        try:
            beacon.flush(timeout=max(30.0, budget.remaining()))
        except LogDeliveryError as exc:
            delivery = exc
        flushed = clock()
    return client_report(
        "Client (thread)",
        asdict(LogOptions()),
        records,
        queued,
        queue_full,
        costs_ns,
        delivery,
        (started, calls_done, flushed),
        logged_ids,
    )


async def async_client_phase(
    url: str, model_id: str, records: list[Record], budget: Deadline, logged_ids: set[str]
) -> dict[str, Any]:
    """``await AsyncClient.log_prediction`` for each record from one task, then ``flush()``."""
    costs_ns: list[int] = []
    queued: list[str] = []
    queue_full = 0
    delivery: LogDeliveryError | None = None
    clock_ns, clock = time.perf_counter_ns, time.perf_counter
    async with AsyncClient(url, timeout=60.0) as beacon:
        log = beacon.log_prediction
        started = clock()
        for record in records:
            if budget.expired():
                break
            began = clock_ns()
            try:
                queued.append(await log(model_id, **record.fields))
            except LogQueueFullError:
                queue_full += 1
            costs_ns.append(clock_ns() - began)
        calls_done = clock()
        try:
            await beacon.flush(timeout=max(30.0, budget.remaining()))
        except LogDeliveryError as exc:
            delivery = exc
        flushed = clock()
    return client_report(
        "AsyncClient (task)",
        asdict(LogOptions()),
        records,
        queued,
        queue_full,
        costs_ns,
        delivery,
        (started, calls_done, flushed),
        logged_ids,
    )


def client_report(
    kind: str,
    options: dict[str, Any],
    records: list[Record],
    queued: list[str],
    queue_full: int,
    costs_ns: list[int],
    delivery: LogDeliveryError | None,
    times: tuple[float, float, float],
    logged_ids: set[str],
) -> dict[str, Any]:
    started, calls_done, flushed = times
    lost = {r["prediction_id"] for r in delivery.records} if delivery is not None else set()
    delivered = [pid for pid in queued if pid not in lost]
    logged_ids.update(delivered)
    wall = flushed - started
    blocked = [ns / 1e9 for ns in costs_ns if ns > BLOCKED_NS]
    return {
        "client": kind,
        "options": options,
        "calls_planned": len(records),
        "calls": len(costs_ns),
        "stopped_early": len(costs_ns) < len(records),
        "queue_full_errors": queue_full,
        "delivery_failed_records": len(lost),
        "delivery_error": None if delivery is None else delivery.message,
        "records_logged": len(delivered),
        "calls_seconds": calls_done - started,
        "flush_seconds": flushed - calls_done,
        "wall_seconds": wall,
        "records_per_second": len(delivered) / wall if wall > 0 else None,
        "call_cost_us": summary([ns / 1000.0 for ns in costs_ns], extremes=True),
        "calls_over_1ms": len(blocked),
        "seconds_in_calls_over_1ms": sum(blocked),
    }


def feedback_phase(client: httpx.Client, records: list[Record], budget: Deadline) -> dict[str, Any]:
    """``POST /api/feedback`` with 1000 labels per call, one call after another."""
    bodies = [
        (len(batch), json.dumps({"labels": [r.feedback() for r in batch]}).encode())
        for batch in chunks(records, BIG)
    ]
    headers = {"content-type": "application/json"}
    statuses: Counter[str] = Counter()
    round_trips: list[float] = []
    rates: list[float] = []
    failures: list[str] = []
    sent = 0
    clock = time.perf_counter
    started = clock()
    for count, body in bodies:
        if budget.expired():
            break
        began = clock()
        response = client.post("/api/feedback", content=body, headers=headers)
        elapsed = clock() - began
        if response.status_code != 200:
            failures.append(f"{response.status_code}: {response.text[:200]}")
            continue
        statuses.update(result["status"] for result in response.json()["results"])
        sent += count
        round_trips.append(elapsed * 1000.0)
        rates.append(count / elapsed)
    wall = clock() - started
    return {
        "labels_per_call": BIG,
        "calls_planned": len(bodies),
        "calls": len(round_trips),
        "stopped_early": len(round_trips) + len(failures) < len(bodies),
        "failures": len(failures),
        "failure_examples": failures[:3],
        "labels_sent": sent,
        "statuses": dict(statuses),
        "wall_seconds": wall,
        "labels_per_second": sent / wall if wall > 0 else None,
        "labels_per_second_median_call": statistics.median(rates) if rates else None,
        "round_trip_ms": summary(round_trips, extremes=True),
        "round_trip_median_ms_by_quarter": by_quarter(round_trips),
    }


def print_table(report: dict[str, Any]) -> None:
    rows = [
        ("REST 1000/call", report["rest_1000"]),
        ("REST 100/call", report["rest_100"]),
        ("Client.log_prediction", report["client"]),
        ("AsyncClient.log_prediction", report["async_client"]),
        ("feedback 1000/call", report["feedback"]),
    ]
    print(
        f"{'phase':<27} {'items':>6} {'calls':>6} {'items/s':>8} {'median/s':>8} "
        f"{'rtt p50':>8} {'rtt p99':>8} {'call p50':>8} {'call p99':>8} {'>1 ms':>11} "
        f"{'flush':>6}"
    )
    print(
        f"{'':<27} {'':>6} {'':>6} {'overall':>8} {'per call':>8} "
        f"{'ms':>8} {'ms':>8} {'µs':>8} {'µs':>8} {'calls (s)':>11} {'s':>6}"
    )
    for name, phase in rows:
        items = phase.get("records_sent", phase.get("records_logged", phase.get("labels_sent")))
        rate = phase.get("records_per_second", phase.get("labels_per_second"))
        median = phase.get(
            "records_per_second_median_call", phase.get("labels_per_second_median_call")
        )
        rtt = phase.get("round_trip_ms", {})
        cost = phase.get("call_cost_us", {})
        blocked = (
            f"{phase['calls_over_1ms']} ({phase['seconds_in_calls_over_1ms']:.1f})"
            if "calls_over_1ms" in phase
            else "-"
        )
        print(
            f"{name:<27} {items:>6} {phase['calls']:>6} {fmt(rate, '.0f'):>8} "
            f"{fmt(median, '.0f'):>8} {fmt(rtt.get('p50'), '.1f'):>8} "
            f"{fmt(rtt.get('p99'), '.1f'):>8} {fmt(cost.get('p50'), '.1f'):>8} "
            f"{fmt(cost.get('p99'), '.1f'):>8} {blocked:>11} "
            f"{fmt(phase.get('flush_seconds'), '.2f'):>6}"
        )
    for name, key in (("REST 1000/call", "rest_1000"), ("feedback 1000/call", "feedback")):
        quarters = report[key].get("round_trip_median_ms_by_quarter", [])
        if quarters:
            print(
                f"{name} round trip median by quarter of the phase: "
                + " ".join(f"{q:.0f}" for q in quarters)
                + " ms"
            )


def database_description(url: str | None) -> str:
    if url is None:
        return "SQLite (fresh file in the server's temporary directory)"
    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--batches", type=int, default=30, help="REST calls of 1000 records")
    parser.add_argument("--small-batches", type=int, default=100, help="REST calls of 100")
    parser.add_argument(
        "--client-records", type=int, default=15_000, help="records per client (sync, async)"
    )
    parser.add_argument(
        "--feedback-labels", type=int, default=10_000, help="labels (<= 1000 x --batches)"
    )
    parser.add_argument("--database-url", help="the server's database (default: fresh SQLite)")
    parser.add_argument("--max-seconds", type=float, default=150.0, help="time budget of a run")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    if min(args.batches, args.small_batches, args.client_records, args.feedback_labels) < 1:
        parser.error("every size must be >= 1")
    if args.feedback_labels > BIG * args.batches:
        parser.error("--feedback-labels labels the records of the 1000-record batches")

    deadline = Deadline(args.max_seconds)
    rng = random.Random(args.seed)
    run = uuid.uuid4().hex[:8]
    settings = {} if args.database_url is None else {"MODELBEACON_DATABASE_URL": args.database_url}
    report: dict[str, Any] = {
        **platform_report(),
        "server": "python -m modelbeacon serve (uvicorn, log_level info)",
        "database": database_description(args.database_url),
        "run_id": run,
        "max_seconds": args.max_seconds,
        "source": source_version(),
        "load_average_before": os.getloadavg(),
    }
    logged_ids: set[str] = set()
    with (
        running_server(settings, prefix="modelbeacon-bench-logging-") as server,
        httpx.Client(base_url=server.base_url, timeout=60.0) as client,
    ):
        report["startup_seconds"] = wait_healthy(client, server, deadline)
        model = expect(
            client.post(
                "/api/models/register",
                json={"name": "iris-elsewhere", "reference_dataset": "iris"},
            ),
            201,
            "POST /api/models/register",
        )
        model_id = str(model["id"])
        report["model"] = {key: model.get(key) for key in ("id", "name", "status", "classes")}
        warm = make_records(f"{run}-warm", BIG + SMALL, rng)
        warmup = [
            rest_phase(client, model_id, warm[:BIG], BIG, deadline, logged_ids),
            rest_phase(client, model_id, warm[BIG:], SMALL, deadline, logged_ids),
        ]
        report["warmup_records_logged"] = sum(w["records_logged"] for w in warmup)

        big = make_records(f"{run}-rest1000", BIG * args.batches, rng)
        report["rest_1000"] = rest_phase(
            client, model_id, big, BIG, share(deadline, PHASES), logged_ids
        )
        small = make_records(f"{run}-rest100", SMALL * args.small_batches, rng)
        report["rest_100"] = rest_phase(
            client, model_id, small, SMALL, share(deadline, PHASES - 1), logged_ids
        )
        sync_records = make_records(f"{run}-sync", args.client_records, rng)
        report["client"] = client_phase(
            server.base_url, model_id, sync_records, share(deadline, PHASES - 2), logged_ids
        )
        async_records = make_records(f"{run}-async", args.client_records, rng)
        report["async_client"] = asyncio.run(
            async_client_phase(
                server.base_url,
                model_id,
                async_records,
                share(deadline, PHASES - 3),
                logged_ids,
            )
        )
        labelled = big[: args.feedback_labels]
        report["feedback"] = feedback_phase(client, labelled, share(deadline, 1.25))

        # 5: a retried batch logs nothing; the server holds each record once
        again = expect(
            client.post(
                f"/api/models/{model_id}/predictions",
                json={"records": [r.rest() for r in warm[:BIG]]},
            ),
            201,
            "POST /api/models/{id}/predictions (the warm-up batch again)",
        )
        stored = expect(client.get(f"/api/models/{model_id}"), 200, "GET /api/models/{id}")
        report["check"] = {
            "resent_batch_records": BIG,
            "resent_batch_logged": again["logged"],
            "distinct_records_logged": len(logged_ids),
            "total_predictions": stored["total_predictions"],
            "ok": again["logged"] == 0 and stored["total_predictions"] == len(logged_ids),
        }
    report["server_stop"] = server.stopped
    report["load_average_after"] = os.getloadavg()
    report["elapsed_seconds"] = time.monotonic() - deadline.started

    print(f"database: {report['database']}")
    print_table(report)
    check = report["check"]
    print(
        f"check: the warm-up batch of {BIG} sent again logged {check['resent_batch_logged']}; "
        f"total_predictions {check['total_predictions']} vs {check['distinct_records_logged']} "
        f"distinct records logged: {'OK' if check['ok'] else 'MISMATCH'}"
    )
    print(f"feedback statuses: {report['feedback']['statuses']}")
    for name in ("rest_1000", "rest_100", "client", "async_client", "feedback"):
        phase = report[name]
        problems = {
            key: phase[key]
            for key in ("stopped_early", "failures", "queue_full_errors", "delivery_error")
            if phase.get(key)
        }
        if problems:
            print(f"{name}: {problems}")
    print(
        f"elapsed {report['elapsed_seconds']:.1f} s; load average before "
        f"{' '.join(f'{v:.2f}' for v in report['load_average_before'])}, after "
        f"{' '.join(f'{v:.2f}' for v in report['load_average_after'])}"
    )
    status = finish(report, args.out)
    if not check["ok"]:
        print("the check failed: records were lost or logged twice", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())

"""Cost of the metrics hot path: ``ModelMonitor.record_call``, ``record_label``, ``snapshot``.

Run: ``.venv/bin/python benchmarks/bench_metrics.py [--out FILE] [--rounds N] [--calls N]``.

Each case runs ``--rounds`` rounds of ``--calls`` operations timed as a whole with
``time.perf_counter_ns``; the table shows the median (and min/max) ns per operation over the
rounds. Inputs are built before each round so that only the operation is timed, loop included;
a plain ``deque.append`` in the same loop is the floor. ``prometheus_client``'s
``Counter.inc() + Histogram.observe()``, the cost DESIGN.md compares against, is measured too
when it imports. Results go to ``benchmarks/results/metrics.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelbeacon.metrics import Calibration, DriftReference, ModelMonitor, PredictionRecord
from modelbeacon.metrics.psi import NumericReference
from modelbeacon.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "metrics.json"
START = 1_700_000_000.0
FEATURES = 4
# The deciles of a standard normal, as training on N(0, 1) features would record them.
DECILES = (-1.2816, -0.8416, -0.5244, -0.2533, 0.0, 0.2533, 0.5244, 0.8416, 1.2816)
REFERENCE = DriftReference(
    tuple(NumericReference(f"x{j}", DECILES, (0.1,) * 10) for j in range(FEATURES))
)
# An isotonic map of 20 steps, the size validation splits of a few hundred rows give.
CALIBRATION = Calibration(
    "isotonic",
    tuple(0.5 + i * 0.025 for i in range(20)),
    tuple(0.45 + i * 0.027 for i in range(20)),
)

# One round: build its inputs (untimed), then return a function that runs them (timed) and
# reports how many operations it ran.
Round = Callable[[], tuple[Callable[[], None], int]]


class Feed:
    """Predict calls at 1000/s of steady traffic, each with its own id and feature vector."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.n = 0

    def records(
        self, count: int, *, label_every: int = 0, error_every: int = 0
    ) -> list[PredictionRecord]:
        rng, out = self.rng, []
        for _ in range(count):
            self.n += 1
            pid = f"pred-{self.n}"
            timestamp = START + self.n * 0.001
            if error_every and self.n % error_every == 0:
                out.append(PredictionRecord(pid, timestamp, 0.4, error="ValueError"))
                continue
            prediction = rng.randrange(3)
            label = prediction if label_every and self.n % label_every == 0 else None
            features = tuple(rng.gauss(0.0, 1.0) for _ in range(FEATURES))
            out.append(
                PredictionRecord(
                    pid, timestamp, rng.lognormvariate(-1.0, 0.5), prediction,
                    rng.uniform(0.5, 1.0), features, label,
                )
            )  # fmt: skip
        return out


def steady_monitor(feed: Feed, **record_options: int) -> ModelMonitor:
    """A deployed monitor whose rings are full (2000 calls in) and that has a snapshot."""
    monitor = ModelMonitor(
        "bench",
        Settings.model_construct().health_policy(),
        base_status="active",
        deployed_at=START,
        reference=REFERENCE,
        calibration=CALIBRATION,
        classes=(0, 1, 2),
    )
    for record in feed.records(2000, **record_options):
        monitor.record_call(record)
    monitor.evaluate(START + feed.n * 0.001)
    return monitor


def record_call_case(calls: int, **record_options: int) -> Round:
    feed = Feed()
    monitor = steady_monitor(feed, **record_options)

    def prepare() -> tuple[Callable[[], None], int]:
        records = feed.records(calls, **record_options)
        record_call = monitor.record_call

        def run() -> None:
            for record in records:
                record_call(record)

        return run, len(records)

    return prepare


def record_label_case(calls: int, *, shuffled: bool) -> Round:
    feed = Feed()
    monitor = steady_monitor(feed, label_every=1)
    rng = random.Random(3)

    def prepare() -> tuple[Callable[[], None], int]:
        records = feed.records(calls)
        for record in records:
            monitor.record_call(record)
        outcomes = [
            (r, r.prediction if rng.random() < 0.9 else (r.prediction + 1) % 3, r.timestamp + 5)
            for r in records
        ]
        if shuffled:
            # Labels arriving out of prediction order: each one is inserted, not appended.
            for i in range(0, len(outcomes), 50):
                chunk = outcomes[i : i + 50]
                rng.shuffle(chunk)
                outcomes[i : i + 50] = chunk
        record_label = monitor.record_label

        def run() -> None:
            for record, label, labelled_at in outcomes:
                record_label(record, label, labelled_at)

        return run, len(outcomes)

    return prepare


def snapshot_case(snapshots: int) -> Round:
    feed = Feed()
    monitor = steady_monitor(feed, label_every=3, error_every=97)
    now = START + feed.n * 0.001

    def prepare() -> tuple[Callable[[], None], int]:
        snapshot = monitor.snapshot

        def run() -> None:
            for _ in range(snapshots):
                snapshot(now)

        return run, snapshots

    return prepare


def deque_case(calls: int) -> Round:
    ring: deque[PredictionRecord] = deque(maxlen=1000)
    feed = Feed()

    def prepare() -> tuple[Callable[[], None], int]:
        records = feed.records(calls)
        append = ring.append

        def run() -> None:
            for record in records:
                append(record)

        return run, len(records)

    return prepare


def prometheus_case(calls: int) -> Round | None:
    try:
        from prometheus_client import (  # type: ignore[import-not-found,unused-ignore]
            CollectorRegistry,
            Counter,
            Histogram,
        )
    except ImportError:
        return None
    registry = CollectorRegistry()
    counter = Counter("bench_predictions", "predictions", registry=registry)
    histogram = Histogram("bench_latency_seconds", "latency", registry=registry)
    feed = Feed()

    def prepare() -> tuple[Callable[[], None], int]:
        latencies = [r.latency_ms / 1000.0 for r in feed.records(calls)]
        inc, observe = counter.inc, histogram.observe

        def run() -> None:
            for latency in latencies:
                inc()
                observe(latency)

        return run, len(latencies)

    return prepare


def measure(case: Round, rounds: int) -> dict[str, float]:
    per_op: list[float] = []
    for _ in range(rounds):
        run, count = case()
        gc.collect()
        started = time.perf_counter_ns()
        run()
        per_op.append((time.perf_counter_ns() - started) / count)
    return {
        "median_ns": statistics.median(per_op),
        "min_ns": min(per_op),
        "max_ns": max(per_op),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=20_000, help="operations per round")
    parser.add_argument("--snapshots", type=int, default=200, help="snapshots per round")
    args = parser.parse_args(argv)

    cases: dict[str, Round | None] = {
        "deque.append (floor)": deque_case(args.calls),
        "record_call (steady, no label)": record_call_case(args.calls),
        "record_call (1% errors in ring)": record_call_case(args.calls, error_every=100),
        "record_call (inline label)": record_call_case(args.calls, label_every=1),
        "record_label (in order)": record_label_case(args.calls, shuffled=False),
        "record_label (shuffled, late)": record_label_case(args.calls, shuffled=True),
        "snapshot() (rings full)": snapshot_case(args.snapshots),
        "prometheus Counter.inc+Histogram.observe": prometheus_case(args.calls),
    }
    results: dict[str, Any] = {}
    skipped: list[str] = []
    print(f"{'operation':<42} {'median ns':>11} {'min ns':>10} {'max ns':>10}")
    for name, case in cases.items():
        if case is None:
            skipped.append(name)
            print(f"{name:<42} skipped: prometheus_client is not installed")
            continue
        result = measure(case, args.rounds)
        results[name] = result
        print(
            f"{name:<42} {result['median_ns']:>11.0f} {result['min_ns']:>10.0f} "
            f"{result['max_ns']:>10.0f}"
        )

    report = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "rounds": args.rounds,
        "operations_per_round": args.calls,
        "snapshots_per_round": args.snapshots,
        "results": results,
        "skipped": skipped,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

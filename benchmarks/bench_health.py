"""False alarms and detection delays of the accuracy judgement, on seeded Bernoulli streams.

Run: ``.venv/bin/python benchmarks/bench_health.py [--runs N] [--out FILE]``.

Each label is right with probability p. The window is the accuracy window the monitor keeps
(the last 100 labels) and the judge is the product's ``AccuracyJudge`` with the default lines
(warning 0.85, critical 0.80, min_labelled 20); the bare rule (the window's accuracy compared
with the lines, what health did before) runs on the very same streams. Cases:

- stable p (0.91, 0.88, 0.77, 0.74): 1,000 labels of warm-up, then health changes are counted
  over 10,000 labels (the targets: <= 1 per 10,000 at 0.88 and 0.77, 3 points from a line);
- a step from 0.92 to 0.75 after 1,000 labels: labels until ``critical`` (targets: median 150,
  p95 250);
- a step from 0.92 to 0.82: labels until ``warning`` or worse (target: median 300).

Every run has its own seed (case index * 100,003 + run), so reruns print the same figures.
Results go to ``benchmarks/results/health.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelbeacon.metrics.judgement import AccuracyJudge
from modelbeacon.metrics.latency import nearest_rank

RESULTS = Path(__file__).resolve().parent / "results" / "health.json"
WARNING, CRITICAL, MIN_LABELLED, WINDOW = 0.85, 0.80, 20, 100
WARM_UP, COUNTED, BEFORE_STEP, AFTER_STEP = 1_000, 10_000, 1_000, 3_000
NEVER = 10**9  # a run that never reached the state


class BareRule:
    """Health as it was: the window's accuracy compared with the lines."""

    def __init__(self) -> None:
        self.part = "unknown"

    def observe(self, correct: bool, hits: int, n: int) -> bool:
        del correct
        accuracy = hits / n
        if n < MIN_LABELLED:
            new = "unknown"
        elif accuracy < CRITICAL:
            new = "critical"
        elif accuracy < WARNING:
            new = "warning"
        else:
            new = "healthy"
        changed = new != self.part
        self.part = new
        return changed


Judge = Callable[[], Any]
JUDGES: dict[str, Judge] = {
    "judgement": lambda: AccuracyJudge(WARNING, CRITICAL, MIN_LABELLED),
    "bare rule": BareRule,
}


def stream(p_before: float, p_after: float, n_before: int, n_after: int, seed: int) -> list[bool]:
    rng = random.Random(seed)
    return [
        rng.random() < (p_before if i < n_before else p_after) for i in range(n_before + n_after)
    ]


def replay(
    labels: list[bool], judge: Any, counted_from: int, step_at: int
) -> tuple[int, dict[str, int]]:
    """Changes counted from label ``counted_from`` on, and the first label after ``step_at`` at
    which each state was held."""
    window: deque[bool] = deque()
    hits = changes = 0
    first: dict[str, int] = {}
    for i, correct in enumerate(labels):
        window.append(correct)
        hits += correct
        if len(window) > WINDOW:
            hits -= window.popleft()
        if judge.observe(correct, hits, len(window)) and i >= counted_from:
            changes += 1
        if i >= step_at and judge.part not in first:
            first[judge.part] = i - step_at + 1
    return changes, first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="streams per case (default 200)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results: dict[str, Any] = {"runs": args.runs, "cases": {}}

    print(f"{args.runs} seeded streams per case; window {WINDOW}, lines {WARNING}/{CRITICAL}\n")
    print(f"{'case':<34}{'judgement':>24}{'bare rule':>24}")
    for case_index, p in enumerate((0.91, 0.88, 0.77, 0.74)):
        row: dict[str, float] = {}
        for name, make in JUDGES.items():
            total = 0
            for run in range(args.runs):
                labels = stream(p, p, WARM_UP + COUNTED, 0, case_index * 100_003 + run)
                total += replay(labels, make(), WARM_UP, len(labels))[0]
            row[name] = total / args.runs * 10_000 / COUNTED
        results["cases"][f"stable {p}"] = {"changes_per_10k_labels": row}
        print(
            f"{f'stable {p}: changes / 10k labels':<34}"
            f"{row['judgement']:>24.2f}{row['bare rule']:>24.2f}"
        )

    for case_index, (p_after, targets) in enumerate(
        ((0.75, ("critical",)), (0.82, ("warning", "critical"))), start=4
    ):
        row_delays: dict[str, dict[str, float]] = {}
        for name, make in JUDGES.items():
            delays = []
            for run in range(args.runs):
                labels = stream(0.92, p_after, BEFORE_STEP, AFTER_STEP, case_index * 100_003 + run)
                first = replay(labels, make(), len(labels), BEFORE_STEP)[1]
                delays.append(min((first[t] for t in targets if t in first), default=NEVER))
            delays.sort()
            row_delays[name] = {
                "median": statistics.median(delays),
                "p95": nearest_rank(delays, 95),
                "missed": sum(d == NEVER for d in delays),
            }
        label = f"0.92 -> {p_after}: labels to {targets[0]}"
        results["cases"][label] = {"labels_to_detection": row_delays}
        cells = [f"median {d['median']:.0f}, p95 {d['p95']:.0f}" for d in row_delays.values()]
        print(f"{label:<34}{cells[0]:>24}{cells[1]:>24}")

    results["seconds"] = round(time.perf_counter() - started, 1)
    results["python"] = sys.version.split()[0]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{results['seconds']} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

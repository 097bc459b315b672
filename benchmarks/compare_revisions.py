"""The metrics and predict benchmarks for a git revision and for the working tree, side by side.

Run: ``.venv/bin/python benchmarks/compare_revisions.py BASE [--rounds N] [--requests N]``.

Checks ``BASE`` out into a temporary git worktree and runs ``bench_metrics.py`` and
``bench_predict.py`` of each tree with that tree's code first on ``PYTHONPATH`` (the server
they start inherits it), alternating base and current for ``--rounds`` rounds so that both meet
the same machine load, as these shared machines are noisy. Prints each figure's median over
the rounds for both trees and their ratio (current / base), and writes every round's results
and the summary to ``benchmarks/results/compare/``. The worktree is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results" / "compare"

_METRICS_RESULTS = "results"
FIGURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "record_call steady ns": (
        "metrics",
        (_METRICS_RESULTS, "record_call (steady, no label)", "median_ns"),
    ),
    "record_call label ns": (
        "metrics",
        (_METRICS_RESULTS, "record_call (inline label)", "median_ns"),
    ),
    "record_label in order ns": (
        "metrics",
        (_METRICS_RESULTS, "record_label (in order)", "median_ns"),
    ),
    "snapshot() ns": ("metrics", (_METRICS_RESULTS, "snapshot() (rings full)", "median_ns")),
    "predict round trip p50 ms": ("predict", ("sequential", "predict_round_trip_ms", "p50")),
    "predict round trip p99 ms": ("predict", ("sequential", "predict_round_trip_ms", "p99")),
    "predict latency_ms p50": ("predict", ("sequential", "predict_server_latency_ms", "p50")),
    "health round trip p50 ms": ("predict", ("sequential", "health_round_trip_ms", "p50")),
    "predict, concurrent req/s": ("predict", ("concurrent", "throughput_rps")),
    "predict, concurrent p99 ms": ("predict", ("concurrent", "round_trip_ms", "p99")),
}


def run_benchmarks(tree: Path, label: str, round_no: int, requests: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    results: dict[str, Any] = {}
    for name, extra in (("metrics", []), ("predict", ["--requests", str(requests)])):
        out = OUT / f"{label}-{name}-{round_no}.json"
        script = str(tree / "benchmarks" / f"bench_{name}.py")
        subprocess.run(
            [sys.executable, script, "--out", str(out), *extra],
            cwd=tree,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        results[name] = json.loads(out.read_text())
    return results


def figure(results: dict[str, Any], where: tuple[str, tuple[str, ...]]) -> float | None:
    value: Any = results[where[0]]
    for key in where[1]:
        value = value.get(key) if isinstance(value, dict) else None
    return float(value) if isinstance(value, int | float) else None


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="git revision to compare against (e.g. a commit)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per tree")
    parser.add_argument("--requests", type=int, default=2000, help="sequential predictions")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict[str, Any]]] = {"base": [], "current": []}
    with tempfile.TemporaryDirectory(prefix="modelbeacon-base-") as tmp:
        base = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True
        )
        try:
            for round_no in range(1, args.rounds + 1):
                for label, tree in (("base", base), ("current", ROOT)):
                    print(f"round {round_no}: {label}", flush=True)
                    runs[label].append(run_benchmarks(tree, label, round_no, args.requests))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT)
    summary: dict[str, dict[str, float | None]] = {}
    print(f"\n{'figure (median over rounds)':<34} {'base':>10} {'current':>10} {'ratio':>7}")
    for name, where in FIGURES.items():
        before = median([figure(r, where) for r in runs["base"]])
        after = median([figure(r, where) for r in runs["current"]])
        ratio = after / before if before and after is not None else None
        summary[name] = {"base": before, "current": after, "ratio": ratio}
        cells = [f"{v:.3f}" if v is not None else "-" for v in (before, after, ratio)]
        print(f"{name:<34} {cells[0]:>10} {cells[1]:>10} {cells[2]:>7}")
    report = {"base": args.base, "rounds": args.rounds, "summary": summary}
    (OUT / "summary.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {OUT / 'summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

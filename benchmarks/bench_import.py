"""Cost of importing a user's skops or ONNX model, and of serving it one row at a time.

Run: ``.venv/bin/python benchmarks/bench_import.py [--import-runs N] [--calls N]
[--server-imports N] [--requests N] [--max-seconds S] [--out FILE]``.

Three models are fitted here on a generated penguins-like table (four numeric columns, two
categorical ones, about 5% missing cells, string classes):

- ``skops-lr``: ``Pipeline(ColumnTransformer(numeric median impute + scale, categorical
  most-frequent impute + one-hot), LogisticRegression)`` saved with ``skops.io.dump``;
- ``skops-hgb``: the same pipeline ending in a ``HistGradientBoostingClassifier``;
- ``onnx-lr``: a ``LogisticRegression`` on the four numeric columns, converted with
  ``skl2onnx.to_onnx(zipmap=False)`` and imported with its feature names given.

Measured side by side:

1. in process, no server: ``registry.importing.import_model`` (sniff, allowlist check, load,
   describe, parity rows) median wall time over ``--import-runs``; then ``predict_proba`` of
   the loaded predictor on one row built as the server builds it (``feature_matrix``: a 2-D
   object array for the mixed models, float64 for ONNX), ``--calls`` times: median and p99.
   The skops row has a missing value and a category the encoder never saw. The built-in path
   (``SklearnPredictor`` around an iris ``LogisticRegression``, float row) is the baseline;
2. through a real server (``harness.running_server``): ``POST /api/models/import`` client round
   trip, median of ``--server-imports`` imports of each model under different names; then each
   model deployed and ``--requests`` sequential single-row ``POST /api/models/{id}/predict``
   with the features keyed by name: client round trip and the server's ``latency_ms`` (the
   model call alone), p50 and p99.

Percentiles are nearest-rank, as the server computes its own. Everything is bounded by
``--max-seconds``: a phase that runs out of time stops early and says so. The server is stopped
by its PID with SIGTERM (SIGKILL only if it has not exited after 15 s) and its exit code is
reported; a non-zero one fails the run. Results go to ``benchmarks/results/import.json``
(git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import skops.io  # type: ignore[import-untyped]
from harness import (
    SERVER_DESCRIPTION,
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
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer  # type: ignore[import-untyped]
from sklearn.datasets import load_iris  # type: ignore[import-untyped]
from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]
from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
from sklearn.impute import SimpleImputer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline, make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # type: ignore[import-untyped]
from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

from modelbeacon.inputs import numeric_features
from modelbeacon.registry.importing import import_model
from modelbeacon.registry.predictor import Predictor, SklearnPredictor
from modelbeacon.services.feature_vectors import feature_matrix

RESULTS = Path(__file__).resolve().parent / "results" / "import.json"
WARMUP_CALLS = 50
WARMUP_REQUESTS = 20

SPECIES = ("Adelie", "Chinstrap", "Gentoo")
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["island", "sex"]
COLUMNS = [*NUMERIC, *CATEGORICAL]
# (bill length, bill depth, flipper length, body mass) means per species, roughly as in the
# real penguins data, and the islands each species lives on
MEANS = {
    "Adelie": (38.8, 18.3, 190.0, 3700.0),
    "Chinstrap": (48.8, 18.4, 196.0, 3730.0),
    "Gentoo": (47.5, 15.0, 217.0, 5076.0),
}
HOMES = {"Adelie": ("Biscoe", "Dream", "Torgersen"), "Chinstrap": ("Dream",), "Gentoo": ("Biscoe",)}
# one request row: a missing value and an island the encoders never saw
MIXED_ROW: dict[str, Any] = {
    "bill_length_mm": 47.1,
    "bill_depth_mm": None,
    "flipper_length_mm": 214.0,
    "body_mass_g": 4900.0,
    "island": "Anvers",
    "sex": "female",
}
NUMERIC_ROW: dict[str, Any] = {
    "bill_length_mm": 47.1,
    "bill_depth_mm": 15.2,
    "flipper_length_mm": 214.0,
    "body_mass_g": 4900.0,
}
IRIS_ROW = [5.9, 3.0, 4.2, 1.5]


@dataclass(frozen=True)
class Kind:
    """One imported model: its file, the form fields its import needs, the row it predicts."""

    key: str
    description: str
    path: Path
    features: tuple[Any, ...] | None
    row: dict[str, Any]


def penguin_frame(n: int, seed: int, missing: float = 0.05) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` penguins-like rows (about ``missing`` of the feature cells NaN) and their species."""
    rng = np.random.default_rng(seed)
    rows: list[list[Any]] = []
    labels: list[str] = []
    for i in range(n):
        species = SPECIES[i % len(SPECIES)]
        numbers: list[Any] = [float(rng.normal(m, m * 0.04)) for m in MEANS[species]]
        texts: list[Any] = [str(rng.choice(HOMES[species])), str(rng.choice(("male", "female")))]
        rows.append([None if rng.random() < missing else v for v in numbers + texts])
        labels.append(species)
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    frame[NUMERIC] = frame[NUMERIC].astype(np.float64)
    frame[CATEGORICAL] = frame[CATEGORICAL].where(frame[CATEGORICAL].notna(), np.nan)
    return frame, np.array(labels, dtype=object)


def mixed_pipeline(final: Any) -> Pipeline:
    """The numeric impute+scale, categorical impute+one-hot ColumnTransformer, then ``final``."""
    prepare = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                CATEGORICAL,
            ),
        ]
    )
    return Pipeline([("prepare", prepare), ("model", final)])


def write_models(folder: Path, seed: int) -> list[Kind]:
    """Fit the three models and save them in ``folder``."""
    frame, y = penguin_frame(240, seed)
    lr_path, hgb_path, onnx_path = (
        folder / "penguins-lr.skops",
        folder / "penguins-hgb.skops",
        folder / "penguins-lr.onnx",
    )
    skops.io.dump(mixed_pipeline(LogisticRegression(max_iter=500)).fit(frame, y), lr_path)
    hgb = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    skops.io.dump(mixed_pipeline(hgb).fit(frame, y), hgb_path)
    complete = frame[NUMERIC].notna().all(axis=1).to_numpy()
    X = frame.loc[complete, NUMERIC].to_numpy(dtype=np.float32)
    with warnings.catch_warnings():
        # unscaled body mass in grams: lbfgs may stop before its tolerance, which is fine here
        warnings.simplefilter("ignore", ConvergenceWarning)
        numeric_lr = LogisticRegression(max_iter=2000).fit(X, y[complete])
    onnx_model = to_onnx(numeric_lr, X[:1], options={"zipmap": False})
    onnx_path.write_bytes(onnx_model.SerializeToString())
    return [
        Kind("skops-lr", "skops ColumnTransformer + LogisticRegression", lr_path, None, MIXED_ROW),
        Kind(
            "skops-hgb",
            "skops ColumnTransformer + HistGradientBoosting",
            hgb_path,
            None,
            MIXED_ROW,
        ),
        Kind(
            "onnx-lr", "ONNX LogisticRegression (4 numeric)", onnx_path, tuple(NUMERIC), NUMERIC_ROW
        ),
    ]


def time_calls(
    predictor: Predictor, matrix: np.ndarray, calls: int, deadline: Deadline
) -> dict[str, Any]:
    """``predict_proba(matrix)`` ``calls`` times after a warm-up, each timed."""
    for _ in range(WARMUP_CALLS):
        predictor.predict_proba(matrix)
    times: list[float] = []
    clock, call = time.perf_counter, predictor.predict_proba
    for _ in range(calls):
        if deadline.expired():
            break
        started = clock()
        call(matrix)
        times.append((clock() - started) * 1000.0)
    return {"stopped_early": len(times) < calls, "predict_proba_ms": summary(times, extremes=True)}


def in_process(
    kinds: Sequence[Kind], import_runs: int, calls: int, deadline: Deadline
) -> dict[str, Any]:
    """Import each model ``import_runs`` times in this process, then time its single-row
    ``predict_proba``; the built-in iris predictor as the baseline. The cheapest go first and
    each gets an even share of what is left of ``deadline``, so a slow one cannot starve the
    others."""
    X, y = load_iris(return_X_y=True)
    builtin = SklearnPredictor(LogisticRegression(max_iter=500).fit(X, y))
    matrix = feature_matrix([tuple(IRIS_ROW)])
    baseline = {
        "description": "built-in: SklearnPredictor, iris LogisticRegression",
        "runtime": builtin.runtime,
        "row": IRIS_ROW,
        "row_dtype": str(matrix.dtype),
        **time_calls(builtin, matrix, calls, share(deadline, len(kinds) + 1)),
    }
    results: dict[str, Any] = {}
    cheapest_first = sorted(kinds, key=lambda kind: kind.key != "onnx-lr")
    for left, kind in enumerate(cheapest_first):
        budget = share(deadline, len(kinds) - left)
        features = None if kind.features is None else numeric_features(kind.features)
        import_ms: list[float] = []
        imported = None
        for _ in range(import_runs):
            if budget.expired():
                break
            started = time.perf_counter()
            imported = import_model(kind.path, kind.path.name, features, None)
            import_ms.append((time.perf_counter() - started) * 1000.0)
        if imported is None:
            results[kind.key] = {"stopped_early": True}
            continue
        names = [f.name for f in imported.features]
        matrix = feature_matrix([tuple(kind.row[name] for name in names)])
        results[kind.key] = {
            "description": kind.description,
            "file_bytes": kind.path.stat().st_size,
            "runtime": imported.predictor.runtime,
            "import_runs": len(import_ms),
            "import_ms": summary(import_ms, extremes=True),
            "import_median_ms": statistics.median(import_ms),
            "row": kind.row,
            "row_dtype": str(matrix.dtype),
            **time_calls(imported.predictor, matrix, calls, budget),
        }
    ordered = {kind.key: results[kind.key] for kind in kinds}
    return ordered | {"builtin-iris-lr": baseline}


def share(deadline: Deadline, parts: int) -> Deadline:
    """A budget of an even ``parts``-th of what is left of ``deadline``."""
    return Deadline(deadline.bound(deadline.remaining() / max(1, parts)))


def through_server(
    client: httpx.Client, kinds: Sequence[Kind], imports: int, requests: int, deadline: Deadline
) -> dict[str, Any]:
    """Import each model ``imports`` times by ``POST /api/models/import``, deploy the last one
    and send it ``requests`` single-row predictions."""
    results: dict[str, Any] = {}
    for left, kind in enumerate(kinds):
        budget = share(deadline, len(kinds) - left)
        content = kind.path.read_bytes()
        form = {} if kind.features is None else {"features": json.dumps(list(kind.features))}
        import_ms: list[float] = []
        model_id = None
        for i in range(imports):
            if budget.expired():
                break
            started = time.perf_counter()
            response = client.post(
                "/api/models/import",
                files={"file": (kind.path.name, content)},
                data={"name": f"{kind.key}-{i}", **form},
            )
            elapsed = (time.perf_counter() - started) * 1000.0
            model_id = expect(response, 201, f"POST /api/models/import ({kind.key})")["id"]
            import_ms.append(elapsed)
        if model_id is None:
            results[kind.key] = {"stopped_early": True}
            continue
        expect(client.post(f"/api/models/{model_id}/deploy"), 200, "POST /api/models/{id}/deploy")
        url, body = f"/api/models/{model_id}/predict", {"features": kind.row}
        for _ in range(WARMUP_REQUESTS):
            expect(client.post(url, json=body), 200, f"warm-up predict ({kind.key})")
        round_trips: list[float] = []
        latencies: list[float] = []
        failures = 0
        post, clock = client.post, time.perf_counter
        for _ in range(requests):
            if budget.expired():
                break
            started = clock()
            response = post(url, json=body)
            elapsed = (clock() - started) * 1000.0
            if response.status_code == 200:
                round_trips.append(elapsed)
                latencies.append(float(response.json()["latency_ms"]))
            else:
                failures += 1
        results[kind.key] = {
            "model_id": model_id,
            "file_bytes": len(content),
            "imports": len(import_ms),
            "import_round_trip_ms": summary(import_ms, extremes=True),
            "import_round_trip_median_ms": statistics.median(import_ms),
            "requested": requests,
            "stopped_early": len(round_trips) + failures < requests,
            "failures": failures,
            "predict_round_trip_ms": summary(round_trips),
            "predict_server_latency_ms": summary(latencies),
        }
    return results


def print_table(local: dict[str, Any], served: dict[str, Any]) -> None:
    header = (
        f"{'model':<16} {'import':>9} {'proba':>8} {'proba':>8} {'import':>9} "
        f"{'predict':>8} {'predict':>8} {'latency':>8} {'latency':>8}"
    )
    sub = (
        f"{'':<16} {'in-proc':>9} {'p50':>8} {'p99':>8} {'HTTP':>9} "
        f"{'rtt p50':>8} {'rtt p99':>8} {'ms p50':>8} {'ms p99':>8}"
    )
    print("all figures in ms; import = median wall time, in process then HTTP round trip")
    print(header)
    print(sub)
    for key, here in local.items():
        there = served.get(key, {})
        proba = here.get("predict_proba_ms", {})
        rtt = there.get("predict_round_trip_ms", {})
        latency = there.get("predict_server_latency_ms", {})
        print(
            f"{key:<16} {fmt(here.get('import_median_ms'), '.1f'):>9} "
            f"{fmt(proba.get('p50'), '.3f'):>8} {fmt(proba.get('p99'), '.3f'):>8} "
            f"{fmt(there.get('import_round_trip_median_ms'), '.1f'):>9} "
            f"{fmt(rtt.get('p50'), '.3f'):>8} {fmt(rtt.get('p99'), '.3f'):>8} "
            f"{fmt(latency.get('p50'), '.3f'):>8} {fmt(latency.get('p99'), '.3f'):>8}"
        )


def fmt_load(load: Sequence[float]) -> str:
    return " ".join(f"{value:.2f}" for value in load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--import-runs", type=int, default=20, help="in-process imports per model")
    parser.add_argument("--calls", type=int, default=2000, help="in-process predict_proba calls")
    parser.add_argument("--server-imports", type=int, default=5, help="HTTP imports per model")
    parser.add_argument("--requests", type=int, default=300, help="HTTP predictions per model")
    parser.add_argument("--max-seconds", type=float, default=170.0, help="time budget of a run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if min(args.import_runs, args.calls, args.server_imports, args.requests) < 1:
        parser.error("--import-runs, --calls, --server-imports and --requests must be >= 1")

    deadline = Deadline(args.max_seconds)
    report: dict[str, Any] = {
        **platform_report(),
        "server": SERVER_DESCRIPTION,
        "warmup_calls": WARMUP_CALLS,
        "warmup_requests": WARMUP_REQUESTS,
        "max_seconds": args.max_seconds,
        "source": source_version(),
        # HistGradientBoosting predicts with OpenMP threads: on a busy machine they stall
        "thread_pools": [
            {"api": pool["internal_api"], "threads": pool["num_threads"]}
            for pool in threadpool_info()
        ],
    }
    with tempfile.TemporaryDirectory(prefix="modelbeacon-bench-import-") as tmp:
        kinds = write_models(Path(tmp), args.seed)
        report["load_average_before"] = os.getloadavg()
        # the in-process phase gets at most 60% of the budget; the server the rest
        local = in_process(
            kinds, args.import_runs, args.calls, Deadline(deadline.bound(0.6 * args.max_seconds))
        )
        with (
            running_server() as server,
            httpx.Client(base_url=server.base_url, timeout=60.0) as client,
        ):
            report["startup_seconds"] = wait_healthy(client, server, deadline)
            served = through_server(client, kinds, args.server_imports, args.requests, deadline)
    report["load_average_after"] = os.getloadavg()
    report["server_stop"] = server.stopped
    report["in_process"] = local
    report["server_round_trip"] = served
    report["elapsed_seconds"] = time.monotonic() - deadline.started

    print_table(local, served)
    for where, phase in (("in process", local), ("server", served)):
        for key, figures in phase.items():
            if figures.get("stopped_early") or figures.get("failures"):
                print(
                    f"{where} {key}: stopped early={figures.get('stopped_early')}, "
                    f"non-200 responses={figures.get('failures', 0)}"
                )
    print(
        f"elapsed {report['elapsed_seconds']:.1f} s; load average (1, 5, 15 min) before "
        f"{fmt_load(report['load_average_before'])}, after {fmt_load(report['load_average_after'])}"
    )
    return finish(report, args.out)


if __name__ == "__main__":
    raise SystemExit(main())

"""A brute-force oracle of a monitored model's live numbers (DESIGN.md sections 3 and 9).

It keeps every record logged and every label given, and answers each question by sorting
everything by the records' own timestamps, with the simplest code that computes it. It shares
no code with ``modelbeacon.metrics``: the records are the JSON a caller sends, timestamps are parsed
from the ISO-8601 text as the API parses them, and the drift reference is the JSON that
``GET /api/models/{id}/reference`` returns.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from modelbeacon.services.monitoring import SNAPSHOT_TTL_SECONDS

HISTORY = 1000
ACCURACY = 100
ESTIMATE = 100
DRIFT = 1000
DRIFT_MINIMUM = 100


def iso(timestamp: float) -> str:
    """Unix seconds as ISO-8601 UTC with microseconds (what a caller sends)."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def unix(text: str) -> float:
    """ISO-8601 text as unix seconds (UTC without an offset), as the API reads it."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def nearest_rank(values: Sequence[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(percent / 100 * len(ordered)) - 1]


def wilson(hits: int, n: int) -> dict[str, float]:
    z = 1.959963984540054
    p = hits / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if hits == 0 else max(0.0, center - half)
    high = 1.0 if hits == n else min(1.0, center + half)
    return {"low": low, "high": high}


def has_missing_bin(feature: dict[str, Any]) -> bool:
    """Whether a numeric feature of a reference ends with a bin for missing values: one
    proportion more than its edges make bins (docs/PAYLOADS.md also flags it ``missing``)."""
    return len(feature["proportions"]) == len(feature["edges"]) + 2


@dataclass
class Logged:
    """One record as it was first logged, and its label once it has one."""

    prediction_id: str
    timestamp: float
    features: list[Any]
    prediction: Any
    probabilities: dict[str, float] | None
    latency_ms: float | None
    label: Any = None
    labelled_at: float | None = None

    @property
    def key(self) -> tuple[float, str]:
        return (self.timestamp, self.prediction_id)


class LoggedOracle:
    """Every record and label of one monitored model; ``numbers(now)`` recomputes all."""

    def __init__(self, classes: Sequence[Any], reference: dict[str, Any] | None = None) -> None:
        self.classes = list(classes)
        self.reference = reference
        self.records: dict[str, Logged] = {}

    def log(self, batch: Iterable[dict[str, Any]]) -> int:
        """Take an accepted batch (JSON records with ids and timestamps); the first record of
        an id wins, a repeat is a no-op. Returns how many were new."""
        new = 0
        for item in batch:
            pid = item["prediction_id"]
            if pid in self.records:
                continue
            label = item.get("label")
            ts = unix(item["timestamp"])
            self.records[pid] = Logged(
                prediction_id=pid,
                timestamp=ts,
                features=list(item["features"]),
                prediction=item["prediction"],
                probabilities=item.get("probabilities"),
                latency_ms=item.get("latency_ms"),
                label=label,
                labelled_at=None if label is None else ts,
            )
            new += 1
        return new

    def feedback(self, labels: Iterable[tuple[str, Any]], at: float) -> list[str]:
        """Apply labels given at ``at`` in order; the status each gets."""
        statuses = []
        for pid, label in labels:
            record = self.records.get(pid)
            if record is None:
                statuses.append("not_found")
            elif isinstance(label, bool) or label not in self.classes:
                statuses.append("invalid")
            elif record.label is not None:
                statuses.append("unchanged" if record.label == label else "conflict")
            else:
                record.label, record.labelled_at = label, at
                statuses.append("accepted")
        return statuses

    # ---- the numbers ----------------------------------------------------------------------
    def by_time(self) -> list[Logged]:
        return sorted(self.records.values(), key=lambda r: r.key)

    def accuracy_window(self) -> list[Logged]:
        return [r for r in self.by_time() if r.label is not None][-ACCURACY:]

    def numbers(self, now: float) -> dict[str, Any]:
        """The realtime fields at ``now`` that the oracle defines."""
        ordered = self.by_time()
        latest = ordered[-HISTORY:]
        window = self.accuracy_window()
        hits = sum(r.label == r.prediction for r in window)
        latencies = [r.latency_ms for r in latest if r.latency_ms is not None]
        tops = [max(r.probabilities.values()) for r in ordered if r.probabilities][-ESTIMATE:]
        delays = [max(0.0, (r.labelled_at or r.timestamp) - r.timestamp) for r in window]
        return {
            "total_predictions": len(ordered),
            "predictions_per_minute": sum(now - 60 < r.timestamp <= now for r in ordered),
            "current_accuracy": hits / len(window) if window else None,
            "accuracy_window": len(window),
            "accuracy_interval": wilson(hits, len(window)) if window else None,
            "estimated_accuracy": math.fsum(tops) / len(tops) if tops else None,
            "label_coverage": (
                sum(r.label is not None for r in latest) / len(latest) if latest else None
            ),
            "latency_ms": {
                "p50": nearest_rank(latencies, 50) if latencies else None,
                "p95": nearest_rank(latencies, 95) if latencies else None,
                "p99": nearest_rank(latencies, 99) if latencies else None,
            },
            "label_delay_seconds": (
                {"p50": nearest_rank(delays, 50), "p95": nearest_rank(delays, 95)}
                if window
                else None
            ),
            "confusion": self.confusion(window),
            "error_rate": None,
            "drift": self.drift([r.features for r in ordered if self.comparable(r.features)]),
        }

    def confusion(self, window: list[Logged]) -> dict[str, Any] | None:
        if not window:
            return None
        matrix = [[0] * len(self.classes) for _ in self.classes]
        for r in window:
            matrix[self.classes.index(r.label)][self.classes.index(r.prediction)] += 1
        return {"classes": self.classes, "matrix": matrix}

    def comparable(self, features: list[Any]) -> bool:
        """Whether drift counts a vector: a value for every numeric feature whose reference
        has no bin for a missing value."""
        if self.reference is None:
            return False
        bins = self.reference["features"]
        return len(features) == len(bins) and all(
            value is not None or has_missing_bin(feature)
            for value, feature in zip(features, bins, strict=True)
        )

    def drift(self, vectors: list[list[Any]]) -> dict[str, Any] | None:
        """PSI per feature against the reference's bins (numeric features only) over the
        latest 1000 comparable vectors (``vectors`` oldest first)."""
        vectors = vectors[-DRIFT:]
        if self.reference is None or len(vectors) < DRIFT_MINIMUM:
            return None
        features = []
        for j, feature in enumerate(self.reference["features"]):
            assert feature["kind"] == "numeric", feature
            counts = [0] * len(feature["proportions"])
            for vector in vectors:
                if vector[j] is None:
                    counts[-1] += 1
                else:
                    counts[sum(1 for edge in feature["edges"] if vector[j] >= edge)] += 1
            psi = 0.0
            for count, p_ref in zip(counts, feature["proportions"], strict=True):
                p_cur, p_ref = max(count / len(vectors), 1e-4), max(p_ref, 1e-4)
                psi += (p_cur - p_ref) * math.log(p_cur / p_ref)
            level = "none" if psi < 0.1 else "moderate" if psi < 0.2 else "significant"
            features.append(
                {"name": feature["name"], "kind": "numeric", "psi": psi, "level": level}
            )
        return {"score": max(f["psi"] for f in features), "features": features}


FIELDS = (
    "total_predictions",
    "predictions_per_minute",
    "current_accuracy",
    "accuracy_window",
    "accuracy_interval",
    "estimated_accuracy",
    "label_coverage",
    "latency_ms",
    "label_delay_seconds",
    "confusion",
    "error_rate",
    "drift",
)


def mismatches(got: Any, want: Any, path: str = "", abs_tol: float = 1e-12) -> list[str]:
    """Where ``got`` differs from ``want`` (floats within 1e-9 relative or ``abs_tol``), as
    readable lines."""
    if isinstance(want, dict) and isinstance(got, dict):
        if set(got) != set(want):
            return [f"{path}: keys {sorted(got)} != {sorted(want)}"]
        return [
            line for key in want
            for line in mismatches(got[key], want[key], f"{path}.{key}", abs_tol)
        ]  # fmt: skip
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return [f"{path}: {got} != {want}"]
        return [
            line for i, (g, w) in enumerate(zip(got, want, strict=True))
            for line in mismatches(g, w, f"{path}[{i}]", abs_tol)
        ]  # fmt: skip
    if isinstance(want, float) and isinstance(got, int | float) and not isinstance(got, bool):
        if math.isclose(got, want, rel_tol=1e-9, abs_tol=abs_tol):
            return []
        return [f"{path}: {got!r} != {want!r}"]
    return [] if got == want and type(got) is type(want) else [f"{path}: {got!r} != {want!r}"]


def assert_matches_oracle(
    metrics: dict[str, Any], oracle: LoggedOracle, now: float, abs_tol: float = 1e-12
) -> None:
    """Every field the oracle defines is what the server reported (``metrics`` is the JSON
    of ``GET /api/models/{id}/metrics/realtime`` computed at ``now``); ``abs_tol`` for times
    the oracle only knows to the microsecond of their ISO-8601 text."""
    want = oracle.numbers(now)
    got = {name: metrics[name] for name in FIELDS}
    problems = mismatches(got, want, abs_tol=abs_tol)
    assert not problems, "live numbers differ from the oracle:\n" + "\n".join(problems)
    drift = want["drift"]
    assert metrics["drift_score"] == (None if drift is None else metrics["drift"]["score"])


# ---- the API side ---------------------------------------------------------------------------
class PinnedClock:
    """The app's wall clock, set by the test (``clock.now = ...``)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def register(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    """``POST /api/models/register`` that must succeed; the model as it answers."""
    response = await client.post("/api/models/register", json=body)
    assert response.status_code == 201, response.text
    model: dict[str, Any] = response.json()
    assert model["status"] == "monitored", model
    return model


async def log_batch(
    client: httpx.AsyncClient, model_id: str, records: list[dict[str, Any]]
) -> dict[str, Any]:
    """``POST /api/models/{id}/predictions`` that must succeed; its body."""
    response = await client.post(f"/api/models/{model_id}/predictions", json={"records": records})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def give_labels(client: httpx.AsyncClient, labels: list[tuple[str, Any]]) -> list[str]:
    """``POST /api/feedback``; the status of each label, in order."""
    items = [{"prediction_id": pid, "label": label} for pid, label in labels]
    response = await client.post("/api/feedback", json={"labels": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["prediction_id"] for r in results] == [pid for pid, _ in labels]
    for result in results:
        # Every label not taken says why.
        assert (result["message"] is None) == (result["status"] in ("accepted", "unchanged"))
    return [r["status"] for r in results]


async def realtime(client: httpx.AsyncClient, model_id: str) -> dict[str, Any]:
    """The realtime numbers, read after the snapshot cache's bound (so they reflect every
    write before)."""
    await asyncio.sleep(SNAPSHOT_TTL_SECONDS * 1.5)
    response = await client.get(f"/api/models/{model_id}/metrics/realtime")
    assert response.status_code == 200, response.text
    metrics: dict[str, Any] = response.json()
    return metrics


async def logged_history(client: httpx.AsyncClient, model_id: str) -> list[dict[str, Any]]:
    """``GET /api/models/{id}/predictions?limit=1000``: the log, newest first."""
    response = await client.get(f"/api/models/{model_id}/predictions", params={"limit": 1000})
    assert response.status_code == 200, response.text
    predictions: list[dict[str, Any]] = response.json()["predictions"]
    return predictions

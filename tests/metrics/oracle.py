"""A brute-force model of ``ModelMonitor``: keeps every raw event, recomputes from scratch.

Everything here follows DESIGN.md section 3 and the trend table literally, with the simplest
code that can compute it (sorting and rescanning the whole event log on every question),
sharing no code with ``modelbeacon.metrics`` beyond the data classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from modelbeacon.metrics import (
    FeatureReference,
    HealthPolicy,
    LabelledOutcome,
    LatencyPercentiles,
    MetricsSnapshot,
    ModelMonitor,
    PredictionRecord,
)

SEVERITY = {"unknown": 0, "healthy": 1, "warning": 2, "critical": 3}


@dataclass(frozen=True)
class Sizes:
    history: int = 1000
    accuracy: int = 100
    estimate: int = 100
    drift: int = 100

    def kwargs(self) -> dict[str, int]:
        return {
            "history_size": self.history,
            "accuracy_size": self.accuracy,
            "estimate_size": self.estimate,
            "drift_size": self.drift,
        }


def oracle_health(
    policy: HealthPolicy, accuracy: float | None, n: int, p95: float | None, err: float | None
) -> str:
    if accuracy is None or n < policy.min_labelled:
        acc = "unknown"
    elif accuracy < policy.accuracy_critical:
        acc = "critical"
    elif accuracy < policy.accuracy_warning:
        acc = "warning"
    else:
        acc = "healthy"
    lat = "healthy"
    if p95 is not None and p95 > policy.latency_p95_critical_ms:
        lat = "critical"
    elif p95 is not None and p95 > policy.latency_p95_warning_ms:
        lat = "warning"
    error = "healthy"
    if err is not None and err > policy.error_rate_critical:
        error = "critical"
    elif err is not None and err > policy.error_rate_warning:
        error = "warning"
    other = max(lat, error, key=SEVERITY.__getitem__)
    if acc == "unknown" and other == "healthy":
        return "unknown"
    return max(acc, other, key=SEVERITY.__getitem__)


def p_rank(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1]


def trend_of(newer: float, older: float, tol: float) -> str:
    if newer - older > tol:
        return "up"
    if older - newer > tol:
        return "down"
    return "flat"


def halves(items: list[Any], half: int) -> tuple[list[Any], list[Any]]:
    newer = items[-half:] if len(items) >= half else list(items)
    rest = items[: len(items) - len(newer)]
    older = rest[-half:] if len(rest) >= half else list(rest)
    return older, newer


def drift(vectors: list[tuple[float, ...]], ref: FeatureReference) -> float:
    terms = []
    for j in range(len(ref.means)):
        mean = math.fsum(v[j] for v in vectors) / len(vectors)
        terms.append(abs(mean - ref.means[j]) / max(ref.stds[j], 1e-12))
    return math.fsum(terms) / len(terms)


@dataclass
class Oracle:
    model_id: str
    policy: HealthPolicy
    sizes: Sizes
    reference: FeatureReference | None = None
    base_status: str = "ready"
    deployed_at: float | None = None
    base_total: int = 0
    calls: list[PredictionRecord] = field(default_factory=list)  # every call, arrival order
    labels: dict[str, tuple[float, bool]] = field(default_factory=dict)  # id -> (ts, correct)
    label_values: dict[str, Any] = field(default_factory=dict)
    cached_p95: float | None = None
    status: str = "ready"
    health: str = "unknown"
    pending: list[tuple[str, str, str, str]] = field(default_factory=list)
    _accuracy_cache: tuple[int, tuple[float | None, int]] = (0, (None, 0))

    def __post_init__(self) -> None:
        self.status = self.base_status

    # ---- raw views -------------------------------------------------------------------------
    def successes(self) -> list[PredictionRecord]:
        return [c for c in self.calls if c.error is None]

    def window(self) -> list[tuple[tuple[float, str], bool]]:
        keyed = sorted(((ts, pid), ok) for pid, (ts, ok) in self.labels.items())
        return keyed[-self.sizes.accuracy :]

    def accuracy(self) -> tuple[float | None, int]:
        # Labels are only ever added, so their count identifies the state (a plain cache,
        # to keep per-call checks over thousands of calls affordable).
        if self._accuracy_cache[0] != len(self.labels):
            w = self.window()
            value = (sum(ok for _, ok in w) / len(w) if w else None), len(w)
            self._accuracy_cache = (len(self.labels), value)
        return self._accuracy_cache[1]

    def error_rate(self) -> float | None:
        ring = self.calls[-self.sizes.history :]
        return sum(c.error is not None for c in ring) / len(ring) if ring else None

    # ---- events ----------------------------------------------------------------------------
    def _settle(self) -> list[tuple[str, str, str, str]]:
        acc, n = self.accuracy()
        health = oracle_health(self.policy, acc, n, self.cached_p95, self.error_rate())
        status = (
            "degraded"
            if self.base_status == "active" and health == "critical"
            else (self.base_status)
        )
        out, self.pending = self.pending, []
        if (status, health) != (self.status, self.health):
            out.append((self.status, status, self.health, health))
        self.status, self.health = status, health
        return out

    def call(self, record: PredictionRecord) -> list[tuple[str, str, str, str]]:
        self.calls.append(replace(record))
        if record.error is None and record.label is not None:
            self.labels.setdefault(
                record.prediction_id, (record.timestamp, record.label == record.prediction)
            )
            self.label_values.setdefault(record.prediction_id, record.label)
        return self._settle()

    def label(self, outcome: LabelledOutcome, value: Any) -> list[tuple[str, str, str, str]]:
        self.labels.setdefault(outcome.prediction_id, (outcome.timestamp, outcome.correct))
        self.label_values.setdefault(outcome.prediction_id, value)
        return self._settle()

    def set_base_status(self, status: str, at: float | None) -> list[tuple[str, str, str, str]]:
        self.base_status = status
        if status == "active" and at is not None:
            self.deployed_at = at
        return self._settle()

    def evaluate(self, now: float) -> tuple[MetricsSnapshot, list[tuple[str, str, str, str]]]:
        h = self.sizes
        succ = self.successes()[-h.history :]
        lat = [c.latency_ms for c in succ]
        pct = (
            LatencyPercentiles(p_rank(lat, 50), p_rank(lat, 95), p_rank(lat, 99))
            if lat
            else LatencyPercentiles()
        )
        self.cached_p95 = pct.p95
        transitions = self._settle()

        probs = [c.top_probability for c in self.successes() if c.top_probability is not None]
        probs = probs[-h.estimate :]
        estimated = math.fsum(probs) / len(probs) if probs else None
        ref = self.reference
        vectors = [
            c.features
            for c in self.successes()[-h.drift :]
            if ref is not None and c.features is not None and len(c.features) == len(ref.means)
        ]
        drift_score = drift(vectors, ref) if ref is not None and len(vectors) >= 10 else None
        all_ts = [c.timestamp for c in self.successes()]
        ppm = sum(now - 60 < t <= now for t in all_ts)
        prev = sum(now - 120 < t <= now - 60 for t in all_ts)
        acc, n = self.accuracy()
        ring = self.calls[-h.history :]

        trend = {}
        older, newer = halves([ok for _, ok in self.window()], h.accuracy // 2)
        trend["current_accuracy"] = (
            trend_of(sum(newer) / len(newer), sum(older) / len(older), 0.01)
            if len(older) >= 10 and len(newer) >= 10
            else "flat"
        )
        older, newer = halves(probs, h.estimate // 2)
        trend["estimated_accuracy"] = (
            trend_of(math.fsum(newer) / len(newer), math.fsum(older) / len(older), 0.01)
            if len(older) >= 10 and len(newer) >= 10
            else "flat"
        )
        trend["predictions_per_minute"] = trend_of(ppm, prev, max(1.0, 0.1 * prev))
        older, newer = halves(lat, h.history // 2)
        trend["latency_p95_ms"] = (
            trend_of(p_rank(newer, 95), p_rank(older, 95), 0.1 * p_rank(older, 95))
            if len(older) >= 20 and len(newer) >= 20
            else "flat"
        )
        older, newer = halves([c.error is not None for c in ring], h.history // 2)
        trend["error_rate"] = (
            trend_of(sum(newer) / len(newer), sum(older) / len(older), 0.01)
            if len(older) >= 20 and len(newer) >= 20
            else "flat"
        )
        older, newer = halves(vectors, h.drift // 2)
        trend["drift_score"] = (
            trend_of(drift(newer, ref), drift(older, ref), 0.05)
            if ref is not None and len(older) >= 10 and len(newer) >= 10
            else "flat"
        )
        uptime = None
        if self.base_status == "active" and self.deployed_at is not None:
            uptime = max(0.0, now - self.deployed_at)
        snap = MetricsSnapshot(
            model_id=self.model_id,
            status=self.status,
            model_health=self.health,  # type: ignore[arg-type]
            total_predictions=self.base_total + len(self.successes()),
            predictions_per_minute=ppm,
            current_accuracy=acc,
            accuracy_window=n,
            estimated_accuracy=estimated,
            latency_ms=pct,
            error_rate=self.error_rate(),
            drift_score=drift_score,
            uptime_seconds=uptime,
            trend=trend,  # type: ignore[arg-type]
            computed_at=now,
        )
        return snap, transitions

    def snapshot(self, now: float) -> MetricsSnapshot:
        snap, transitions = self.evaluate(now)
        self.pending = transitions
        return snap

    # ---- restore ---------------------------------------------------------------------------
    def restore(self, now: float) -> ModelMonitor:
        """What the service would rebuild from the log at ``now`` (with the extended calls)."""
        h = self.sizes.history
        e = self.sizes.estimate
        succ_idx = [i for i, c in enumerate(self.calls) if c.error is None]
        prob_idx = [i for i in succ_idx if self.calls[i].top_probability is not None]
        start = min(
            max(0, len(self.calls) - h),
            succ_idx[-h] if len(succ_idx) >= h else 0,
            prob_idx[-e] if len(prob_idx) >= e else 0,
        )
        recent = [
            replace(c, label=self.label_values.get(c.prediction_id) if c.error is None else None)
            for c in self.calls[start:]
        ]
        labelled = [LabelledOutcome(ts, pid, ok) for (ts, pid), ok in self.window()]
        rate = [
            c.timestamp
            for c in self.calls
            if c.error is None and c.timestamp > now - ModelMonitor.RATE_RETENTION_SECONDS
        ]
        return ModelMonitor.restore(
            self.model_id,
            self.policy,
            base_status=self.base_status,
            deployed_at=self.deployed_at,
            reference=self.reference,
            total_predictions=self.base_total + len(self.successes()),
            recent_calls=recent,
            labelled=labelled,
            rate_timestamps=rate,
            **self.sizes.kwargs(),
        )

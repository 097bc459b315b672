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
    Calibration,
    DriftReference,
    HealthPolicy,
    LatencyPercentiles,
    MetricsSnapshot,
    ModelMonitor,
    PredictionRecord,
)
from modelbeacon.metrics.interval import AccuracyInterval
from modelbeacon.metrics.labels import Confusion, LabelDelay
from modelbeacon.metrics.psi import DriftSummary, FeatureDrift

SEVERITY = {"unknown": 0, "healthy": 1, "warning": 2, "critical": 3}


@dataclass(frozen=True)
class Sizes:
    history: int = 1000
    accuracy: int = 100
    estimate: int = 100
    drift: int = 1000

    def kwargs(self) -> dict[str, int]:
        return {
            "history_size": self.history,
            "accuracy_size": self.accuracy,
            "estimate_size": self.estimate,
            "drift_size": self.drift,
        }


# The judgement's CUSUMs as its docstring tables them: (p0, p1, limit) as offsets from the
# lines, in the order drop to warning, drop to critical, rise to healthy, rise from critical,
# rise from critical to healthy.
def cusum_table(w: float, c: float) -> list[tuple[float, float, float]]:
    return [(w + 0.03, w - 0.03, 6.0), (w + 0.03, c - 0.05, 8.0),
            (w - 0.03, w + 0.03, 5.0), (c - 0.03, c + 0.03, 6.5),
            (c - 0.03, w + 0.03, 7.5)]  # fmt: skip


def wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = k / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if k == 0 else max(0.0, center - half)
    high = 1.0 if k == n else min(1.0, center + half)
    return low, high


@dataclass
class Replay:
    """Where a replay of a label stream stands: how many labels it took, the CUSUMs, the part."""

    taken: int = 0
    sums: list[float] = field(default_factory=lambda: [0.0] * 5)
    part: str = "unknown"


def judged_accuracy(policy: HealthPolicy, stream: list[tuple[bool, int, int]]) -> str:
    """The accuracy part after replaying ``stream``: each accepted label's correctness and the
    window's (hits, n) after it."""
    return replay(policy, stream, Replay()).part


def replay(policy: HealthPolicy, stream: list[tuple[bool, int, int]], state: Replay) -> Replay:
    """``state`` moved on over the labels of ``stream`` it has not taken yet (so a stream that
    only grows is replayed once in all, not once per label)."""
    w, c = policy.accuracy_warning, policy.accuracy_critical
    table = cusum_table(w, c)
    sums, part = state.sums, state.part
    for correct, k, n in stream[state.taken :]:
        for i, (p0, p1, _) in enumerate(table):
            p0, p1 = min(max(p0, 0.005), 0.995), min(max(p1, 0.005), 0.995)
            step = math.log(p1 / p0) if correct else math.log((1 - p1) / (1 - p0))
            sums[i] = max(0.0, sums[i] + step)
        if n == 0 or n < policy.min_labelled:
            new = "unknown"
        else:
            low, high = wilson(k, n)
            acc = k / n
            alarm = [sums[i] > table[i][2] for i in range(5)]
            if high < c:
                new = "critical"
            elif low >= w:
                new = "healthy"
            elif part == "unknown":
                new = "healthy" if acc >= w else "warning" if acc >= c else "critical"
            elif part != "critical" and alarm[1] and acc < c:
                new = "critical"
            elif part == "healthy" and alarm[0] and acc < w:
                new = "warning"
            elif acc >= w and (
                (part == "warning" and alarm[2]) or (part == "critical" and alarm[4])
            ):
                new = "healthy"
            elif part == "critical" and alarm[3] and acc >= c:
                new = "warning"
            else:
                new = part
        if new != part and part != "unknown" and new != "unknown":
            if SEVERITY[new] > SEVERITY[part]:
                sums[2] = sums[3] = sums[4] = 0.0
            else:
                sums[0] = sums[1] = 0.0
        part = new
    state.taken, state.part = len(stream), part
    return state


def oracle_health(policy: HealthPolicy, acc: str, p95: float | None, err: float | None) -> str:
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


def calibrate(calibration: Calibration | None, p: float) -> float:
    if calibration is None or calibration.method == "raw":
        return p
    if calibration.method == "sigmoid":
        exponent = calibration.a * p + calibration.b
        return 0.0 if exponent > 700 else 1.0 / (1.0 + math.exp(max(exponent, -700.0)))
    xs, ys = calibration.x, calibration.y
    if p < xs[0]:
        return ys[0]
    if p >= xs[-1]:
        return ys[-1]
    i = max(j for j in range(len(xs)) if xs[j] <= p)
    return ys[i] + (ys[i + 1] - ys[i]) * (p - xs[i]) / (xs[i + 1] - xs[i])


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


def comparable(features: tuple[Any, ...] | None, ref: DriftReference | None) -> bool:
    """Whether drift counts a vector: the reference's width, and a value for every numeric
    feature that has no missing bin."""
    return (
        ref is not None
        and features is not None
        and len(features) == ref.n_features
        and all(
            value is not None or feature.kind == "categorical" or feature.missing
            for value, feature in zip(features, ref.features, strict=True)
        )
    )


def psi_summary(vectors: list[tuple[Any, ...]], ref: DriftReference) -> DriftSummary:
    drifts = []
    for j, feature in enumerate(ref.features):
        bins = len(feature.proportions)
        counts = [0] * bins
        for vector in vectors:
            value = vector[j]
            if feature.kind == "numeric" and value is None:
                counts[-1] += 1  # the missing bin (comparable vectors only have one here)
            elif feature.kind == "numeric":
                counts[sum(1 for edge in feature.edges if value >= edge)] += 1
            else:
                cats = list(feature.categories)
                counts[cats.index(value) if value in cats else len(cats)] += 1
        total = 0.0
        for count, p_ref in zip(counts, feature.proportions, strict=True):
            p_cur, p_ref = max(count / len(vectors), 1e-4), max(p_ref, 1e-4)
            total += (p_cur - p_ref) * math.log(p_cur / p_ref)
        level = "none" if total < 0.1 else "moderate" if total < 0.2 else "significant"
        drifts.append(FeatureDrift(feature.name, feature.kind, total, level))  # type: ignore[arg-type]
    return DriftSummary(max(d.psi for d in drifts), tuple(drifts))


@dataclass
class Oracle:
    model_id: str
    policy: HealthPolicy
    sizes: Sizes
    reference: DriftReference | None = None
    calibration: Calibration | None = None
    classes: tuple[Any, ...] = ()
    base_status: str = "ready"
    deployed_at: float | None = None
    base_total: int = 0
    calls: list[PredictionRecord] = field(default_factory=list)  # every call, arrival order
    labels: dict[str, tuple[float, bool]] = field(default_factory=dict)  # id -> (ts, correct)
    label_values: dict[str, Any] = field(default_factory=dict)
    labelled_at: dict[str, float] = field(default_factory=dict)
    # every label the window accepted: (correct, hits, n) of the window after it
    stream: list[tuple[bool, int, int]] = field(default_factory=list)
    cached_p95: float | None = None
    status: str = "ready"
    health: str = "unknown"
    pending: list[tuple[str, str, str, str]] = field(default_factory=list)
    _accuracy_cache: tuple[int, tuple[float | None, int]] = (0, (None, 0))
    _window_cache: tuple[int, list[tuple[tuple[float, str], bool]]] = (0, [])
    _by_id: dict[str, PredictionRecord] = field(default_factory=dict)
    _judged: tuple[list[tuple[bool, int, int]] | None, Replay] = (None, Replay())

    def __post_init__(self) -> None:
        self.status = self.base_status

    # ---- raw views -------------------------------------------------------------------------
    def successes(self) -> list[PredictionRecord]:
        """Successful calls by their own timestamps, equal ones in arrival order."""
        return sorted((c for c in self.calls if c.error is None), key=lambda c: c.timestamp)

    def window(self) -> list[tuple[tuple[float, str], bool]]:
        # Labels are only ever added, so their count identifies the window (a plain cache:
        # the sort is over every label ever given).
        if self._window_cache[0] != len(self.labels):
            keyed = sorted(((ts, pid), ok) for pid, (ts, ok) in self.labels.items())
            self._window_cache = (len(self.labels), keyed[-self.sizes.accuracy :])
        return self._window_cache[1]

    def accuracy(self) -> tuple[float | None, int]:
        if self._accuracy_cache[0] != len(self.labels):
            w = self.window()
            value = (sum(ok for _, ok in w) / len(w) if w else None), len(w)
            self._accuracy_cache = (len(self.labels), value)
        return self._accuracy_cache[1]

    def record_of(self, pid: str) -> PredictionRecord:
        """The successful call ``pid`` (ids are unique)."""
        return self._by_id[pid]

    def add_label(self, record: PredictionRecord, value: Any, at: float) -> None:
        pid = record.prediction_id
        if pid in self.labels:
            return
        key = (record.timestamp, pid)
        before = self.window()
        accepted = len(before) < self.sizes.accuracy or key > before[0][0]
        self.labels[pid] = (record.timestamp, value == record.prediction)
        self.label_values[pid] = value
        self.labelled_at[pid] = at
        if accepted:
            window = self.window()
            hits = sum(ok for _, ok in window)
            self.stream.append((value == record.prediction, hits, len(window)))

    def error_rate(self) -> float | None:
        ring = self.calls[-self.sizes.history :]
        return sum(c.error is not None for c in ring) / len(ring) if ring else None

    # ---- events ----------------------------------------------------------------------------
    def _settle(self) -> list[tuple[str, str, str, str]]:
        # The stream only grows (or is replaced, which starts the replay over).
        if self._judged[0] is not self.stream:
            self._judged = (self.stream, Replay())
        part = replay(self.policy, self.stream, self._judged[1]).part
        health = oracle_health(self.policy, part, self.cached_p95, self.error_rate())
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
        if record.error is None:
            self._by_id[record.prediction_id] = self.calls[-1]
        if record.error is None and record.label is not None:
            self.add_label(record, record.label, record.timestamp)
        return self._settle()

    def label(self, pid: str, value: Any, at: float) -> list[tuple[str, str, str, str]]:
        self.add_label(self.record_of(pid), value, at)
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

        probs = [
            calibrate(self.calibration, c.top_probability)
            for c in self.successes()
            if c.top_probability is not None
        ]
        probs = probs[-h.estimate :]
        estimated = math.fsum(probs) / len(probs) if probs else None
        ref = self.reference
        vectors = [c.features for c in self.successes() if comparable(c.features, ref)][-h.drift :]
        drift = psi_summary(vectors, ref) if ref is not None and len(vectors) >= 100 else None
        all_ts = [c.timestamp for c in self.successes()]
        ppm = sum(now - 60 < t <= now for t in all_ts)
        prev = sum(now - 120 < t <= now - 60 for t in all_ts)
        acc, n = self.accuracy()
        ring = self.calls[-h.history :]

        trend = {}
        window = self.window()
        records = [self.record_of(pid) for (_, pid), _ in window]
        older, newer = halves([ok for _, ok in window], h.accuracy // 2)
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
        newer = vectors[-(h.drift // 2) :] if h.drift // 2 else []
        older = vectors[: len(vectors) - len(newer)]
        trend["drift_score"] = (
            trend_of(psi_summary(newer, ref).score, psi_summary(older, ref).score, 0.05)
            if ref is not None and len(older) >= 50 and len(newer) >= 50
            else "flat"
        )
        # the window's labels: interval, confusion, delays, gap
        interval = AccuracyInterval(*wilson(sum(ok for _, ok in window), n)) if n else None
        confusion = None
        delay = None
        gap = None
        if window:
            classes = list(self.classes)
            for r in records:
                for value in (self.label_values[r.prediction_id], r.prediction):
                    if value not in classes:
                        classes.append(value)
            matrix = [[0] * len(classes) for _ in classes]
            for r in records:
                true = classes.index(self.label_values[r.prediction_id])
                matrix[true][classes.index(r.prediction)] += 1
            confusion = Confusion(tuple(classes), tuple(tuple(row) for row in matrix))
            delays = [max(0.0, self.labelled_at[r.prediction_id] - r.timestamp) for r in records]
            delay = LabelDelay(p_rank(delays, 50), p_rank(delays, 95))
            scored = [r for r in records if r.top_probability is not None]
            if scored:
                conf = [calibrate(self.calibration, r.top_probability or 0.0) for r in scored]
                right = sum(self.labels[r.prediction_id][1] for r in scored)
                gap = math.fsum(conf) / len(scored) - right / len(scored)
        ring_succ = self.successes()[-h.history :]
        coverage = (
            sum(c.prediction_id in self.label_values for c in ring_succ) / len(ring_succ)
            if ring_succ
            else None
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
            accuracy_interval=interval,
            estimated_accuracy=estimated,
            estimate_gap=gap,
            confusion=confusion,
            label_coverage=coverage,
            label_delay_seconds=delay,
            latency_ms=pct,
            error_rate=self.error_rate(),
            drift=drift,
            health_reason="",
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
    def replayed_stream(self) -> list[tuple[bool, int, int]]:
        """The label stream a restored monitor judges on: the window's labels, oldest first."""
        stream, hits = [], 0
        for i, (_, ok) in enumerate(self.window()):
            hits += ok
            stream.append((ok, hits, i + 1))
        return stream

    def forget_label_stream(self) -> None:
        """Judge from here on as a monitor restored now does."""
        self.stream = self.replayed_stream()

    def restore(self, now: float) -> ModelMonitor:
        """What the service would rebuild from the log at ``now`` (with the extended calls)."""
        h = self.sizes.history
        e = self.sizes.estimate
        succ_idx = [i for i, c in enumerate(self.calls) if c.error is None]
        prob_idx = [i for i in succ_idx if self.calls[i].top_probability is not None]
        ref, d = self.reference, self.sizes.drift
        feature_idx = [i for i in succ_idx if comparable(self.calls[i].features, ref)]
        start = min(
            max(0, len(self.calls) - h),
            succ_idx[-h] if len(succ_idx) >= h else 0,
            prob_idx[-e] if len(prob_idx) >= e else 0,
            feature_idx[-d] if len(feature_idx) >= d else 0,
        )
        recent = [
            replace(c, label=self.label_values.get(c.prediction_id) if c.error is None else None)
            for c in self.calls[start:]
        ]
        labelled = [
            replace(
                self.record_of(pid),
                label=self.label_values[pid],
                labelled_at=self.labelled_at[pid],
            )
            for (_, pid), _ in self.window()
        ]
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
            calibration=self.calibration,
            classes=self.classes,
            total_predictions=self.base_total + len(self.successes()),
            recent_calls=recent,
            recent_successes=[
                replace(c, label=self.label_values.get(c.prediction_id)) for c in self.successes()
            ],
            labelled=labelled,
            rate_timestamps=rate,
            **self.sizes.kwargs(),
        )

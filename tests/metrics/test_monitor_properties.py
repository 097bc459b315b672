"""Property tests: every number of ``ModelMonitor`` equals a brute-force recomputation."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from modelbeacon.metrics import (
    Calibration,
    DriftReference,
    HealthPolicy,
    MetricsSnapshot,
    ModelMonitor,
    PredictionRecord,
    StatusTransition,
)
from modelbeacon.metrics.psi import CategoricalReference, NumericReference
from tests.policies import health_policy

from .oracle import Oracle, Sizes

START = 1_700_000_000.0
# The monitor promises exact rates for a clock at most 300 s behind the latest time it saw.
MAX_BEHIND = 300.0
MAX_JITTER = 5.0
MIN_JUDGED = 20  # the largest min_labelled the setups use


@dataclass(frozen=True)
class Burst:
    """``count`` predict calls drawn from ``seed`` with these traits."""

    count: int
    seed: int
    error_pct: float
    label_pct: float
    correct_pct: float
    prob_pct: float
    feature_pct: float
    shift: float
    missing_pct: float
    latency_scale: float
    max_dt: float
    jitter: float


@dataclass(frozen=True)
class LateLabel:
    pick: float  # which earlier successful prediction, as a fraction of all of them
    value: int


@dataclass(frozen=True)
class Step:
    kind: str  # small | large | back
    amount: float


@dataclass(frozen=True)
class Look:
    kind: str  # evaluate | snapshot


@dataclass(frozen=True)
class Lifecycle:
    status: str
    with_at: bool


@dataclass(frozen=True)
class Check:
    pass


fractions = st.floats(0.0, 1.0, allow_nan=False)


def bursts(max_count: int, min_count: int = 1) -> st.SearchStrategy[Burst]:
    return st.builds(
        Burst,
        count=st.integers(min_count, max_count),
        seed=st.integers(0, 2**32),
        error_pct=st.sampled_from([0.0, 0.0, 0.02, 0.1, 0.3, 1.0]),
        label_pct=st.sampled_from([0.0, 0.3, 1.0]),
        correct_pct=st.sampled_from([0.5, 0.8, 0.84, 0.9, 1.0]),
        prob_pct=st.sampled_from([0.0, 0.5, 1.0, 1.0]),
        feature_pct=st.sampled_from([0.0, 0.5, 1.0, 1.0]),
        shift=st.sampled_from([0.0, 0.0, 0.3, 2.0]),
        missing_pct=st.sampled_from([0.0, 0.0, 0.05, 0.5]),
        latency_scale=st.sampled_from([1.0, 4.0, 10.0, 60.0]),
        max_dt=st.sampled_from([0.0, 0.05, 0.5, 3.0]),
        jitter=st.sampled_from([0.0, 0.0, 0.5, MAX_JITTER]),
    )


def operations(max_burst: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        bursts(max_burst),
        st.builds(LateLabel, pick=fractions, value=st.integers(0, 2)),
        st.builds(Step, kind=st.sampled_from(["small", "large", "back"]), amount=fractions),
        st.builds(Look, kind=st.sampled_from(["evaluate", "snapshot"])),
        st.builds(
            Lifecycle,
            status=st.sampled_from(["active", "active", "inactive", "ready", "failed"]),
            with_at=st.booleans(),
        ),
        st.just(Check()),
    )


REFERENCES = [
    None,
    DriftReference(
        (
            NumericReference("a", (-1.0, 0.0, 1.0), (0.2, 0.3, 0.3, 0.2)),
            NumericReference("b", (-0.5, 0.5), (0.3, 0.4, 0.3)),
            NumericReference("c", (0.0,), (0.5, 0.5)),  # a constant training feature
        )
    ),
    DriftReference(
        (
            NumericReference("a", tuple(x / 4 for x in range(-6, 7)), (1 / 14,) * 14),
            CategoricalReference("b", (0.0, 1.0), (0.45, 0.45, 0.1)),
            NumericReference("c", (2.0,), (0.9, 0.1)),
        )
    ),
    # an uploaded dataset's: missing bins, string categories, one numeric without a missing
    # bin (a vector missing it is not counted)
    DriftReference(
        (
            NumericReference("a", (-1.0, 0.0, 1.0), (0.2, 0.25, 0.25, 0.2, 0.1), missing=True),
            CategoricalReference("b", ("red", "blue"), (0.5, 0.3, 0.2)),
            NumericReference("c", (0.0,), (0.5, 0.5)),
        )
    ),
]
CALIBRATIONS = [
    None,
    Calibration("isotonic", (0.3, 0.5, 0.5, 0.9), (0.1, 0.4, 0.6, 0.97)),
    Calibration("sigmoid", a=-6.0, b=3.0),
]
CLASSES = [(), (0, 1, 2), (2, 0)]


@dataclass
class Setup:
    sizes: Sizes
    policy: HealthPolicy
    reference: DriftReference | None
    calibration: Calibration | None
    classes: tuple[Any, ...]
    base_total: int
    base_status: str


def setups(sizes: Sizes) -> st.SearchStrategy[Setup]:
    return st.builds(
        Setup,
        sizes=st.just(sizes),
        policy=st.builds(
            lambda min_labelled, errors: health_policy(
                min_labelled=min_labelled,
                latency_p95_warning_ms=8.0,
                latency_p95_critical_ms=40.0,
                error_rate_warning=errors[0],
                error_rate_critical=errors[1],
            ),
            st.sampled_from([0, 10, 20]),
            # (0, x): a single failure in the ring already warns, so the moment the last one
            # leaves the ring is visible in health.
            st.sampled_from([(0.05, 0.2), (0.0, 0.02), (0.0, 0.5)]),
        ),
        reference=st.sampled_from(REFERENCES),
        calibration=st.sampled_from(CALIBRATIONS),
        classes=st.sampled_from(CLASSES),
        base_total=st.sampled_from([0, 12345]),
        base_status=st.sampled_from(["ready", "active"]),
    )


def _shape(transitions: list[StatusTransition], model_id: str) -> list[tuple[str, ...]]:
    assert all(t.model_id == model_id and t.reason for t in transitions)
    return [(t.old_status, t.new_status, t.old_health, t.new_health) for t in transitions]


def assert_same(got: MetricsSnapshot, want: MetricsSnapshot, *, reason: bool = True) -> None:
    """Equal in every number; the reason is only checked to name the evidence."""
    assert replace(got, health_reason="") == want
    assert got.same_numbers(replace(want, health_reason=got.health_reason))
    shown = got.as_dict()
    assert shown.pop("health_reason") == got.health_reason
    assert shown == {k: v for k, v in want.as_dict().items() if k != "health_reason"}
    if not reason:
        return
    assert "accuracy " in got.health_reason
    if got.accuracy_window and got.accuracy_window >= MIN_JUDGED:
        assert f"accuracy {got.current_accuracy:.3f} [" in got.health_reason


class Run:
    """Feeds the same events to a ``ModelMonitor`` and an ``Oracle`` and compares them."""

    def __init__(self, setup: Setup) -> None:
        deployed_at = START - 100.0 if setup.base_status == "active" else None
        self.monitor = ModelMonitor(
            "m1",
            setup.policy,
            base_status=setup.base_status,
            deployed_at=deployed_at,
            reference=setup.reference,
            calibration=setup.calibration,
            classes=setup.classes,
            total_predictions=setup.base_total,
            **setup.sizes.kwargs(),
        )
        self.oracle = Oracle(
            "m1",
            setup.policy,
            setup.sizes,
            reference=setup.reference,
            calibration=setup.calibration,
            classes=setup.classes,
            base_status=setup.base_status,
            deployed_at=deployed_at,
            base_total=setup.base_total,
        )
        self.reference = setup.reference
        self.clock = START
        self.high_water = START
        self.next_id = 0
        self.snapshots = 0

    def expect_same_transitions(self, got: list[StatusTransition], want: list[Any]) -> None:
        assert _shape(got, "m1") == want
        for old_status, new_status, old_health, new_health in want:
            event(f"transition {old_status}/{old_health} -> {new_status}/{new_health}")
        assert (self.monitor.status, self.monitor.health) == (
            self.oracle.status,
            self.oracle.health,
        )

    def apply(self, op: Any) -> None:
        if isinstance(op, Burst):
            self.burst(op)
        elif isinstance(op, LateLabel):
            self.late_label(op)
        elif isinstance(op, Step):
            self.step(op)
        elif isinstance(op, Look):
            self.look(op.kind)
        elif isinstance(op, Lifecycle):
            at = self.clock if op.with_at else None
            got = self.monitor.set_base_status(op.status, at=at)
            self.expect_same_transitions(got, self.oracle.set_base_status(op.status, at))
        else:
            assert self.monitor.recompute_check() == []

    def burst(self, op: Burst) -> None:
        rng = random.Random(op.seed)
        for _ in range(op.count):
            self.clock += rng.uniform(0.0, op.max_dt)
            self.high_water = max(self.high_water, self.clock)
            self.next_id += 1
            # Random-looking ids so that equal timestamps order differently from arrival.
            pid = f"{rng.getrandbits(20):05x}-{self.next_id}"
            timestamp = self.clock - rng.uniform(0.0, op.jitter)
            latency = op.latency_scale * rng.lognormvariate(0.0, 0.6)
            if rng.random() < op.error_pct:
                record = PredictionRecord(pid, timestamp, latency, error="boom")
            else:
                prediction = rng.randrange(3)
                label = None
                if rng.random() < op.label_pct:
                    wrong = (prediction + 1 + rng.randrange(2)) % 3
                    label = prediction if rng.random() < op.correct_pct else wrong
                features: tuple[float, ...] | None = None
                if rng.random() < op.feature_pct:
                    width = 3 if rng.random() < 0.95 else 2
                    features = tuple(self.feature_value(rng, op, j) for j in range(width))
                probability = rng.uniform(0.3, 1.0) if rng.random() < op.prob_pct else None
                record = PredictionRecord(
                    pid, timestamp, latency, prediction, probability, features, label
                )
            got = self.monitor.record_call(record)
            self.expect_same_transitions(got, self.oracle.call(record))

    def feature_value(self, rng: random.Random, op: Burst, j: int) -> Any:
        """A number, or for a categorical feature a category or an unseen value; missing at
        ``op.missing_pct``."""
        if rng.random() < op.missing_pct:
            return None
        feature = self.reference.features[j] if self.reference is not None else None
        if isinstance(feature, CategoricalReference):
            return rng.choice([*feature.categories, "unseen"])
        return rng.gauss(op.shift, 1.0)

    def late_label(self, op: LateLabel) -> None:
        successes = self.oracle.successes()
        if not successes:
            return
        target = successes[min(len(successes) - 1, int(op.pick * len(successes)))]
        pid = target.prediction_id
        # Like the service: a repeated label is the same label (a different one is a 409).
        value = self.oracle.label_values.get(pid, op.value)
        in_ring = any(c.prediction_id == pid for c in successes[-self.oracle.sizes.history :])
        assert (self.monitor.lookup(pid) is not None) == in_ring
        event("late label in ring" if in_ring else "late label evicted from ring")
        got = self.monitor.record_label(target, value, self.clock)
        self.expect_same_transitions(got, self.oracle.label(pid, value, self.clock))
        if in_ring:
            record = self.monitor.lookup(pid)
            assert record is not None and record.label == value

    def step(self, op: Step) -> None:
        if op.kind == "small":
            self.clock += op.amount * 10.0
        elif op.kind == "large":
            self.clock += 60.0 + op.amount * 2000.0
        else:
            allowed = max(0.0, self.clock - (self.high_water - MAX_BEHIND))
            self.clock -= op.amount * allowed
        self.high_water = max(self.high_water, self.clock)

    def look(self, kind: str) -> None:
        self.snapshots += 1
        if kind == "evaluate":
            got, transitions = self.monitor.evaluate(self.clock)
            want, expected = self.oracle.evaluate(self.clock)
            self.expect_same_transitions(transitions, expected)
        else:
            got = self.monitor.snapshot(self.clock)
            want = self.oracle.snapshot(self.clock)
        assert_same(got, want)
        # Coverage report for --hypothesis-show-statistics: are the interesting cases reached?
        event(f"snapshot health {got.model_health}, status {got.status}")
        for name, direction in got.trend.items():
            if direction != "flat":
                event(f"trend {name} {direction}")
        if got.drift_score is not None:
            event("drift scored")
        if got.accuracy_window == self.oracle.sizes.accuracy:
            event("accuracy window full")
        if len(self.oracle.successes()) > self.oracle.sizes.history:
            event("successes ring wrapped")
        if got.drift is not None and any(f.level == "significant" for f in got.drift.features):
            event("a feature drifted significantly")
        if got.estimate_gap is not None:
            event("estimate gap measured")

    def check_restore(self) -> None:
        """A restored monitor has every number of the live one; its health is judged again
        from the window's labels alone, as the oracle replays them."""
        restored = self.oracle.restore(self.clock)
        assert restored.total_predictions == self.monitor.total_predictions
        got = restored.snapshot(self.clock)
        want = self.monitor.evaluate(self.clock)[0]
        ignored = {"status": "", "model_health": "unknown", "health_reason": ""}
        assert_same(replace(got, **ignored), replace(want, **ignored), reason=False)
        self.oracle.forget_label_stream()
        self.oracle.cached_p95 = self.monitor.evaluate(self.clock)[0].latency_ms.p95
        self.oracle._settle()
        assert (got.status, got.model_health) == (self.oracle.status, self.oracle.health)


SMALL = Sizes(history=60, accuracy=24, estimate=24, drift=130)
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]


@settings(max_examples=400, deadline=None, suppress_health_check=SLOW)
@given(setups(SMALL), st.lists(operations(max_burst=90), max_size=40))
def test_monitor_small_windows_match_oracle(setup: Setup, ops: list[Any]) -> None:
    run = Run(setup)
    for op in ops:
        run.apply(op)
    run.look("evaluate")
    run.check_restore()


@settings(max_examples=30, deadline=None, suppress_health_check=SLOW)
@given(
    setups(Sizes()),
    bursts(min_count=900, max_count=2500),
    st.lists(operations(max_burst=1500), min_size=3, max_size=14),
)
def test_monitor_default_windows_match_oracle(setup: Setup, warm_up: Burst, ops: list[Any]) -> None:
    """The real window sizes (1000/100/100/1000), with the rings full from the start."""
    run = Run(setup)
    for op in [warm_up, *ops]:
        run.apply(op)
    run.look("evaluate")
    run.check_restore()


@settings(max_examples=150, deadline=None, suppress_health_check=SLOW)
@given(setups(SMALL), st.lists(operations(max_burst=90), max_size=30), st.data())
def test_monitor_restore_mid_run_continues_like_live(
    setup: Setup, ops: list[Any], data: st.DataObject
) -> None:
    """A monitor restored mid-run and fed the same later events stays equal to the live one."""
    run = Run(setup)
    for op in ops:
        run.apply(op)
    restored = run.oracle.restore(run.clock)
    # Both judge health on the same p95 from here on, and on the labels a restore replays.
    run.look("evaluate")
    run.oracle.forget_label_stream()
    restored.evaluate(run.clock)
    run.oracle.evaluate(run.clock)
    run.monitor = restored
    for op in data.draw(st.lists(operations(max_burst=90), max_size=10)):
        run.apply(op)
    run.look("evaluate")


@settings(max_examples=60, deadline=None, suppress_health_check=SLOW)
@given(setups(SMALL), st.lists(operations(max_burst=90), max_size=30))
def test_monitor_restore_from_last_calls_only_keeps_call_numbers(
    setup: Setup, ops: list[Any]
) -> None:
    """With only the last ``history_size`` calls (the minimal contract) the numbers that do
    not depend on older successes still match."""
    run = Run(setup)
    for op in ops:
        run.apply(op)
    oracle, h = run.oracle, setup.sizes.history
    recent = oracle.calls[-h:]
    restored = ModelMonitor.restore(
        "m1",
        setup.policy,
        base_status=oracle.base_status,
        deployed_at=oracle.deployed_at,
        reference=setup.reference,
        calibration=setup.calibration,
        total_predictions=run.monitor.total_predictions,
        recent_calls=recent,
        labelled=[],
        rate_timestamps=[c.timestamp for c in oracle.successes()],
        **setup.sizes.kwargs(),
    )
    got = restored.snapshot(run.clock)
    want = run.monitor.evaluate(run.clock)[0]
    assert got.error_rate == want.error_rate
    assert got.trend["error_rate"] == want.trend["error_rate"]
    assert got.predictions_per_minute == want.predictions_per_minute
    assert got.total_predictions == want.total_predictions
    assert got.current_accuracy is None and got.accuracy_window == 0

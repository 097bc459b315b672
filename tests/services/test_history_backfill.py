"""History backfill: the points of past steps, recomputed after predictions are logged with
earlier timestamps, equal a brute-force computation over the log at each step T (predictions
with ``timestamp <= T``, labels with ``labelled_at <= T``). Real databases (SQLite and
PostgreSQL); the end-to-end tests run the real app and lifespan with a pinned clock.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelbeacon.inputs import FeatureSpec
from modelbeacon.metrics import ModelMonitor
from modelbeacon.metrics.history_point import HistoryPoint
from modelbeacon.prediction import PredictionRecord
from modelbeacon.services.catalog import LiveModel
from modelbeacon.services.container import Services
from modelbeacon.services.history_backfill import HistoryReplay, StepRange
from modelbeacon.storage.database import Database, create_db_engine, migrate
from modelbeacon.storage.history_repository import MetricsHistoryRepository
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.storage.records import RegisteredFields
from tests.logged_oracle import nearest_rank
from tests.logged_oracle import wilson as wilson_bounds
from tests.policies import health_policy

CLASSES = [0, 1, 2]
STEP = 5.0  # the default history step
SPAN = 600.0  # the past window a batch's timestamps spread over


# ---- the brute-force oracle -----------------------------------------------------------------
@dataclass
class Logged:
    """One logged prediction, and its label once given (``labelled_at`` = when)."""

    prediction_id: str
    timestamp: float
    prediction: int
    top: float
    latency_ms: float | None
    label: int | None = None
    labelled_at: float | None = None


def wilson(hits: int, n: int) -> tuple[float, float]:
    """The Wilson interval as a history point stores it, ``(low, high)``."""
    bounds = wilson_bounds(hits, n)
    return (bounds["low"], bounds["high"])


def expected(records: Iterable[Logged], at: float) -> dict[str, Any]:
    """A monitored model's charted numbers at ``at`` over what the log held then."""
    made = sorted((r for r in records if r.timestamp <= at), key=lambda r: r.timestamp)
    labelled = sorted(
        (
            r
            for r in made
            if r.label is not None and r.labelled_at is not None and r.labelled_at <= at
        ),
        key=lambda r: (r.timestamp, r.prediction_id),
    )[-100:]
    latencies = [r.latency_ms for r in made[-1000:] if r.latency_ms is not None]
    tops = [r.top for r in made][-100:]
    hits = sum(r.label == r.prediction for r in labelled)
    return {
        "predictions_per_minute": sum(at - 60 < r.timestamp for r in made),
        "current_accuracy": hits / len(labelled) if labelled else None,
        "accuracy_interval": wilson(hits, len(labelled)) if labelled else None,
        "estimated_accuracy": math.fsum(tops) / len(tops) if tops else None,
        "latency_p95_ms": nearest_rank(latencies, 95) if latencies else None,
        "error_rate": None,
    }


def same(got: Any, want: Any) -> bool:
    if isinstance(want, tuple | list):
        if not isinstance(got, tuple | list) or len(got) != len(want):
            return False
        return all(same(g, w) for g, w in zip(got, want, strict=True))
    if isinstance(want, float):
        return isinstance(got, float) and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
    return bool(got == want)


def assert_numbers(got: dict[str, Any], records: Iterable[Logged], at: float) -> None:
    want = expected(records, at)
    wrong = {name: (got[name], value) for name, value in want.items() if not same(got[name], value)}
    assert not wrong, f"at {at}: (got, want) {wrong}"


def traffic(rng: random.Random, count: int, start: float, late_share: float) -> list[Logged]:
    """``count`` predictions at distinct times in ``[start, start + SPAN)``: a third labelled
    inline, ``late_share`` labelled up to 5 minutes later, the rest never."""
    offsets = rng.sample(range(int(SPAN * 1e6)), count)
    records = []
    for n, offset in enumerate(offsets):
        ts = start + offset / 1e6
        prediction = rng.choice(CLASSES)
        record = Logged(
            prediction_id=f"p{rng.getrandbits(64):x}-{n}",
            timestamp=ts,
            prediction=prediction,
            top=rng.uniform(0.34, 0.99),
            latency_ms=None if rng.random() < 0.1 else round(rng.uniform(1.0, 80.0), 3),
        )
        draw = rng.random()
        if draw < 1 / 3 + late_share:
            record.label = prediction if rng.random() < 0.8 else rng.choice(CLASSES)
            record.labelled_at = ts if draw < 1 / 3 else ts + rng.uniform(0.0, 300.0)
        records.append(record)
    return records


# ---- the replay against the oracle ---------------------------------------------------------
def _prediction(model_id: int, record: Logged) -> PredictionRecord:
    others = (1.0 - record.top) / 2
    return PredictionRecord(
        # Ids are unique across models: an example hypothesis runs twice logs them again.
        prediction_id=f"{model_id}-{record.prediction_id}",
        timestamp=record.timestamp,
        latency_ms=record.latency_ms,
        prediction=record.prediction,
        top_probability=record.top,
        features=(5.0, 3.0, 4.0, 1.0),
        label=record.label,
        model_id=model_id,
        model_version=1,
        probabilities={str(c): record.top if c == record.prediction else others for c in CLASSES},
        labelled_at=record.labelled_at,
    )


def _replayed(database: Database, records: list[Logged], step: float, steps: StepRange) -> Any:
    stored = ModelRepository(database).create_registered(
        RegisteredFields(f"m{time.monotonic_ns()}", tuple(FeatureSpec(f"x{i}") for i in range(4)),
                         tuple(CLASSES)),
        0.0,
    )  # fmt: skip
    log = PredictionRepository(database)
    arrivals = records[:]
    random.Random(len(records)).shuffle(arrivals)  # arrival order matters for nothing here
    log.insert_new([_prediction(stored.id, r) for r in arrivals])
    monitor = ModelMonitor(str(stored.id), health_policy(), base_status="monitored")
    replay = HistoryReplay(log, LiveModel(record=stored, monitor=monitor), step, steps)
    middle = (steps.first + steps.last) // 2
    return [replay.start(), *replay.advance(middle), *replay.advance(steps.last)]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(1, 400),
    late_share=st.sampled_from([0.0, 0.3, 0.6]),
    step=st.sampled_from([1.0, 5.0]),
    first_at=st.floats(-0.1, 0.9),
)
def test_replayed_points_equal_the_log_at_each_step(
    database_url: str, seed: int, count: int, late_share: float, step: float, first_at: float
) -> None:
    engine = create_db_engine(database_url)
    try:
        migrate(engine)
        rng = random.Random(seed)
        start = 1_790_000_000.0 + rng.uniform(0, 1000)
        records = traffic(rng, count, start, late_share)
        # From before the first prediction, or from within them (the monitor then restored as
        # of that step), to past the minute after the last one.
        steps = StepRange(
            math.floor((start + first_at * SPAN) / step),
            math.floor((start + SPAN + 90) / step),
        )
        points: list[HistoryPoint] = _replayed(Database(engine), records, step, steps)
    finally:
        engine.dispose()

    assert [p.at for p in points] == [n * step for n in range(steps.first, steps.last + 1)]
    for point in points:
        got = point.as_dict()
        got["accuracy_interval"] = point.accuracy_interval
        assert_numbers(got, records, point.at)


# ---- end to end: logging a past batch rewrites the points it spans ---------------------------
def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="microseconds")


def unix(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


class PinnedClock:
    """The app's clock: stands still at ``now`` until a test moves it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def as_json(record: Logged, *, inline_label: bool) -> dict[str, Any]:
    others = (1.0 - record.top) / 2
    body: dict[str, Any] = {
        "prediction_id": record.prediction_id,
        "timestamp": iso(record.timestamp),
        "features": [5.1, 3.5, 1.4, 0.2],
        "prediction": record.prediction,
        "probabilities": {
            str(c): record.top if c == record.prediction else others for c in CLASSES
        },
        "latency_ms": record.latency_ms,
    }
    if inline_label:
        body["label"] = record.label
    return body


def on_the_wire(records: list[Logged]) -> list[Logged]:
    """The records with their timestamps as the server reads them back from the ISO text."""
    for record in records:
        record.timestamp = unix(iso(record.timestamp))
        if record.labelled_at is not None and record.label is not None:
            record.labelled_at = record.timestamp
    return records


async def log(client: httpx.AsyncClient, model_id: str, records: list[Logged]) -> int:
    body = {"records": [as_json(r, inline_label=r.labelled_at == r.timestamp) for r in records]}
    response = await client.post(f"/api/models/{model_id}/predictions", json=body)
    assert response.status_code == 201, response.text
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    await asyncio.wait_for(services.history.backfilled(), 30)
    logged: int = response.json()["logged"]
    return logged


async def history(client: httpx.AsyncClient, model_id: str) -> dict[float, dict[str, Any]]:
    response = await client.get(f"/api/models/{model_id}/metrics/history?seconds=86400")
    assert response.status_code == 200, response.text
    return {unix(point["timestamp"]): point for point in response.json()["points"]}


def sentinel(at: float) -> HistoryPoint:
    return HistoryPoint(at, 999, None, None, None, None, None, None, "unknown")


def interval_of(point: dict[str, Any]) -> dict[str, Any]:
    bounds = point["accuracy_interval"]
    return {
        **point,
        "accuracy_interval": None if bounds is None else (bounds["low"], bounds["high"]),
    }


def step_range(records: Iterable[Logged]) -> tuple[float, float]:
    """The first and last step a batch of ``records`` changes (capped at nothing)."""
    times = [r.timestamp for r in records]
    return (
        math.floor(min(times) / STEP) * STEP,
        math.floor((max(times) + 60.0) / STEP) * STEP,
    )


async def register(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/api/models/register", json={"name": "ext", "reference_dataset": "iris"}
    )
    assert response.status_code == 201, response.text
    model_id: str = response.json()["id"]
    return model_id


async def test_logging_a_past_batch_rewrites_the_points_it_spans_and_no_others(
    client_factory: Callable[..., Any], database_url: str
) -> None:
    now = math.floor(time.time() / STEP) * STEP + 2.5
    clock = PinnedClock(now)
    rng = random.Random(7)
    start = now - 7200.0 + 0.25
    first = on_the_wire(traffic(rng, 240, start, late_share=0.0))
    # The second batch reaches a second past the first at both ends, in the same window.
    second = on_the_wire(traffic(rng, 120, start, late_share=0.0))
    for record, ts in zip(
        second,
        (min(r.timestamp for r in first) - 1.0, max(r.timestamp for r in first) + 1.0),
        strict=False,
    ):
        record.timestamp = unix(iso(ts))
        record.labelled_at = None if record.label is None else record.timestamp
    first_steps, second_steps = step_range(first), step_range(second)
    outside = [second_steps[0] - 10 * STEP, second_steps[0] - STEP, second_steps[1] + STEP,
               now - 600.0]  # fmt: skip
    inside = [first_steps[0], first_steps[0] + 50 * STEP, first_steps[1]]

    engine = create_db_engine(database_url)
    async with client_factory(clock=clock) as client:
        model_id = await register(client)
        points_repo = MetricsHistoryRepository(Database(engine))
        points_repo.append([(int(model_id), sentinel(at)) for at in outside + inside])
        before = await history(client, model_id)

        assert await log(client, model_id, first) == len(first)
        points = await history(client, model_id)
        steps = [at for at in points if first_steps[0] <= at <= first_steps[1]]
        assert len(steps) == round((first_steps[1] - first_steps[0]) / STEP) + 1
        for at in steps:
            assert_numbers(interval_of(points[at]), first, at)
        assert {at: p for at, p in points.items() if at not in steps} == {
            at: p for at, p in before.items() if at not in steps
        }

        # Labels given two hours ago, a few minutes into the window, for half the unlabelled.
        labels_at = unix(iso(start + 200.0))
        clock.now = labels_at
        given = [r for r in first if r.label is None][::2]
        for record in given:
            record.label, record.labelled_at = rng.choice(CLASSES), labels_at
        response = await client.post(
            "/api/feedback",
            json={"labels": [{"prediction_id": r.prediction_id, "label": r.label} for r in given]},
        )
        assert all(item["status"] == "accepted" for item in response.json()["results"])
        clock.now = now
        await labels_written(PredictionRepository(Database(engine)), given)

        # The second batch's backfill replays those labels where they were given.
        assert await log(client, model_id, second) == len(second)
        points = await history(client, model_id)
        steps = [at for at in points if second_steps[0] <= at <= second_steps[1]]
        assert len(steps) == round((second_steps[1] - second_steps[0]) / STEP) + 1
        for at in steps:
            assert_numbers(interval_of(points[at]), first + second, at)
        assert {at: points[at] for at in outside} == {at: before[at] for at in outside}

        # Logging the same records again is a no-op: no point changes.
        assert await log(client, model_id, second) == 0
        assert await log(client, model_id, first[:5]) == 0
        assert await history(client, model_id) == points
    engine.dispose()


async def labels_written(log: PredictionRepository, given: list[Logged]) -> None:
    """Wait for the log writer to store the feedback labels (it writes behind)."""
    deadline = time.monotonic() + 10.0
    while True:
        stored = await asyncio.to_thread(log.get_many, [r.prediction_id for r in given])
        if all(stored[r.prediction_id].labelled_at is not None for r in given):
            return
        assert time.monotonic() < deadline, "feedback labels were never written"
        await asyncio.sleep(0.05)


async def test_a_batch_rewrites_points_up_to_the_current_step_only(
    client_factory: Callable[..., Any], database_url: str
) -> None:
    now = math.floor(time.time() / STEP) * STEP + 2.5
    current = now - 2.5
    async with client_factory(clock=PinnedClock(now)) as client:
        model_id = await register(client)
        # Within the current step: no point taken so far can have missed it.
        fresh = traffic(random.Random(3), 20, current, late_share=0.0)
        for n, record in enumerate(fresh):
            record.timestamp = current + 0.5 + n * 0.05
        on_the_wire(fresh)
        assert await log(client, model_id, fresh) == 20
        assert await history(client, model_id) == {}

        # A moment before it: the step it falls in, and the current one, not the next.
        late = traffic(random.Random(4), 1, current, late_share=0.0)
        late[0].timestamp = current - 0.5
        on_the_wire(late)
        assert await log(client, model_id, late) == 1
        points = await history(client, model_id)
        assert sorted(points) == [current - STEP, current]
        # None ahead of now, where the step loop would find its steps taken.
        engine = create_db_engine(database_url)
        stored = MetricsHistoryRepository(Database(engine)).between(int(model_id), 0, now + 3600)
        engine.dispose()
        assert [point.at for point in stored] == [current - STEP, current]
        assert_numbers(interval_of(points[current]), late, current)
        assert points[current]["predictions_per_minute"] == 1

"""The live numbers of a model served elsewhere equal a brute-force oracle of what was logged.

Every window places a logged prediction by its own timestamp, whatever order the records came
in; a late label lands where its prediction's timestamp puts it. The app runs in process with
its real lifespan on a real database (SQLite and PostgreSQL) and a pinned clock, so the oracle
is evaluated at exactly the time the server computed its numbers.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, example, given, note, settings
from hypothesis import strategies as st

from tests.logged_oracle import (
    FIELDS,
    LoggedOracle,
    PinnedClock,
    assert_matches_oracle,
    give_labels,
    iso,
    log_batch,
    logged_history,
    realtime,
    register,
    unix,
)

CLASSES = [0, 1, 2]
# Iris's ranges, a little wider, at one decimal as the dataset has them (so values often sit
# on a decile edge of the reference, which drift puts in the bin on its right).
RANGES = [(4.0, 8.2), (1.8, 4.6), (0.8, 7.2), (0.0, 2.7)]
INVALID_LABELS = [7, -1, "setosa", True, None]


def now_second() -> float:
    """A recent whole second: timestamps offset from it in milliseconds are exact."""
    return float(int(time.time()))


@dataclass(frozen=True)
class Knobs:
    """The shape of one scenario; ``random.Random`` fills in the bulk from it."""

    n: int
    inline: int  # percent of records labelled inline
    later: int  # percent labelled through feedback afterwards
    accuracy: int  # percent of labels that are right
    with_probabilities: int  # percent
    with_latency: int  # percent
    batches: int
    repeats: int  # records sent again (some altered) in a later or the same batch
    feedback_batches: int
    feedback_after: int  # seconds after logging
    evaluate_after: int  # seconds after the feedback (at most 240 s after logging)
    on_the_boundaries: bool  # a record exactly at now - 60 (out) and at now (in)
    shift: float  # moves the features away from iris: drift
    missing: int  # percent of records with a feature value missing (drift's missing bin)


knobs = st.builds(
    Knobs,
    n=st.integers(300, 600),
    inline=st.integers(10, 60),
    later=st.integers(10, 60),
    accuracy=st.integers(0, 100),
    with_probabilities=st.sampled_from([0, 40, 100]),
    with_latency=st.sampled_from([0, 50, 100]),
    batches=st.integers(1, 6),
    repeats=st.integers(0, 15),
    feedback_batches=st.integers(1, 3),
    feedback_after=st.integers(0, 200),
    evaluate_after=st.integers(0, 40),
    on_the_boundaries=st.booleans(),
    shift=st.sampled_from([0.0, 0.5, 2.0]),
    missing=st.sampled_from([0, 5]),
)


@dataclass
class Scenario:
    """What a caller sends: batches of records (with repeats), then batches of labels."""

    batches: list[list[dict[str, Any]]]
    labels: list[list[tuple[str, Any]]]
    feedback_at: float
    evaluate_at: float


def other_class(rng: random.Random, value: int) -> int:
    return rng.choice([c for c in CLASSES if c != value])


def probabilities(rng: random.Random) -> dict[str, float]:
    """Three probabilities in thousandths that sum to 1."""
    first = rng.randint(0, 1000)
    second = rng.randint(0, 1000 - first)
    parts = [first, second, 1000 - first - second]
    rng.shuffle(parts)
    return {str(c): p / 1000 for c, p in zip(CLASSES, parts, strict=True)}


def build_scenario(k: Knobs, rng: random.Random, start: float, prefix: str) -> Scenario:
    """Records over the 30 minutes before ``start`` (a few up to 4 minutes after it: ahead of
    the server's clock, which is allowed), logged at ``start`` in shuffled batches."""
    feedback_at = start + k.feedback_after
    evaluate_at = feedback_at + k.evaluate_after
    offsets = rng.sample(range(-1_800_000, 240_000), k.n)  # distinct milliseconds
    if k.on_the_boundaries:
        edge = round((evaluate_at - start) * 1000)
        offsets = [o for o in offsets if o not in (edge, edge - 60_000)][: k.n - 2]
        offsets += [edge - 60_000, edge]
    records, later = [], []
    for i, offset in enumerate(offsets):
        prediction = rng.choice(CLASSES)
        truth = prediction if rng.randrange(100) < k.accuracy else other_class(rng, prediction)
        record: dict[str, Any] = {
            "prediction_id": f"{prefix}-{i}",
            "timestamp": iso(start + offset / 1000),
            "features": [round(rng.uniform(lo, hi) + k.shift, 1) for lo, hi in RANGES],
            "prediction": prediction,
        }
        if rng.randrange(100) < k.with_probabilities:
            record["probabilities"] = probabilities(rng)
        if rng.randrange(100) < k.missing:
            record["features"][rng.randrange(len(RANGES))] = None
        if rng.randrange(100) < k.with_latency:
            record["latency_ms"] = round(math.exp(rng.uniform(0.0, 6.0)), 3)
        # the first two records of each kind make every feedback status possible
        kind = rng.randrange(100)
        if i < 2 or (i >= 4 and kind < k.inline):
            record["label"] = truth
        elif i < 4 or kind < k.inline + k.later:
            later.append((record["prediction_id"], truth))
        records.append(record)

    sent = list(records)
    for record in rng.sample(records, k.repeats):
        again = dict(record)
        if rng.random() < 0.5:  # a repeat that says something else is a no-op all the same
            again["prediction"] = other_class(rng, record["prediction"])
        sent.insert(rng.randrange(len(sent) + 1), again)
    rng.shuffle(sent)
    cuts = sorted(rng.sample(range(1, len(sent)), k.batches - 1))
    batches = [sent[a:b] for a, b in itertools.pairwise([0, *cuts, len(sent)])]

    labelled = [(r["prediction_id"], r["label"]) for r in records if "label" in r]
    extra = [
        *labelled[:1],  # the same label again: unchanged
        *((pid, other_class(rng, label)) for pid, label in labelled[1:2]),  # conflict
        (f"{prefix}-never-logged", 0),  # not_found
        *((r["prediction_id"], rng.choice(INVALID_LABELS)) for r in rng.sample(records, 2)),
    ]
    extra += rng.sample(later, min(len(later), 3))  # given twice: unchanged the second time
    items = later + extra
    rng.shuffle(items)
    cuts = sorted(rng.sample(range(1, len(items)), min(k.feedback_batches, len(items)) - 1))
    labels = [items[a:b] for a, b in itertools.pairwise([0, *cuts, len(items)])]
    return Scenario(batches, labels, feedback_at, evaluate_at)


# Prediction ids are unique across the examples, which share one database.
_examples = itertools.count()


# The full case: 600 records, all with probabilities and latencies, labels at both ends.
FULL = Knobs(600, 40, 40, 85, 100, 100, 5, 15, 3, 120, 30, True, 0.5, 5)


@given(k=knobs, seed=st.integers(0, 2**32 - 1))
@example(k=FULL, seed=1)
@settings(
    max_examples=6,
    deadline=None,
    database=None,
    # Each example takes seconds: a failure is reported as drawn, not shrunk for minutes.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
async def test_logged_numbers_equal_the_oracle_of_the_records_own_timestamps(
    client_factory: Callable[..., Any], k: Knobs, seed: int
) -> None:
    rng = random.Random(seed)
    start = now_second()
    clock = PinnedClock(start)
    scenario = build_scenario(k, rng, start, f"ex{next(_examples)}")
    note(f"{k}, seed {seed}, at {start}")
    async with client_factory(clock=clock) as client:
        model = await register(client, name="elsewhere", reference_dataset="iris")
        model_id = model["id"]
        reference = (await client.get(f"/api/models/{model_id}/reference")).json()
        oracle = LoggedOracle(CLASSES, reference)

        for batch in scenario.batches:
            body = await log_batch(client, model_id, batch)
            assert body["prediction_ids"] == [r["prediction_id"] for r in batch]
            assert body["logged"] == oracle.log(batch)

        clock.now = scenario.feedback_at
        statuses = []
        for labels in scenario.labels:
            got = await give_labels(client, labels)
            assert got == oracle.feedback(labels, scenario.feedback_at), labels
            statuses += got
        assert set(statuses) == {"accepted", "unchanged", "conflict", "not_found", "invalid"}

        clock.now = scenario.evaluate_at
        metrics = await realtime(client, model_id)
        assert metrics["computed_at"] == iso(scenario.evaluate_at)
        assert metrics["status"] in ("monitored", "degraded")
        assert_matches_oracle(metrics, oracle, scenario.evaluate_at)

        history = await logged_history(client, model_id)
        newest_first = oracle.by_time()[::-1]
        assert [p["prediction_id"] for p in history] == [r.prediction_id for r in newest_first]
        assert [p["label"] for p in history] == [r.label for r in newest_first]
        assert [p["prediction"] for p in history] == [r.prediction for r in newest_first]


async def test_windows_of_1000_take_the_latest_by_timestamp_not_the_latest_logged(
    client_factory: Callable[..., Any],
) -> None:
    """1300 records in shuffled order: latency, coverage and drift use the 1000 latest by
    time, the estimate the 100 latest with probabilities; a label for one of the 300 oldest
    (no longer in memory) still lands in the accuracy window by its timestamp."""
    rng = random.Random(7)
    start = now_second()
    clock = PinnedClock(start)
    records = []
    for i, offset in enumerate(rng.sample(range(-1_800_000, 60_000), 1300)):
        record: dict[str, Any] = {
            "prediction_id": f"wide-{i}",
            "timestamp": iso(start + offset / 1000),
            "features": [
                round(rng.uniform(lo, hi) + (1.0 if i % 2 else 0.0), 1) for lo, hi in RANGES
            ],
            "prediction": rng.choice(CLASSES),
        }
        if i % 3:
            record["probabilities"] = probabilities(rng)
        if i % 4:
            record["latency_ms"] = round(rng.uniform(1.0, 500.0), 2)
        if i % 5 == 0:
            record["label"] = rng.choice(CLASSES)
        records.append(record)
    rng.shuffle(records)
    async with client_factory(clock=clock) as client:
        model = await register(client, name="wide", reference_dataset="iris")
        reference = (await client.get(f"/api/models/{model['id']}/reference")).json()
        oracle = LoggedOracle(CLASSES, reference)
        for batch in (records[:650], records[650:]):
            assert (await log_batch(client, model["id"], batch))["logged"] == oracle.log(batch)

        by_time = oracle.by_time()
        oldest_unlabelled = [r for r in by_time[:300] if r.label is None][:50]
        newest_unlabelled = [r for r in by_time[-200:] if r.label is None][:50]
        labels = [(r.prediction_id, r.prediction) for r in oldest_unlabelled + newest_unlabelled]
        clock.now = start + 30
        assert await give_labels(client, labels) == oracle.feedback(labels, clock.now)
        assert_matches_oracle(await realtime(client, model["id"]), oracle, clock.now)

        # Labels on the oldest predictions, all right: not among the 100 latest labelled,
        # they leave the accuracy window as it was.
        before = await realtime(client, model["id"])
        labels = [(r.prediction_id, r.prediction) for r in by_time[:300] if r.label is None]
        assert set(await give_labels(client, labels)) == {"accepted"}
        oracle.feedback(labels, clock.now)
        after = await realtime(client, model["id"])
        assert_matches_oracle(after, oracle, clock.now)
        for name in ("current_accuracy", "accuracy_window", "confusion", "label_coverage"):
            assert after[name] == before[name], name


def spread(
    prefix: str,
    start: float,
    seconds: tuple[int, int],
    count: int,
    rng: random.Random,
    *,
    right: float = 1.0,
    labelled: bool = True,
) -> list[dict[str, Any]]:
    """``count`` records at distinct milliseconds in ``start + [seconds)``, each with
    probabilities and a latency, labelled inline (right with probability ``right``)."""
    offsets = rng.sample(range(seconds[0] * 1000, seconds[1] * 1000), count)
    records = []
    for i, offset in enumerate(offsets):
        prediction = rng.choice(CLASSES)
        record: dict[str, Any] = {
            "prediction_id": f"{prefix}-{i}",
            "timestamp": iso(start + offset / 1000),
            "features": [round(rng.uniform(lo, hi), 1) for lo, hi in RANGES],
            "prediction": prediction,
            "probabilities": probabilities(rng),
            "latency_ms": round(rng.uniform(1.0, 80.0), 3),
        }
        if labelled:
            wrong = rng.random() >= right
            record["label"] = other_class(rng, prediction) if wrong else prediction
        records.append(record)
    return records


def unlabelled(records: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The first ``count`` records with their inline label taken off."""
    return [{k: v for k, v in r.items() if k != "label"} for r in records[:count]] + records[count:]


async def test_a_late_batch_of_old_records_lands_where_its_timestamps_put_it(
    client_factory: Callable[..., Any],
) -> None:
    rng = random.Random(11)
    start = now_second()
    clock = PinnedClock(start)
    async with client_factory(clock=clock) as client:
        model = await register(client, name="late", reference_dataset="iris")
        model_id = model["id"]
        oracle = LoggedOracle(
            CLASSES, (await client.get(f"/api/models/{model_id}/reference")).json()
        )

        async def send(records: list[dict[str, Any]]) -> dict[str, Any]:
            assert (await log_batch(client, model_id, records))["logged"] == oracle.log(records)
            metrics = await realtime(client, model_id)
            assert_matches_oracle(metrics, oracle, clock.now)
            return metrics

        recent = await send(spread("recent", start, (-300, 0), 60, rng))
        assert recent["predictions_per_minute"] > 0 and recent["accuracy_window"] == 60

        # Older than everything so far, the window not full yet: every label enters it,
        # inline or given later, and the last minute's rate does not move.
        old = unlabelled(spread("old", start, (-1200, -900), 30, rng, right=0.0), 10)
        after_old = await send(old)
        assert after_old["accuracy_window"] == 80
        assert after_old["predictions_per_minute"] == recent["predictions_per_minute"]
        clock.now = start + 5
        labels = [(r["prediction_id"], CLASSES[0]) for r in old[:10]]
        assert await give_labels(client, labels) == oracle.feedback(labels, clock.now)
        labelled_old = await realtime(client, model_id)
        assert_matches_oracle(labelled_old, oracle, clock.now)
        assert labelled_old["accuracy_window"] == 90
        assert labelled_old["total_predictions"] == 90

        # Between the old ones and the recent ones: the window fills with the latest 100.
        full = await send(spread("middle", start, (-600, -300), 100, rng))
        assert full["accuracy_window"] == 100
        oldest_kept = oracle.accuracy_window()[0].timestamp

        # Older than everything, all wrong, inline and later (5 never): none enters the full
        # window, though they count in the label coverage.
        oldest = unlabelled(spread("oldest", start, (-1800, -1500), 30, rng, right=0.0), 15)
        after_oldest = await send(oldest)
        labels = [(r["prediction_id"], other_class(rng, r["prediction"])) for r in oldest[:10]]
        assert set(await give_labels(client, labels)) == {"accepted"}
        oracle.feedback(labels, clock.now)
        ignored = await realtime(client, model_id)
        assert_matches_oracle(ignored, oracle, clock.now)
        assert ignored["total_predictions"] == full["total_predictions"] + 30
        for name in ("predictions_per_minute", "current_accuracy", "accuracy_interval",
                     "confusion", "label_delay_seconds"):  # fmt: skip
            assert after_oldest[name] == full[name] == ignored[name], name
        assert ignored["label_coverage"] < full["label_coverage"] == 1.0

        # Late but newer than the window's oldest label, all wrong: they push the oldest out.
        newer = spread("newer", start, (round(oldest_kept - start) + 1, -120), 10, rng, right=0.0)
        pushed = await send(newer)
        assert pushed["accuracy_window"] == 100
        assert pushed["current_accuracy"] < full["current_accuracy"]
        assert pushed["predictions_per_minute"] == full["predictions_per_minute"]

        # Logged late but within the last minute: they count in the rate.
        within = await send(spread("within", start, (-50, -10), 3, rng))
        assert within["predictions_per_minute"] == pushed["predictions_per_minute"] + 3


async def test_every_number_survives_a_restart_of_the_app(
    client_factory: Callable[..., Any],
) -> None:
    """Two lifespans on one database: records logged out of time order (1200, so some are
    no longer in memory when labelled), labels inline and late; after the restart every
    number is what it was and what the oracle says, and the windows go on from there."""
    rng = random.Random(5)
    start = now_second()
    clock = PinnedClock(start)
    records = spread("kept", start, (-1800, 200), 1200, rng, right=0.97)
    records = unlabelled(records, 500)  # the first 500 get their labels later (or never)
    async with client_factory(clock=clock) as client:
        model = await register(client, name="kept", reference_dataset="iris")
        model_id = model["id"]
        oracle = LoggedOracle(
            CLASSES, (await client.get(f"/api/models/{model_id}/reference")).json()
        )
        shuffled = rng.sample(records, len(records))
        for batch in (shuffled[:400], shuffled[400:800], shuffled[800:]):
            await log_batch(client, model_id, batch)
            oracle.log(batch)
        clock.now = start + 60
        labels = [(r["prediction_id"], r["prediction"]) for r in records[:400]]
        assert set(await give_labels(client, labels)) == {"accepted"}
        oracle.feedback(labels, clock.now)
        before = await realtime(client, model_id)
        assert_matches_oracle(before, oracle, clock.now)
        assert before["status"] == "monitored" and before["model_health"] == "healthy"

    async with client_factory(clock=clock) as client:
        again = (await client.get(f"/api/models/{model_id}")).json()
        assert again["status"] == "monitored" and again["total_predictions"] == 1200
        after = await realtime(client, model_id)
        assert_matches_oracle(after, oracle, clock.now)
        assert {k: v for k, v in after.items()} == before

        # The restored windows go on: more late records and labels, still the oracle's.
        clock.now = start + 90
        more = spread("more", start, (-900, 90), 100, rng, right=0.9)
        await log_batch(client, model_id, more)
        oracle.log(more)
        labels = [(r["prediction_id"], r["prediction"]) for r in records[400:500]]
        assert set(await give_labels(client, labels)) == {"accepted"}
        oracle.feedback(labels, clock.now)
        assert_matches_oracle(await realtime(client, model_id), oracle, clock.now)


async def test_windows_reaching_back_past_the_1000_latest_survive_a_restart(
    client_factory: Callable[..., Any],
) -> None:
    """The estimate takes the 100 latest records that have probabilities: when few of the
    1000 latest records have them, it reaches back past those, and a restart must rebuild it
    as it was. (A missing feature value counts in drift's missing bin, before and after.)"""
    rng = random.Random(13)
    start = now_second()
    clock = PinnedClock(start)
    records = sorted(
        spread("sparse", start, (-1800, 0), 1200, rng, right=0.97), key=lambda r: r["timestamp"]
    )
    latest = records[200:]
    for record in latest:
        del record["probabilities"]
    for record in rng.sample(latest, 30):
        record["probabilities"] = probabilities(rng)
    for record in rng.sample(latest, 150):
        record["features"][0] = None
    rng.shuffle(records)
    async with client_factory(clock=clock) as client:
        model = await register(client, name="sparse", reference_dataset="iris")
        model_id = model["id"]
        oracle = LoggedOracle(
            CLASSES, (await client.get(f"/api/models/{model_id}/reference")).json()
        )
        for batch in (records[:600], records[600:]):
            assert (await log_batch(client, model_id, batch))["logged"] == oracle.log(batch)
        before = await realtime(client, model_id)
        assert_matches_oracle(before, oracle, clock.now)

    async with client_factory(clock=clock) as client:
        after = await realtime(client, model_id)
        assert_matches_oracle(after, oracle, clock.now)
        assert after == before


@pytest.mark.slow
def test_a_served_process_keeps_every_logged_number_across_a_restart(start_server: Any) -> None:
    """A real ``modelbeacon serve`` on the real clock: records logged out of time order, some
    in the last minute, labels given late; stopped with SIGTERM and started again, the
    model is still monitored and each number is the oracle's at the time it was computed."""
    rng = random.Random(17)
    server = start_server()
    start = time.time()
    records = spread("served", start, (-1500, -45), 400, rng, right=0.95)
    records += spread("minute", start, (-30, 0), 40, rng, right=0.95)
    records = unlabelled(rng.sample(records, len(records)), 150)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        response = http.post(
            "/api/models/register", json={"name": "served", "reference_dataset": "iris"}
        )
        assert response.status_code == 201, response.text
        model_id = response.json()["id"]
        oracle = LoggedOracle(CLASSES, http.get(f"/api/models/{model_id}/reference").json())
        for batch in (records[:150], records[150:300], records[300:]):
            response = http.post(f"/api/models/{model_id}/predictions", json={"records": batch})
            assert response.status_code == 201, response.text
            assert response.json()["logged"] == oracle.log(batch)
        items = [
            {"prediction_id": r["prediction_id"], "label": r["prediction"]} for r in records[:100]
        ]
        results = http.post("/api/feedback", json={"labels": items}).json()["results"]
        assert {r["status"] for r in results} == {"accepted"}
        # The server's clock said when each label came: the log tells the oracle.
        logged = http.get(f"/api/models/{model_id}/predictions", params={"limit": 1000}).json()
        for prediction in logged["predictions"]:
            record = oracle.records[prediction["prediction_id"]]
            if prediction["labelled_at"] is not None and record.label is None:
                record.label = prediction["label"]
                record.labelled_at = unix(prediction["labelled_at"])
        time.sleep(0.2)
        before = http.get(f"/api/models/{model_id}/metrics/realtime").json()
        assert_matches_oracle(before, oracle, unix(before["computed_at"]), abs_tol=2e-6)
    assert server.stop() == 0

    restarted = start_server()
    with httpx.Client(base_url=restarted.url, timeout=30) as http:
        model = http.get(f"/api/models/{model_id}").json()
        assert model["status"] == "monitored" and model["total_predictions"] == 440
        after = http.get(f"/api/models/{model_id}/metrics/realtime").json()
        assert_matches_oracle(after, oracle, unix(after["computed_at"]), abs_tol=2e-6)
        for name in FIELDS:
            if name != "predictions_per_minute":  # the only one that moves with the clock
                assert after[name] == before[name], name

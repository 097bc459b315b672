"""Models served elsewhere through the HTTP API: registering them, logging their predictions
(idempotent ids, all-or-nothing batches, every refusal), and living beside served models.

In process: the real app and lifespan on a real database (SQLite and PostgreSQL), with a
pinned clock where timestamps matter.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import numpy as np
import pytest

from tests.logged_oracle import (
    LoggedOracle,
    PinnedClock,
    assert_matches_oracle,
    give_labels,
    iso,
    log_batch,
    logged_history,
    realtime,
    register,
)
from tests.support import IRIS_ROWS, assert_error, deployed_model, train

IRIS_FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
CHURN = {"features": ["tenure", "spend"], "classes": ["churn", "stay"]}
START = 1_800_000_000.0  # 2027-01-15: a pinned "now" (every timestamp below is exact)
DAY = 86400.0


@pytest.fixture
async def client(client_factory: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its clock pinned at ``START``."""
    async with client_factory(clock=PinnedClock(START)) as client:
        yield client


def iris_records(
    prefix: str, count: int, *, start: float = START, seconds: int = 1200, seed: int = 0
) -> list[dict[str, Any]]:
    """``count`` iris-shaped records at distinct milliseconds over the ``seconds`` before
    ``start``, each with probabilities, a latency and (every other one) an inline label."""
    rng = random.Random(seed)
    records = []
    for i, offset in enumerate(rng.sample(range(seconds * 1000), count)):
        features, truth = rng.choice(IRIS_ROWS)
        prediction = truth if rng.random() < 0.8 else (truth + 1) % 3
        record: dict[str, Any] = {
            "prediction_id": f"{prefix}-{i}",
            "timestamp": iso(start - offset / 1000),
            "features": [round(v + rng.uniform(-0.3, 0.3), 2) for v in features],
            "prediction": prediction,
            "probabilities": {"0": 0.1, "1": 0.1, "2": 0.1} | {str(prediction): 0.8},
            "latency_ms": round(rng.uniform(1.0, 50.0), 3),
        }
        if i % 2 == 0:
            record["label"] = truth
        records.append(record)
    return records


def churn_records(prefix: str, count: int, *, start: float = START) -> list[dict[str, Any]]:
    return [
        {
            "prediction_id": f"{prefix}-{i}",
            "timestamp": iso(start - 7 * i - 0.5),
            "features": {"tenure": float(i % 40), "spend": 10.0 + i},
            "prediction": "churn" if i % 3 == 0 else "stay",
            "latency_ms": 2.0 + i % 5,
        }
        for i in range(count)
    ]


def one(**fields: Any) -> dict[str, Any]:
    """One iris record, predicted 0, with ``fields`` added or replaced."""
    return {"features": IRIS_ROWS[0][0], "prediction": 0, **fields}


def in_cairo(timestamp: float) -> str:
    """``timestamp`` as ISO-8601 at UTC+02:00."""
    return datetime.fromtimestamp(timestamp, tz=timezone(timedelta(hours=2))).isoformat()


async def total(client: httpx.AsyncClient, model_id: str) -> int:
    return int((await client.get(f"/api/models/{model_id}")).json()["total_predictions"])


async def post_records(
    client: httpx.AsyncClient, model_id: str | int, records: list[dict[str, Any]]
) -> httpx.Response:
    return await client.post(f"/api/models/{model_id}/predictions", json={"records": records})


# ---- registration ---------------------------------------------------------------------------


async def test_register_with_a_reference_dataset_takes_its_inputs_classes_and_reference(
    client: httpx.AsyncClient,
) -> None:
    model = await register(client, name="iris-elsewhere", reference_dataset="iris")
    assert model["feature_names"] == IRIS_FEATURES
    assert [f["kind"] for f in model["features"]] == ["numeric"] * 4
    assert model["classes"] == [0, 1, 2]
    assert model["dataset"] == "iris" and model["source"] == "registered"
    assert model["version"] == 1 and model["total_predictions"] == 0
    assert model["health"] == "unknown"
    listed = (await client.get("/api/models")).json()
    assert [(m["id"], m["status"]) for m in listed] == [(model["id"], "monitored")]

    # The reference is the dataset's rows in decile bins (with a last, empty missing bin).
    response = await client.get(f"/api/models/{model['id']}/reference")
    assert response.status_code == 200, response.text
    reference = response.json()["features"]
    rows = np.array((await client.get("/api/datasets/iris/rows")).json()["rows"])
    assert [f["name"] for f in reference] == IRIS_FEATURES
    for feature, column in zip(reference, rows.T, strict=True):
        edges = np.unique(np.quantile(column, np.arange(1, 10) / 10))
        np.testing.assert_allclose(feature["edges"], edges, rtol=0, atol=1e-12)
        counts = np.bincount(np.searchsorted(edges, column, side="right"), minlength=len(edges) + 1)
        np.testing.assert_allclose(feature["proportions"][:-1], counts / len(column), atol=1e-12)
        assert feature["proportions"][-1] == 0.0

    # Drift needs 100 predictions.
    records = iris_records("drift", 150)
    await log_batch(client, model["id"], records[:99])
    assert (await realtime(client, model["id"]))["drift"] is None
    await log_batch(client, model["id"], records[99:])
    drift = (await realtime(client, model["id"]))["drift"]
    assert [f["name"] for f in drift["features"]] == IRIS_FEATURES
    assert drift["score"] == max(f["psi"] for f in drift["features"])


async def test_a_reference_with_a_missing_bin_says_so(client: httpx.AsyncClient) -> None:
    """docs/PAYLOADS.md: a numeric feature with a bin for missing values has
    ``"missing": true`` and ``len(edges) + 2`` proportions; without, ``len(edges) + 1``."""
    model = await register(client, name="iris-elsewhere", reference_dataset="iris")
    reference = (await client.get(f"/api/models/{model['id']}/reference")).json()
    for feature in reference["features"]:
        bins = len(feature["edges"]) + (2 if feature.get("missing") else 1)
        assert len(feature["proportions"]) == bins, feature


async def test_register_some_of_the_dataset_s_features_in_another_order(
    client: httpx.AsyncClient,
) -> None:
    names = ["petal width (cm)", "petal length (cm)"]
    model = await register(client, name="petals", reference_dataset="iris", features=names)
    assert model["feature_names"] == names and model["classes"] == [0, 1, 2]
    reference = (await client.get(f"/api/models/{model['id']}/reference")).json()
    assert [f["name"] for f in reference["features"]] == names

    two = [
        {"features": [1.8, 5.1], "prediction": 2},
        {"features": dict(zip(names, [0.2, 1.4], strict=True)), "prediction": 0},
    ]
    assert (await log_batch(client, model["id"], two))["logged"] == 2
    four = await post_records(client, model["id"], [{"features": IRIS_ROWS[0][0], "prediction": 0}])
    error = assert_error(four, 422, "invalid_input")
    assert error["details"]["record"] == 0 and "expected 2 features, got 4" in error["message"]


async def test_register_with_explicit_features_and_classes_has_no_drift(
    client: httpx.AsyncClient,
) -> None:
    model = await register(client, name="churn", **CHURN)
    assert model["feature_names"] == ["tenure", "spend"]
    assert model["classes"] == ["churn", "stay"] and model["dataset"] is None
    await log_batch(client, model["id"], churn_records("c", 150))
    metrics = await realtime(client, model["id"])
    assert metrics["total_predictions"] == 150
    assert metrics["drift"] is None and metrics["drift_score"] is None
    assert metrics["estimated_accuracy"] is None  # no probabilities logged
    assert metrics["latency_ms"]["p50"] == 4.0


async def test_a_registered_model_without_a_reference_says_how_to_get_one(
    client: httpx.AsyncClient,
) -> None:
    model = await register(client, name="churn", **CHURN)
    error = assert_error(await client.get(f"/api/models/{model['id']}/reference"), 404)
    assert error["code"] == "no_reference"
    # A model served elsewhere is never trained here: the way to a reference is to register
    # it with one, not to train a new version.
    assert "reference_dataset" in error["message"], error["message"]
    assert "POST /api/models/train" not in error["message"], error["message"]


async def test_register_categorical_features_as_the_request_schema_shows(
    client: httpx.AsyncClient,
) -> None:
    """The example of ``RegisterRequest.features`` in /openapi.json: a categorical feature
    without ``categories``."""
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
    example = schema["RegisterRequest"]["properties"]["features"]["examples"][0]
    assert {"name": "plan", "kind": "categorical"} in example
    response = await client.post(
        "/api/models/register",
        json={"name": "churn", "features": example, "classes": ["churn", "stay"]},
    )
    assert response.status_code == 201, response.text
    model = response.json()
    logged = await post_records(
        client, model["id"], [{"features": {"tenure": 12.0, "plan": "basic"}, "prediction": "stay"}]
    )
    assert logged.status_code == 201, logged.text


async def test_register_categorical_features_with_their_categories(
    client: httpx.AsyncClient,
) -> None:
    features = [
        {"name": "tenure", "kind": "numeric"},
        {"name": "plan", "kind": "categorical", "categories": ["basic", "pro"]},
    ]
    model = await register(client, name="churn", features=features, classes=["churn", "stay"])
    assert model["features"] == features
    records = [
        {"features": {"tenure": 12.0, "plan": "basic"}, "prediction": "stay"},
        {"features": {"tenure": 1.0, "plan": "gold"}, "prediction": "churn", "label": "churn"},
    ]
    assert (await log_batch(client, model["id"], records))["logged"] == 2
    listed = await post_records(
        client, model["id"], [{"features": [1.0, "pro"], "prediction": "stay"}]
    )
    error = assert_error(listed, 422, "invalid_input")
    assert "keyed by feature name" in error["message"]


async def test_registering_a_name_again_makes_its_next_version(client: httpx.AsyncClient) -> None:
    first = await register(client, name="churn", **CHURN)
    second = await register(client, name="churn", reference_dataset="iris")
    assert (first["version"], second["version"]) == (1, 2)
    assert first["id"] != second["id"]


async def test_register_refuses_what_it_cannot_monitor_and_keeps_nothing(
    client: httpx.AsyncClient,
) -> None:
    error = assert_error(
        await client.post("/api/models/register", json={"name": "x", "reference_dataset": "nope"}),
        404,
    )
    assert "nope" in error["message"] and "iris" in error["message"]

    refused = [
        ({"name": "x", "classes": [0, 1]}, "features are required"),
        ({"name": "x", "features": ["a"]}, "classes are required"),
        ({"name": "x", "features": ["a", "b", "a"], "classes": [0, 1]}, "repeated: 'a'"),
        ({"name": "x", "features": ["a"], "classes": ["y", "n", "y"]}, "repeated: 'y'"),
        (
            {"name": "x", "reference_dataset": "iris", "features": ["petal width (cm)", "bogus"]},
            "no feature 'bogus'",
        ),
        (
            {"name": "x", "reference_dataset": "iris", "features": ["petal width (cm)"] * 2},
            "repeated: 'petal width (cm)'",
        ),
        (
            {
                "name": "x",
                "reference_dataset": "iris",
                "features": [
                    {"name": "petal width (cm)", "kind": "categorical", "categories": None}
                ],
            },
            "another kind",
        ),
        ({"name": "x", "features": ["a"], "classes": [0]}, "classes"),
        ({"name": "x", "features": [], "classes": [0, 1]}, "features"),
        ({"name": "no spaces", "features": ["a"], "classes": [0, 1]}, "name"),
        ({"name": "x", "features": ["a"], "classes": [0, 1], "extra": 1}, "extra"),
    ]
    for body, says in refused:
        error = assert_error(await client.post("/api/models/register", json=body), 422)
        assert says in error["message"], (body, error)
    assert (await client.get("/api/models")).json() == []


# ---- idempotent ids -------------------------------------------------------------------------


async def test_the_same_batch_twice_is_logged_once(client_factory: Callable[..., Any]) -> None:
    clock = PinnedClock(START)
    records = iris_records("twice", 120)
    batch = [*records, records[5]]  # a repeat inside the batch counts once
    async with client_factory(clock=clock) as client:
        model = await register(client, name="twice", reference_dataset="iris")
        oracle = LoggedOracle(
            [0, 1, 2], (await client.get(f"/api/models/{model['id']}/reference")).json()
        )
        first = await log_batch(client, model["id"], batch)
        assert first == {"prediction_ids": [r["prediction_id"] for r in batch], "logged": 120}
        oracle.log(batch)
        before = await realtime(client, model["id"])
        assert_matches_oracle(before, oracle, START)

        again = await log_batch(client, model["id"], batch)
        assert again == {"prediction_ids": first["prediction_ids"], "logged": 0}
        assert await realtime(client, model["id"]) == before
        assert len(await logged_history(client, model["id"])) == 120
        assert await total(client, model["id"]) == 120


async def test_a_repeated_id_keeps_the_first_record_whatever_the_repeat_says(
    client_factory: Callable[..., Any],
) -> None:
    clock = PinnedClock(START)
    first = one(prediction_id="order-17", timestamp=iso(START - 30))
    other = {**first, "timestamp": iso(START - 10), "prediction": 2, "label": 1}
    async with client_factory(clock=clock) as client:
        model = await register(client, name="repeat", reference_dataset="iris")
        body = await log_batch(client, model["id"], [first, other])
        assert body == {"prediction_ids": ["order-17", "order-17"], "logged": 1}
        assert (await log_batch(client, model["id"], [other]))["logged"] == 0
        [logged] = await logged_history(client, model["id"])
        assert logged["prediction"] == 0 and logged["label"] is None
        assert logged["timestamp"] == iso(START - 30)


async def test_an_id_logged_long_ago_or_for_another_model_is_a_no_op(
    client_factory: Callable[..., Any],
) -> None:
    """Ids are checked against the whole log, not only the predictions still in memory:
    after 1000 newer ones, after a restart, and across models."""
    clock = PinnedClock(START)
    old = one(prediction_id="old-1", timestamp=iso(START - 3000))
    async with client_factory(clock=clock) as client:
        a = await register(client, name="a", reference_dataset="iris")
        b = await register(client, name="b", reference_dataset="iris")
        await log_batch(client, a["id"], [old])
        newer = iris_records("newer", 1000)
        await log_batch(client, a["id"], newer)
        assert (await log_batch(client, a["id"], [old]))["logged"] == 0
        assert (await log_batch(client, b["id"], [old, *newer[:3]]))["logged"] == 0
        assert await total(client, a["id"]) == 1001 and await total(client, b["id"]) == 0
    async with client_factory(clock=clock) as client:
        assert (await log_batch(client, a["id"], [old, newer[0]]))["logged"] == 0
        assert (await log_batch(client, b["id"], [old]))["logged"] == 0
        assert await total(client, a["id"]) == 1001 and await total(client, b["id"]) == 0
        assert (await realtime(client, b["id"]))["total_predictions"] == 0


async def test_copies_of_a_batch_sent_at_once_are_logged_once(
    client_factory: Callable[..., Any],
) -> None:
    clock = PinnedClock(START)
    records = iris_records("race", 300)
    async with client_factory(clock=clock) as client:
        model = await register(client, name="race", reference_dataset="iris")
        responses = await asyncio.gather(
            *(post_records(client, model["id"], records) for _ in range(4))
        )
        assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
        assert sum(r.json()["logged"] for r in responses) == 300
        oracle = LoggedOracle(
            [0, 1, 2], (await client.get(f"/api/models/{model['id']}/reference")).json()
        )
        oracle.log(records)
        assert_matches_oracle(await realtime(client, model["id"]), oracle, START)


# ---- refusals -------------------------------------------------------------------------------


async def test_timestamps_are_taken_up_to_five_minutes_ahead_and_back_to_the_retention(
    client_factory: Callable[..., Any],
) -> None:
    clock = PinnedClock(START)
    async with client_factory(clock=clock, retention_days=7) as client:
        model = await register(client, name="edges", reference_dataset="iris")
        edges = [
            one(prediction_id="ahead", timestamp=iso(START + 300)),
            one(prediction_id="oldest", timestamp=iso(START - 7 * DAY)),
            one(prediction_id="now"),
            # unix seconds, a time without an offset (UTC), and one with an offset
            one(prediction_id="unix", timestamp=START - 20),
            one(prediction_id="naive", timestamp=iso(START - 40).removesuffix("Z")),
            one(prediction_id="offset", timestamp=in_cairo(START - 60)),
        ]
        assert (await log_batch(client, model["id"], edges))["logged"] == 6
        history = {
            p["prediction_id"]: p["timestamp"] for p in await logged_history(client, model["id"])
        }
        assert history["now"] == iso(START)
        assert history["unix"] == iso(START - 20)
        assert history["naive"] == iso(START - 40)
        assert history["offset"] == iso(START - 60)
        assert history["ahead"] == iso(START + 300)

        cases = [
            (START + 300.001, "ahead of the server's clock"),
            (START + DAY, "ahead of the server's clock"),
            (START - 7 * DAY - 0.001, "older than the retention"),
            (START - 365 * DAY, "older than the retention"),
        ]
        for timestamp, says in cases:
            batch = iris_records("refused", 3)
            batch.insert(1, one(timestamp=iso(timestamp)))
            error = assert_error(
                await post_records(client, model["id"], batch), 422, "invalid_input"
            )
            assert error["details"]["record"] == 1, error
            assert error["message"].startswith("record 1: timestamp "), error
            assert says in error["message"], error
        assert await total(client, model["id"]) == 6
        assert len(await logged_history(client, model["id"])) == 6


async def test_one_bad_record_refuses_the_whole_batch(client_factory: Callable[..., Any]) -> None:
    clock = PinnedClock(START)
    good = iris_records("good", 4)
    row = IRIS_ROWS[1][0]
    bad_records = [
        (one(prediction=3), "prediction 3 is not one of the model's classes"),
        (one(prediction="1"), "prediction '1' is not one of the model's classes"),
        (one(label=7), "label 7 is not one of the model's classes"),
        (one(probabilities={"0": 0.5, "1": 0.5}), "one entry per class"),
        (one(probabilities={"0": 0.2, "1": 0.3, "2": 0.3, "3": 0.2}), "one entry per class"),
        (one(probabilities={"0": 0.2, "1": 0.3, "2": 0.3}), "probabilities must sum to 1"),
        (one(features=row[:3]), "expected 4 features, got 3"),
        (one(features={"bogus": 1.0}), "must name exactly the model's 4 features"),
        (one(features=[*row[:3], "x"]), "numeric"),
        (one(timestamp=iso(START + 301)), "ahead"),
    ]
    async with client_factory(clock=clock) as client:
        model = await register(client, name="strict", reference_dataset="iris")
        for bad, says in bad_records:
            batch = [*good[:2], bad, *good[2:]]
            error = assert_error(
                await post_records(client, model["id"], batch), 422, "invalid_input"
            )
            assert error["details"]["record"] == 2, (bad, error)
            assert error["message"].startswith("record 2: "), (bad, error)
            assert says in error["message"], (bad, error)
            assert await logged_history(client, model["id"]) == []
            assert (await realtime(client, model["id"]))["total_predictions"] == 0
        # Nothing of the refused batches was kept: their good records are new.
        assert (await log_batch(client, model["id"], good))["logged"] == 4


async def test_malformed_records_are_refused_by_the_schema_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    model = await register(client, name="schema", reference_dataset="iris")
    malformed = [
        (one(prediction_id="has space"), "prediction_id"),
        (one(prediction_id="-leading"), "prediction_id"),
        (one(prediction_id="x" * 129), "prediction_id"),
        (one(prediction_id=""), "prediction_id"),
        (one(probabilities={"0": 1.5, "1": 0.0, "2": -0.5}), "probabilities"),
        (one(latency_ms=-1.0), "latency_ms"),
        (one(prediction=1.5), "prediction"),
        (one(timestamp="yesterday"), "timestamp"),
        (one(colour="red"), "colour"),
        ({"prediction": 0}, "features"),
    ]
    for record, field in malformed:
        batch = [one(), record]
        error = assert_error(await post_records(client, model["id"], batch), 422, "invalid_request")
        fields = [e["field"] for e in error["details"]["errors"]]
        assert any(f.startswith(f"records.1.{field}") for f in fields), (record, error)
        assert f"records.1.{field}" in error["message"], (record, error)
    assert_error(await post_records(client, model["id"], []), 422, "invalid_request")
    assert await logged_history(client, model["id"]) == []


async def test_more_than_1000_records_are_refused_whole(client_factory: Callable[..., Any]) -> None:
    records = [one()] * 1001
    async with client_factory() as client:
        model = await register(client, name="big", reference_dataset="iris")
        error = assert_error(
            await post_records(client, model["id"], records), 422, "invalid_request"
        )
        assert "at most 1000" in error["message"]
        assert await total(client, model["id"]) == 0
    async with client_factory(max_batch_size=5) as client:  # a smaller configured limit: 413
        error = assert_error(
            await post_records(client, model["id"], records[:6]), 413, "payload_too_large"
        )
        assert error["details"] == {"max_batch_size": 5, "got": 6}
        assert (await log_batch(client, model["id"], records[:5]))["logged"] == 5


async def test_logging_needs_a_monitored_model(client: httpx.AsyncClient) -> None:
    record = one()
    assert_error(await post_records(client, 999, [record]), 404, "model_not_found")
    assert_error(await post_records(client, 0, [record]), 422)

    served = await train(client, name="iris-lr")
    error = assert_error(await post_records(client, served["id"], [record]), 409, "model_not_ready")
    assert "served here" in error["message"] and "register" in error["message"]
    assert (await client.post(f"/api/models/{served['id']}/deploy")).status_code == 200
    error = assert_error(await post_records(client, served["id"], [record]), 409, "model_not_ready")
    assert error["details"]["status"] == "active"
    assert await total(client, served["id"]) == 0


async def test_a_monitored_model_is_neither_deployed_nor_asked_to_predict(
    client: httpx.AsyncClient,
) -> None:
    model = await register(client, name="elsewhere", reference_dataset="iris")
    deploy = assert_error(await client.post(f"/api/models/{model['id']}/deploy"), 409)
    assert f"POST /api/models/{model['id']}/predictions" in deploy["message"]
    body = {"features": IRIS_ROWS[0][0]}
    assert_error(await client.post(f"/api/models/{model['id']}/predict", json=body), 409)
    assert_error(await client.post("/api/predict", json=body), 404)  # nothing is deployed
    active = (await client.get("/api/models/active/status")).json()
    assert active["active_model"] is None
    again = (await client.get(f"/api/models/{model['id']}")).json()
    assert again["status"] == "monitored" and again["total_predictions"] == 0


# ---- beside other models --------------------------------------------------------------------


async def test_monitored_and_served_models_keep_their_own_numbers(
    client_factory: Callable[..., Any],
) -> None:
    clock = PinnedClock(START)
    async with client_factory(clock=clock) as client:
        served = await deployed_model(client)
        a = await register(client, name="a", reference_dataset="iris")
        b = await register(client, name="b", **CHURN)
        oracle_a = LoggedOracle(
            [0, 1, 2], (await client.get(f"/api/models/{a['id']}/reference")).json()
        )
        oracle_b = LoggedOracle(["churn", "stay"])

        a_records, b_records = iris_records("a", 150), churn_records("b", 60)
        await log_batch(client, a["id"], a_records)
        oracle_a.log(a_records)
        await log_batch(client, b["id"], b_records)
        oracle_b.log(b_records)
        rows = [r for r, _ in IRIS_ROWS] * 3
        labels = [y if i % 2 else None for i, (_, y) in enumerate(IRIS_ROWS * 3)]
        response = await client.post("/api/predict", json={"instances": rows, "labels": labels})
        assert response.status_code == 200, response.text
        served_ids = [p["prediction_id"] for p in response.json()["predictions"]]

        numbers = {m["id"]: await realtime(client, m["id"]) for m in (served, a, b)}
        assert_matches_oracle(numbers[a["id"]], oracle_a, START)
        assert_matches_oracle(numbers[b["id"]], oracle_b, START)
        assert numbers[served["id"]]["total_predictions"] == 18
        assert numbers[served["id"]]["accuracy_window"] == 9
        assert numbers[served["id"]]["status"] == "active"
        assert numbers[served["id"]]["error_rate"] == 0.0

        # Traffic to one model moves no other's numbers.
        more = iris_records("a-more", 200, seed=1)
        await log_batch(client, a["id"], more)
        oracle_a.log(more)
        assert_matches_oracle(await realtime(client, a["id"]), oracle_a, START)
        for other in (served, b):
            assert await realtime(client, other["id"]) == numbers[other["id"]]

        # One batch of labels for all three: each goes to its own model.
        unlabelled_a = [r["prediction_id"] for r in a_records if "label" not in r]
        mixed = [
            (unlabelled_a[0], 0),
            (b_records[0]["prediction_id"], "churn"),
            (served_ids[0], IRIS_ROWS[0][1]),
            (b_records[1]["prediction_id"], 0),  # one of a's classes, not b's
            (unlabelled_a[1], "stay"),  # one of b's classes, not a's
            (served_ids[1], IRIS_ROWS[1][1]),  # labelled inline already
        ]
        statuses = await give_labels(client, mixed)
        assert statuses == ["accepted", "accepted", "accepted", "invalid", "invalid", "unchanged"]
        oracle_a.feedback([mixed[0], mixed[4]], START)
        oracle_b.feedback([mixed[1], mixed[3]], START)
        assert_matches_oracle(await realtime(client, a["id"]), oracle_a, START)
        assert_matches_oracle(await realtime(client, b["id"]), oracle_b, START)
        served_now = await realtime(client, served["id"])
        assert served_now["accuracy_window"] == 10
        assert served_now["total_predictions"] == 18

        # The single-label endpoint takes a logged prediction too.
        one = await client.post(f"/api/predictions/{unlabelled_a[2]}/feedback", json={"label": 2})
        assert one.status_code == 200, one.text
        assert one.json()["model_id"] == a["id"] and one.json()["created"] is True
        oracle_a.feedback([(unlabelled_a[2], 2)], START)
        assert_matches_oracle(await realtime(client, a["id"]), oracle_a, START)

        # A monitored model is degraded while its health is critical (a's labels say 80%).
        a_now = await realtime(client, a["id"])
        a_status = "degraded" if a_now["model_health"] == "critical" else "monitored"
        assert a_now["status"] == a_status
        models = {m["id"]: m["status"] for m in (await client.get("/api/models")).json()}
        assert models == {served["id"]: "active", a["id"]: a_status, b["id"]: "monitored"}
        active = (await client.get("/api/models/active/status")).json()
        assert active["active_model"]["id"] == served["id"]


# ---- labels in batches ----------------------------------------------------------------------


async def test_a_batch_of_labels_holds_1_to_1000(client: httpx.AsyncClient) -> None:
    model = await register(client, name="labels", reference_dataset="iris")
    [pid] = (await log_batch(client, model["id"], [one()]))["prediction_ids"]
    for labels in ([], [{"prediction_id": pid, "label": 0}] * 1001):
        error = assert_error(
            await client.post("/api/feedback", json={"labels": labels}), 422, "invalid_request"
        )
        assert error["message"].startswith("labels: "), error
    assert (await logged_history(client, model["id"]))[0]["label"] is None
    statuses = await give_labels(client, [(pid, 0)] * 1000)
    assert statuses == ["accepted"] + ["unchanged"] * 999


async def test_labels_sent_at_once_for_the_same_old_predictions_are_taken_once(
    client: httpx.AsyncClient,
) -> None:
    """Predictions no longer in memory are labelled from the log: two batches and single
    labels racing for them take one label each, and every other says conflict."""
    model = await register(client, name="race", reference_dataset="iris")
    old = [one(prediction_id=f"gone-{i}", timestamp=iso(START - 5000 - i)) for i in range(40)]
    await log_batch(client, model["id"], old)
    await log_batch(client, model["id"], iris_records("newer", 1000))
    ids = [r["prediction_id"] for r in old]

    async def single(pid: str) -> str:
        response = await client.post(f"/api/predictions/{pid}/feedback", json={"label": 2})
        return {200: "accepted", 409: "conflict"}[response.status_code]

    zeros, ones, *twos = await asyncio.gather(
        give_labels(client, [(pid, 0) for pid in ids]),
        give_labels(client, [(pid, 1) for pid in ids]),
        *(single(pid) for pid in ids[:10]),
    )
    kept = []
    for i, pid in enumerate(ids):
        taken = [zeros[i], ones[i], *(twos[i : i + 1])]
        assert taken.count("accepted") == 1, (pid, taken)
        assert set(taken) == {"accepted", "conflict"}, (pid, taken)
        kept.append((pid, taken.index("accepted")))  # the label taken: 0, 1 or 2
    # The log holds the label each one took.
    assert await give_labels(client, kept) == ["unchanged"] * len(ids)
    assert (await realtime(client, model["id"]))["total_predictions"] == 1040

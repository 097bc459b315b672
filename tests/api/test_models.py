"""Models and training through the HTTP API: happy paths and every bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]
from sqlalchemy import text

from modelbeacon.storage.database import create_db_engine
from tests.support import assert_error, train, wait_for_job


async def test_models_list_is_empty_on_a_fresh_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/models")
    assert response.status_code == 200
    assert response.json() == []


async def test_train_reports_real_progress_and_registers_a_ready_model(
    client: httpx.AsyncClient,
) -> None:
    accepted = await client.post(
        "/api/models/train",
        json={
            "name": "iris-rf",
            "dataset": "iris",
            "algorithm": "random_forest",
            "params": {"n_estimators": 40},
        },
    )
    assert accepted.status_code == 202
    body = accepted.json()
    assert set(body) == {"job_id", "model_id"}
    job = await wait_for_job(client, body["job_id"])
    assert job["state"] == "completed"
    assert job["stage"] == "ready"
    assert job["progress"] == 100.0
    assert job["error"] is None

    model = (await client.get(f"/api/models/{body['model_id']}")).json()
    assert model["status"] == "ready"
    assert model["name"] == "iris-rf" and model["version"] == 1
    assert model["algorithm"] == "random_forest" and model["dataset"] == "iris"
    assert 0.8 < model["validation_accuracy"] <= 1.0
    assert model["feature_names"] == [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    ]
    assert model["classes"] == [0, 1, 2]
    assert model["total_predictions"] == 0
    assert model["health"] == "unknown"
    assert model["last_trained_at"].endswith("Z")


async def test_reference_is_the_training_split_in_decile_bins(client: httpx.AsyncClient) -> None:
    model = await train(client, name="iris-lr", dataset="iris")
    rows = (await client.get("/api/datasets/iris/rows")).json()

    response = await client.get(f"/api/models/{model['id']}/reference")

    assert response.status_code == 200
    reference = response.json()
    # the split training makes: stratified, 20% held out, random_state 0
    X_train, _ = train_test_split(
        np.array(rows["rows"]), test_size=0.2, stratify=rows["labels"], random_state=0
    )
    expected = []
    for name, column in zip(rows["feature_names"], X_train.T, strict=True):
        edges = np.unique(np.quantile(column, np.arange(1, 10) / 10))
        counts = np.bincount(np.searchsorted(edges, column, side="right"), minlength=len(edges) + 1)
        expected.append(
            {
                "name": name,
                "kind": "numeric",
                "edges": edges.tolist(),
                "proportions": (counts / len(column)).tolist(),
                "missing": False,
            }
        )
    assert reference == {"features": expected}
    assert [f["name"] for f in reference["features"]] == model["feature_names"]


async def test_a_trained_model_shows_its_calibration(client: httpx.AsyncClient) -> None:
    model = await train(client, name="iris-lr", dataset="iris")
    calibration = model["calibration"]

    assert calibration["method"] in ("raw", "isotonic", "sigmoid")
    assert 0.0 <= calibration["error"] <= calibration["raw_error"] <= 1.0
    if calibration["method"] == "raw":
        assert set(calibration) == {"method", "error", "raw_error"}
    listed = (await client.get("/api/models")).json()
    assert [m["calibration"] for m in listed] == [calibration]


async def test_a_model_without_probabilities_has_no_calibration(
    client: httpx.AsyncClient,
) -> None:
    model = await train(client, name="hinge", algorithm="sgd", params={"loss": "hinge"})

    assert model["calibration"] is None
    assert (await client.get(f"/api/models/{model['id']}/reference")).status_code == 200


async def test_reference_of_a_model_still_training_is_a_404_saying_so(
    client: httpx.AsyncClient,
) -> None:
    accepted = (
        await client.post(
            "/api/models/train",
            json={"name": "x", "dataset": "iris", "algorithm": "logistic_regression"},
        )
    ).json()
    # The training child needs seconds just to import scikit-learn, so it is still training.
    error = assert_error(
        await client.get(f"/api/models/{accepted['model_id']}/reference"), 404, "no_reference"
    )
    assert "still training" in error["message"]
    assert error["details"] == {"model_id": int(accepted["model_id"]), "status": "training"}
    assert (await client.get(f"/api/models/{accepted['model_id']}")).json()["calibration"] is None

    await wait_for_job(client, accepted["job_id"])
    response = await client.get(f"/api/models/{accepted['model_id']}/reference")
    assert response.status_code == 200


async def test_reference_of_a_failed_model_is_a_404_saying_to_train_again(
    client: httpx.AsyncClient,
) -> None:
    # liblinear passes parameter validation but refuses iris's three classes in fit
    body = {
        "name": "x",
        "dataset": "iris",
        "algorithm": "logistic_regression",
        "params": {"solver": "liblinear"},
    }
    accepted = (await client.post("/api/models/train", json=body)).json()
    assert (await wait_for_job(client, accepted["job_id"]))["state"] == "failed"

    error = assert_error(
        await client.get(f"/api/models/{accepted['model_id']}/reference"), 404, "no_reference"
    )
    assert "failed to train" in error["message"] and error["details"]["status"] == "failed"


async def test_a_model_trained_before_references_has_none_and_is_told_how_to_get_one(
    client_factory: Callable[..., Any], database_url: str
) -> None:
    async with client_factory() as client:
        model = await train(client)
    # what revision 0003 leaves on the rows of models trained before it
    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("update models set drift_reference = null, calibration = null"))
    engine.dispose()

    async with client_factory() as client:
        error = assert_error(
            await client.get(f"/api/models/{model['id']}/reference"), 404, "no_reference"
        )
        assert "trained before" in error["message"] and "POST /api/models/train" in error["message"]
        assert error["details"]["status"] == "ready"
        assert (await client.get(f"/api/models/{model['id']}")).json()["calibration"] is None


async def test_train_counts_versions_up_per_name(client: httpx.AsyncClient) -> None:
    first = await train(client, name="wine-lr", dataset="wine")
    second = await train(client, name="wine-lr", dataset="wine")
    other = await train(client, name="other")
    assert (first["version"], second["version"], other["version"]) == (1, 2, 1)
    listed = (await client.get("/api/models")).json()
    assert [m["id"] for m in listed] == [first["id"], second["id"], other["id"]]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "x", "dataset": "mnist", "algorithm": "logistic_regression"}, "dataset"),
        ({"name": "x", "dataset": "iris", "algorithm": "xgboost"}, "algorithm"),
        (
            {
                "name": "x",
                "dataset": "iris",
                "algorithm": "random_forest",
                "params": {"n_trees": 5},
            },
            "n_trees",
        ),
        (
            {
                "name": "x",
                "dataset": "iris",
                "algorithm": "random_forest",
                "params": {"n_estimators": -1},
            },
            "n_estimators",
        ),
        ({"name": "bad name!", "dataset": "iris", "algorithm": "sgd"}, "name"),
        ({"dataset": "iris", "algorithm": "sgd"}, "name"),
        ({"name": "x", "dataset": "iris", "algorithm": "sgd", "extra": 1}, "extra"),
    ],
)
async def test_train_rejects_bad_requests_with_a_clear_422(
    client: httpx.AsyncClient, body: dict[str, object], fragment: str
) -> None:
    error = assert_error(await client.post("/api/models/train", json=body), 422)
    assert fragment in (error["message"] + str(error["details"]))
    # Nothing half-written: no model row was created for a refused request.
    assert (await client.get("/api/models")).json() == []


async def test_train_rejects_a_body_that_is_not_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/models/train", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "invalid_request")


async def test_unknown_model_and_job_are_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/models/999"), 404, "model_not_found")
    assert_error(await client.get("/api/training/999"), 404, "job_not_found")
    assert_error(await client.post("/api/models/999/deploy"), 404, "model_not_found")
    assert_error(await client.get("/api/models/999/metrics/realtime"), 404, "model_not_found")
    assert_error(await client.get("/api/models/999/predictions"), 404, "model_not_found")
    assert_error(await client.get("/api/models/999/reference"), 404, "model_not_found")


async def test_ids_beyond_the_database_key_range_are_422_not_500(
    client: httpx.AsyncClient,
) -> None:
    largest = 2**31 - 1
    assert_error(await client.get(f"/api/training/{largest}"), 404, "job_not_found")
    assert_error(await client.get(f"/api/models/{largest}"), 404, "model_not_found")
    for path in (
        "/api/training/{}",
        "/api/models/{}",
        "/api/models/{}/metrics/realtime",
        "/api/models/{}/predictions",
        "/api/models/{}/reference",
    ):
        for bad in (largest + 1, 11162501855558907904, 0, -1):
            assert_error(await client.get(path.format(bad)), 422, "invalid_request")
    assert_error(
        await client.post(f"/api/models/{2**40}/predict", json={"features": [1.0]}),
        422,
        "invalid_request",
    )


async def test_malformed_model_id_is_422(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/models/abc"), 422, "invalid_request")


async def test_deploy_keeps_exactly_one_active_model(client: httpx.AsyncClient) -> None:
    first = await train(client, name="a")
    second = await train(client, name="b")
    deployed = await client.post(f"/api/models/{first['id']}/deploy")
    assert deployed.status_code == 200
    body = deployed.json()
    assert body["model_id"] == first["id"] and body["model_name"] == "a"
    assert body["model_version"] == 1 and body["deployment_timestamp"].endswith("Z")

    await client.post(f"/api/models/{second['id']}/deploy")
    models = {m["id"]: m for m in (await client.get("/api/models")).json()}
    assert models[first["id"]]["status"] == "inactive"
    assert models[second["id"]]["status"] == "active"
    assert models[second["id"]]["deployed_at"] is not None
    assert [m["status"] for m in models.values()].count("active") == 1

    active = (await client.get("/api/models/active/status")).json()
    assert active["active_model"]["id"] == second["id"]
    assert active["status"] == "active"
    assert active["uptime_seconds"] >= 0


async def test_deploy_of_a_model_that_is_not_trained_is_409(client: httpx.AsyncClient) -> None:
    accepted = (
        await client.post(
            "/api/models/train",
            json={
                "name": "slow",
                "dataset": "digits",
                "algorithm": "mlp",
                "params": {"max_iter": 200},
            },
        )
    ).json()
    # The training child needs seconds just to import scikit-learn, so it is still training.
    response = await client.post(f"/api/models/{accepted['model_id']}/deploy")
    error = assert_error(response, 409, "model_not_ready")
    assert error["details"]["status"] == "training"
    assert (await client.get("/api/models/active/status")).json()["active_model"] is None
    await wait_for_job(client, accepted["job_id"])

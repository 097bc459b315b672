"""Predictions and feedback through the HTTP API: happy paths and every bad input."""

from __future__ import annotations

import asyncio

import httpx

from modelbeacon.services.monitoring import SNAPSHOT_TTL_SECONDS
from tests.support import IRIS_ROWS, assert_error, deployed_model, train


async def _history(client: httpx.AsyncClient, model_id: str) -> list[dict[str, object]]:
    response = await client.get(f"/api/models/{model_id}/predictions", params={"limit": 1000})
    assert response.status_code == 200
    return response.json()["predictions"]  # type: ignore[no-any-return]


async def test_predict_single_returns_the_contract_fields(client: httpx.AsyncClient) -> None:
    model = await deployed_model(client)
    response = await client.post(
        f"/api/models/{model['id']}/predict", json={"features": IRIS_ROWS[0][0]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {
        "prediction_id",
        "prediction",
        "probabilities",
        "model_id",
        "model_version",
        "latency_ms",
        "timestamp",
    } <= set(body)
    assert body["prediction"] == 0
    assert body["model_id"] == model["id"] and body["model_version"] == 1
    assert set(body["probabilities"]) == {"0", "1", "2"}
    assert abs(sum(body["probabilities"].values()) - 1.0) < 1e-9
    assert body["latency_ms"] > 0
    assert body["timestamp"].endswith("Z")


async def test_predict_accepts_features_by_name_and_routes_to_the_active_model(
    client: httpx.AsyncClient,
) -> None:
    model = await deployed_model(client)
    named = dict(zip(model["feature_names"], IRIS_ROWS[2][0], strict=True))
    by_name = (await client.post("/api/predict", json={"features": named})).json()
    by_list = (await client.post("/api/predict", json={"features": IRIS_ROWS[2][0]})).json()
    assert by_name["prediction"] == by_list["prediction"] == 2
    assert by_name["probabilities"] == by_list["probabilities"]
    assert by_name["model_id"] == model["id"]


async def test_predict_batch_logs_every_row_with_inline_labels(client: httpx.AsyncClient) -> None:
    model = await deployed_model(client)
    rows = [r for r, _ in IRIS_ROWS]
    labels = [y for _, y in IRIS_ROWS]
    response = await client.post(
        f"/api/models/{model['id']}/predict", json={"instances": rows, "labels": labels}
    )
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert [p["prediction"] for p in predictions] == labels
    assert len({p["prediction_id"] for p in predictions}) == len(rows)

    history = await _history(client, model["id"])
    assert [h["prediction_id"] for h in history] == [p["prediction_id"] for p in predictions][::-1]
    assert all(h["label"] == h["prediction"] for h in history)
    assert history[0]["features"] == rows[-1]
    assert len(history[0]["input_hash"]) == 32

    await asyncio.sleep(SNAPSHOT_TTL_SECONDS)  # the contract's read-after-write bound
    metrics = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
    assert metrics["total_predictions"] == 6
    assert metrics["current_accuracy"] == 1.0 and metrics["accuracy_window"] == 6
    assert metrics["predictions_per_minute"] == 6


async def test_same_input_gets_the_same_input_hash(client: httpx.AsyncClient) -> None:
    model = await deployed_model(client)
    for _ in range(2):
        await client.post("/api/predict", json={"features": [5.0, 3.0, 1.0, 0.5]})
    await client.post("/api/predict", json={"features": [5.0, 3.0, 1.0, 0.6]})
    hashes = [h["input_hash"] for h in await _history(client, model["id"])]
    assert hashes[1] == hashes[2] != hashes[0]


async def test_predict_without_an_active_model_is_404(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.post("/api/predict", json={"features": [1, 2, 3, 4]}), 404, "no_active_model"
    )


async def test_predict_bad_inputs_are_4xx_and_nothing_is_logged(client: httpx.AsyncClient) -> None:
    model = await deployed_model(client)
    url = f"/api/models/{model['id']}/predict"
    cases: list[tuple[bytes | dict[str, object], int, str]] = [
        ({"features": [1.0, 2.0, 3.0]}, 422, "expected 4 features"),
        # a wrong type names the feature it was sent for
        ({"features": [1.0, 2.0, 3.0, "x"]}, 422, "'petal width (cm)' is numeric"),
        ({"features": [1.0, 2.0, 3.0, True]}, 422, "'petal width (cm)' is numeric"),
        ({"features": [1.0, None, 3.0, 4.0]}, 422, "no imputer"),
        (b'{"features": [1.0, 2.0, 3.0, NaN]}', 422, "finite"),
        (b'{"features": [1.0, 2.0, 3.0, Infinity]}', 422, "finite"),
        ({"features": {"sepal length (cm)": 1.0}}, 422, "missing"),
        ({"features": [1, 2, 3, 4], "label": 7}, 422, "classes"),
        ({"features": [1, 2, 3, 4], "label": True}, 422, "label"),
        ({"instances": []}, 422, "instances"),
        ({"instances": [[1, 2, 3, 4], [1, 2, 3]]}, 422, "instance"),
        ({"instances": [[1, 2, 3, 4]], "labels": [0, 1]}, 422, "labels"),
        ({"instances": [[1, 2, 3, 4]] * 1001}, 413, "at most 1000"),
        ({}, 422, "features"),
        (b"[1, 2, 3, 4]", 422, "body"),
    ]
    for body, status, fragment in cases:
        if isinstance(body, bytes):
            response = await client.post(
                url, content=body, headers={"content-type": "application/json"}
            )
        else:
            response = await client.post(url, json=body)
        error = assert_error(response, status)
        assert fragment in error["message"] + str(error["details"]), (body, error)
    assert await _history(client, model["id"]) == []
    await asyncio.sleep(SNAPSHOT_TTL_SECONDS)  # the contract's read-after-write bound
    metrics = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
    assert metrics["total_predictions"] == 0 and metrics["error_rate"] is None


async def test_oversize_body_is_413(client_factory: object) -> None:
    async with client_factory(max_body_bytes=2048) as client:  # type: ignore[operator]
        model = await deployed_model(client)
        response = await client.post(
            f"/api/models/{model['id']}/predict", json={"instances": [[1.5, 2.5, 3.5, 4.5]] * 200}
        )
        assert_error(response, 413, "payload_too_large")


async def test_predict_with_a_model_still_training_is_409(client: httpx.AsyncClient) -> None:
    accepted = (
        await client.post(
            "/api/models/train",
            json={"name": "late", "dataset": "iris", "algorithm": "logistic_regression"},
        )
    ).json()
    response = await client.post(
        f"/api/models/{accepted['model_id']}/predict", json={"features": [1, 2, 3, 4]}
    )
    assert_error(response, 409, "model_not_ready")


async def test_feedback_joins_labels_idempotently_and_refuses_a_different_one(
    client: httpx.AsyncClient,
) -> None:
    model = await deployed_model(client)
    made = (await client.post("/api/predict", json={"features": IRIS_ROWS[1][0]})).json()
    url = f"/api/predictions/{made['prediction_id']}/feedback"

    first = await client.post(url, json={"label": 1})
    assert first.status_code == 200
    assert first.json() == {
        "prediction_id": made["prediction_id"],
        "model_id": model["id"],
        "label": 1,
        "prediction": 1,
        "correct": True,
        "created": True,
    }
    again = await client.post(url, json={"label": 1})
    assert again.status_code == 200 and again.json()["created"] is False
    assert_error(await client.post(url, json={"label": 2}), 409, "label_conflict")

    await asyncio.sleep(SNAPSHOT_TTL_SECONDS)  # the contract's read-after-write bound
    metrics = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
    assert metrics["accuracy_window"] == 1 and metrics["current_accuracy"] == 1.0
    history = await _history(client, model["id"])
    assert history[0]["label"] == 1 and history[0]["labelled_at"].endswith("Z")


async def test_feedback_bad_inputs(client: httpx.AsyncClient) -> None:
    await deployed_model(client)
    made = (await client.post("/api/predict", json={"features": IRIS_ROWS[0][0]})).json()
    url = f"/api/predictions/{made['prediction_id']}/feedback"
    assert_error(
        await client.post("/api/predictions/nope/feedback", json={"label": 0}),
        404,
        "prediction_not_found",
    )
    assert_error(await client.post(url, json={"label": 9}), 422, "invalid_input")
    assert_error(await client.post(url, json={"label": [0]}), 422, "invalid_request")
    assert_error(await client.post(url, json={}), 422, "invalid_request")
    # None of the refused labels stuck.
    assert (await client.post(url, json={"label": 0})).json()["created"] is True


async def test_feedback_for_a_prediction_no_longer_in_memory_uses_the_database(
    client: httpx.AsyncClient,
) -> None:
    model = await deployed_model(client)
    url = f"/api/models/{model['id']}/predict"
    first = (await client.post(url, json={"instances": [IRIS_ROWS[0][0]] * 10})).json()
    for _ in range(2):  # push the first batch out of the 1000-entry ring buffer
        await client.post(url, json={"instances": [IRIS_ROWS[1][0]] * 1000})
    old_id = first["predictions"][0]["prediction_id"]

    response = await client.post(f"/api/predictions/{old_id}/feedback", json={"label": 2})
    assert response.status_code == 200, response.text
    assert response.json()["correct"] is False
    again = await client.post(f"/api/predictions/{old_id}/feedback", json={"label": 2})
    assert again.json()["created"] is False
    assert_error(
        await client.post(f"/api/predictions/{old_id}/feedback", json={"label": 0}),
        409,
        "label_conflict",
    )
    await asyncio.sleep(SNAPSHOT_TTL_SECONDS)  # the contract's read-after-write bound
    metrics = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
    assert metrics["accuracy_window"] == 1 and metrics["current_accuracy"] == 0.0
    assert metrics["total_predictions"] == 2010


async def test_predictions_of_an_inactive_model_still_serve(client: httpx.AsyncClient) -> None:
    old = await deployed_model(client, name="old")
    await deployed_model(client, name="new")
    response = await client.post(
        f"/api/models/{old['id']}/predict", json={"features": IRIS_ROWS[0][0]}
    )
    assert response.status_code == 200
    assert response.json()["model_id"] == old["id"]
    assert (await client.get(f"/api/models/{old['id']}")).json()["status"] == "inactive"
    assert (await train(client, name="old"))["version"] == 2


async def test_predict_refuses_finite_values_that_overflow_inside_the_model(
    client: httpx.AsyncClient,
) -> None:
    model = await deployed_model(client)

    single = await client.post(
        "/api/predict", json={"features": [1.79e308, 1.79e308, -1.79e308, 1e308]}
    )
    batch = await client.post(
        "/api/predict", json={"instances": [[1, 2, 3, 4], [1e308, 1e308, 1e308, 1e308]]}
    )

    error = assert_error(single, 422, "uncomputable_input")
    assert "too large for the model" in error["message"]
    error = assert_error(batch, 422, "uncomputable_input")
    assert error["message"].startswith("instance 1 cannot be computed by the model")
    assert [entry["instance"] for entry in error["details"]["instances"]] == [1]
    assert await _history(client, model["id"]) == []
    metrics = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
    assert metrics["total_predictions"] == 0
    assert metrics["error_rate"] is None  # a refused input is not a failure of the model


async def test_live_numbers_stay_finite_after_huge_inputs_the_model_computes(
    client: httpx.AsyncClient,
) -> None:
    # digits' first pixel is blank in training (std 0): 1e297 there once scored drift
    # infinity, which the REST response sent as null and the WebSocket could not encode. Rows
    # of +-1.8e308 that breast_cancer's scaler keeps finite made a drift sum overflow (503).
    # PSI bins them: the outer bin of each shifted feature, a bounded PSI.
    digits = await train(client, name="digits-lr", dataset="digits")
    cancer = await train(client, name="cancer-sgd", dataset="breast_cancer", algorithm="sgd")
    blank_pixel = [1e297] + [0.0] * 63
    huge_sizes = [1.79e308, 1.79e308, -1.79e308, 1e308] + [1.0] * 26

    for model, row in ((digits, blank_pixel), (cancer, huge_sizes)):
        response = await client.post(
            f"/api/models/{model['id']}/predict", json={"instances": [row] * 100}
        )
        assert response.status_code == 200, response.text
        metrics = await client.get(f"/api/models/{model['id']}/metrics/realtime")

        assert metrics.status_code == 200, metrics.text
        body = metrics.json()
        assert body["stale"] is False
        # PSI is at most 2 * ln(1e4) (all the mass moved to a bin that had none)
        assert isinstance(body["drift_score"], float) and 0.2 < body["drift_score"] < 18.5
        first = body["drift"]["features"][0]
        # the blank pixel is >= its only edge (0) in training too; the huge size is not
        assert first["level"] == ("none" if model is digits else "significant")

"""Health, config, live metrics and the system overview through the HTTP API."""

from __future__ import annotations

import asyncio
import random
import re

import httpx

from modelbeacon.services.monitoring import SNAPSHOT_TTL_SECONDS
from tests.support import IRIS_ROWS, assert_error, deployed_model


async def test_health_reports_database_and_bus(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["bus"] == "ok"


async def test_config_carries_the_configured_thresholds(client_factory: object) -> None:
    async with client_factory(accuracy_warning=0.9, accuracy_critical=0.7) as client:  # type: ignore[operator]
        config = (await client.get("/api/config")).json()
    assert config["accuracy_warning"] == 0.9 and config["accuracy_critical"] == 0.7
    assert config["metrics_interval"] == 5.0 and config["min_labelled"] == 20


async def test_active_status_without_a_deployed_model(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/models/active/status")
    assert response.status_code == 200
    assert response.json()["active_model"] is None


async def test_system_overview_has_the_contract_fields(client: httpx.AsyncClient) -> None:
    empty = (await client.get("/api/monitoring/system")).json()
    assert empty["active_model"] is None
    assert empty["real_time_metrics"]["predictions_per_minute"] == 0

    model = await deployed_model(client)
    for features, label in IRIS_ROWS:
        await client.post("/api/predict", json={"features": features, "label": label})
    await asyncio.sleep(SNAPSHOT_TTL_SECONDS)  # the contract's read-after-write bound
    body = (await client.get("/api/monitoring/system")).json()
    status = body["system_status"]
    assert set(status) == {
        "cpu_percent",
        "memory_percent",
        "disk_percent",
        "active_connections",
        "system_health",
    }
    assert 0 <= status["cpu_percent"] <= 100 and 0 < status["memory_percent"] <= 100
    assert status["active_connections"] == 0
    assert status["system_health"] in {"healthy", "warning", "critical"}
    live = body["real_time_metrics"]
    assert live["predictions_per_minute"] == 6
    assert live["live_accuracy"] == 1.0
    assert live["total_predictions"] == 6
    assert re.fullmatch(r"\d+m|\d+h \d+m|\d+d \d+h", live["model_uptime"])
    assert body["active_model"]["id"] == model["id"]
    assert body["timestamp"].endswith("Z")


async def test_realtime_metrics_equal_a_recomputation_from_the_prediction_log(
    client: httpx.AsyncClient,
) -> None:
    model = await deployed_model(client)
    rng = random.Random(7)
    made = []
    for _ in range(150):
        features, truth = rng.choice(IRIS_ROWS)
        noisy = [v + rng.gauss(0, 0.8) for v in features]
        made.append(((await client.post("/api/predict", json={"features": noisy})).json(), truth))
    labelled = rng.sample(made, 120)
    # Labels arrive out of order, so the window must order them by prediction time.
    for prediction, truth in labelled:
        response = await client.post(
            f"/api/predictions/{prediction['prediction_id']}/feedback", json={"label": truth}
        )
        assert response.status_code == 200

    await asyncio.sleep(SNAPSHOT_TTL_SECONDS)  # the contract's read-after-write bound
    metrics = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
    history = (
        await client.get(f"/api/models/{model['id']}/predictions", params={"limit": 1000})
    ).json()["predictions"]
    by_time = sorted(
        (h for h in history if h["label"] is not None),
        key=lambda h: (h["timestamp"], h["prediction_id"]),
    )[-100:]
    expected_accuracy = sum(h["label"] == h["prediction"] for h in by_time) / len(by_time)
    latencies = sorted(h["latency_ms"] for h in history)
    expected_p95 = latencies[-(-95 * len(latencies) // 100) - 1]

    assert metrics["total_predictions"] == 150
    assert metrics["predictions_per_minute"] == 150
    assert metrics["accuracy_window"] == 100
    assert metrics["current_accuracy"] == expected_accuracy
    assert metrics["latency_ms"]["p95"] == expected_p95
    assert metrics["error_rate"] == 0.0
    tops = [max(h["probabilities"].values()) for h in history[:100]]
    assert abs(metrics["estimated_accuracy"] - sum(tops) / len(tops)) < 1e-12
    assert metrics["status"] in {"active", "degraded"}
    assert set(metrics["trend"]) >= {"current_accuracy", "predictions_per_minute"}


async def test_unknown_routes_and_methods_use_the_error_shape(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/nothing-here"), 404, "not_found")
    assert_error(await client.delete("/api/models"), 405, "method_not_allowed")


async def test_api_keys_guard_every_api_route(client_factory: object) -> None:
    async with client_factory(api_keys="k1,k2") as client:  # type: ignore[operator]
        assert_error(await client.get("/api/models"), 401, "unauthorized")
        assert_error(await client.get("/api/models", headers={"x-api-key": "nope"}), 401)
        assert (await client.get("/api/models", headers={"x-api-key": "k2"})).status_code == 200
        ok = await client.get("/api/models", headers={"authorization": "Bearer k1"})
        assert ok.status_code == 200

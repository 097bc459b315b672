"""End to end through a real ``modelbeacon serve`` process on a free loopback port."""

from __future__ import annotations

import random
import signal
import time
from typing import Any

import httpx
import pytest

from tests.support import IRIS_ROWS, train_on_server

pytestmark = pytest.mark.slow


def _live_numbers(url: str, model_id: str) -> dict[str, Any]:
    metrics = httpx.get(f"{url}/api/models/{model_id}/metrics/realtime").json()
    return {
        k: metrics[k]
        for k in (
            "total_predictions",
            "predictions_per_minute",
            "current_accuracy",
            "accuracy_window",
            "estimated_accuracy",
            "latency_ms",
            "error_rate",
            "drift_score",
            "model_health",
            "status",
        )
    }


def test_serve_keeps_every_live_number_across_a_restart(start_server: Any) -> None:
    server = start_server()
    model_id = train_on_server(server.url, deploy=True)["id"]

    rng = random.Random(3)
    with httpx.Client(base_url=server.url) as client:
        made = []
        for i in range(300):
            features, truth = rng.choice(IRIS_ROWS)
            noisy = [v + rng.gauss(0, 0.7) for v in features]
            inline = truth if i % 3 == 0 else None
            response = client.post("/api/predict", json={"features": noisy, "label": inline})
            assert response.status_code == 200, response.text
            made.append((response.json()["prediction_id"], truth, inline))
        for prediction_id, truth, inline in made:
            if inline is None:
                client.post(f"/api/predictions/{prediction_id}/feedback", json={"label": truth})

    time.sleep(0.2)  # past the contract's 100 ms read-after-write bound
    before = _live_numbers(server.url, model_id)
    assert before["total_predictions"] == 300 and before["accuracy_window"] == 100
    assert server.stop() == 0, "SIGTERM must flush and exit 0"

    restarted = start_server()
    after = _live_numbers(restarted.url, model_id)
    assert after == before
    models = httpx.get(f"{restarted.url}/api/models").json()
    assert [m["status"] for m in models] == [before["status"]]
    history = httpx.get(
        f"{restarted.url}/api/models/{model_id}/predictions", params={"limit": 1000}
    ).json()["predictions"]
    assert len(history) == 300 and all(h["label"] is not None for h in history)
    assert restarted.stop(signal.SIGINT) == 0

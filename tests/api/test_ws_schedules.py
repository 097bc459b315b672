"""``/ws`` push schedules through a real server: the metrics rate limit, and exactly one
``model_status_change`` per change of status or health, for every client."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.metrics.oracle import judged_accuracy
from tests.policies import health_policy
from tests.support import IRIS_ROWS, LiveClient, deployed_model, running_server, ws_url

pytestmark = pytest.mark.slow


async def test_ws_model_metrics_update_comes_once_per_interval_at_most_and_at_least(
    tmp_path: Path,
) -> None:
    interval, duration, rate = 0.5, 5.0, 20.0
    with running_server(tmp_path, metrics_interval=interval) as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            LiveClient.connect(ws_url(srv)) as client,
        ):
            model = await deployed_model(rest)
            await client.wait_type("model_deployed", model["id"])
            # A steady stream of rate/s for duration seconds, paced on an absolute schedule.
            started = time.monotonic()
            for i in range(int(duration * rate)):
                delay = started + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                features, _ = IRIS_ROWS[i % len(IRIS_ROWS)]
                response = await rest.post("/api/predict", json={"features": features})
                assert response.status_code == 200, response.text
            ended = time.monotonic()
            assert ended - started < duration + 2, "the stream fell far behind its schedule"
            await asyncio.sleep(interval)

    updates = [
        r
        for r in client.received
        if r.message["type"] == "model_metrics_update" and r.message["model_id"] == model["id"]
    ]
    window = [r.at for r in updates if started <= r.at <= started + duration]
    assert len(window) <= math.ceil(duration / interval) + 1, len(window)
    # While numbers change, no interval passes without an update: after the first (which
    # may take up to one interval to come), consecutive ones are less than two apart.
    streaming = [r.at for r in updates if started <= r.at <= ended]
    assert streaming and streaming[0] - started <= 2 * interval, streaming[:1]
    gaps = [b - a for a, b in itertools.pairwise(streaming)]
    assert max(gaps) < 2 * interval, gaps
    assert len(window) >= duration / interval - 1, len(window)
    # The server's own emission times honour the limit exactly (1 ms of rounding allowed).
    emitted = [datetime.fromisoformat(r.message["timestamp"]).timestamp() for r in updates]
    assert min(b - a for a, b in itertools.pairwise(emitted)) >= interval - 0.001


def expected_transitions(
    correct: list[bool], *, min_labelled: int = 20, window: int = 100
) -> list[tuple[str, str, str, str]]:
    """(old_status, new_status, old_health, new_health) per change of an active model whose
    latency and errors are healthy, from the brute-force health judgement of the oracle."""
    policy = health_policy(min_labelled=min_labelled)
    status, health = "active", "unknown"
    stream: list[tuple[bool, int, int]] = []
    changes = []
    for i, ok in enumerate(correct):
        recent = correct[max(0, i + 1 - window) : i + 1]
        stream.append((ok, sum(recent), len(recent)))
        new_health = judged_accuracy(policy, stream)
        new_status = "degraded" if new_health == "critical" else "active"
        if (new_status, new_health) != (status, health):
            changes.append((status, new_status, health, new_health))
            status, health = new_status, new_health
    return changes


async def test_ws_every_client_gets_each_status_change_exactly_once(tmp_path: Path) -> None:
    # 30 right, then wrong until the evidence says below 80%, then right again until it
    # says above 85%: the CUSUMs move health straight across both lines each way.
    correct = [True] * 30 + [False] * 12 + [True] * 60
    expected = expected_transitions(correct)
    assert expected == [
        ("active", "active", "unknown", "healthy"),
        ("active", "degraded", "healthy", "critical"),
        ("degraded", "active", "critical", "healthy"),
    ]
    with running_server(tmp_path, metrics_interval=0.3, prediction_interval=0.2) as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            AsyncExitStack() as stack,
        ):
            model = await deployed_model(rest)
            clients = [
                await stack.enter_async_context(LiveClient.connect(ws_url(srv))) for _ in range(3)
            ]
            for client in clients:
                await client.wait_type("snapshot")
            features = IRIS_ROWS[0][0]
            predicted = (await rest.post("/api/predict", json={"features": features})).json()
            right = predicted["prediction"]
            wrong = next(c for c in model["classes"] if c != right)
            for i, ok in enumerate(correct):
                response = await rest.post(
                    "/api/predict", json={"features": features, "label": right if ok else wrong}
                )
                assert response.status_code == 200, response.text
                assert response.json()["prediction"] == right
                if i % 10 == 9:
                    await asyncio.sleep(0.35)  # let metrics ticks evaluate in between

            for client in clients:
                await client.wait_for(
                    lambda m: (
                        _transition(m) == expected[-1]
                        if m["type"] == "model_status_change"
                        else False
                    ),
                    what="the last change",
                )
            await asyncio.sleep(1.5)  # several metrics ticks: room for any duplicate to show
            current = (await rest.get(f"/api/models/{model['id']}")).json()
            assert (current["status"], current["health"]) == ("active", "healthy")

    for client in clients:
        changes = client.messages("model_status_change", model["id"])
        seen = [_transition(m) for m in changes]
        assert seen == expected
        assert all(m["reason"] for m in changes)
        degraded_to_active = [c for c in seen if c[:2] == ("degraded", "active")]
        assert len(degraded_to_active) == 1


def _transition(message: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        message["old_status"],
        message["new_status"],
        message["old_health"],
        message["new_health"],
    )


async def test_ws_prediction_logged_counts_the_first_predictions_of_a_model_trained_later(
    tmp_path: Path,
) -> None:
    # A long interval: the model is trained, deployed and used between two ticks.
    with running_server(tmp_path, prediction_interval=8) as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            LiveClient.connect(ws_url(srv)) as client,
        ):
            model = await deployed_model(rest)
            for features, _ in IRIS_ROWS[:5]:
                response = await rest.post("/api/predict", json={"features": features})
                assert response.status_code == 200, response.text
            logged = await client.wait_type("prediction_logged", model["id"], timeout=30)
            assert (logged["count"], logged["total_predictions"]) == (5, 5)
            assert len(logged["predictions"]) == 5

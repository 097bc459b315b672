"""``/ws`` end to end: a real ``modelbeacon serve`` process and real ``websockets`` clients.

Every message type of docs/WEBSOCKET_API.md arrives with its fields, and its numbers are the
ones REST serves; bad client frames get ``error`` replies and leave the server serving;
``subscribe`` narrows what a client gets; the feature flags switch pushes off.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.support import (
    IRIS_ROWS,
    LiveClient,
    deployed_model,
    running_server,
    wait_for_job,
    ws_url,
)

pytestmark = pytest.mark.slow

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
STAGES = ("queued", "loading_data", "splitting", "fitting", "evaluating", "saving", "ready")
SERVER_TYPES = {
    "snapshot",
    "system_metrics",
    "model_metrics_update",
    "metrics_history",
    "prediction_logged",
    "model_status_change",
    "model_status_realtime",
    "model_deployed",
    "model_registered",
    "training_progress",
    "training_completed",
    "training_failed",
    "metrics_degraded",
    "pong",
    "error",
}
SYSTEM_FIELDS = {"cpu_percent", "memory_percent", "disk_percent", "active_connections"}
SYSTEM_FIELDS |= {"system_health"}
CLOCK_FIELDS = {"computed_at", "uptime_seconds"}
"""Fields that move with the clock alone: the only ones a push may differ from REST in."""


def fields(message: dict[str, Any]) -> set[str]:
    """The message's fields besides ``type`` and ``timestamp``."""
    return set(message) - {"type", "timestamp"}


def without_clock(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k not in CLOCK_FIELDS | {"type", "timestamp"}}


async def test_ws_delivers_every_event_type_with_the_rest_numbers(tmp_path: Path) -> None:
    server = running_server(
        tmp_path, metrics_interval=0.5, system_interval=0.5, prediction_interval=0.2
    )
    with server as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            LiveClient.connect(ws_url(srv)) as watcher,
        ):
            # snapshot first, with everything a dashboard renders from.
            first = (await watcher.wait_for(lambda m: True, what="the snapshot")).message
            assert first["type"] == "snapshot"
            assert fields(first) == {
                "config", "system", "active_model", "models", "metrics", "training",
            }  # fmt: skip
            assert first["config"] == (await rest.get("/api/config")).json()
            assert set(first["system"]) == SYSTEM_FIELDS
            assert first["system"]["active_connections"] == 1
            assert first["active_model"] is None
            assert (first["models"], first["metrics"], first["training"]) == ([], {}, [])

            # Training: progress that never goes back, then training_completed.
            accepted = await rest.post(
                "/api/models/train",
                json={"name": "iris-lr", "dataset": "iris", "algorithm": "logistic_regression"},
            )
            assert accepted.status_code == 202, accepted.text
            job_id, model_id = accepted.json()["job_id"], accepted.json()["model_id"]
            completed = await watcher.wait_type("training_completed", model_id, timeout=120)
            model = (await rest.get(f"/api/models/{model_id}")).json()
            assert fields(completed) == {"job_id", "model_id", "validation_accuracy"}
            assert completed["job_id"] == job_id
            assert completed["validation_accuracy"] == model["validation_accuracy"]
            progress = watcher.messages("training_progress", model_id)
            assert progress, "no training_progress before training_completed"
            for message in progress:
                assert fields(message) == {"job_id", "model_id", "stage", "progress", "details"}
                assert message["job_id"] == job_id and message["stage"] in STAGES
                assert 0 <= message["progress"] <= 100 and isinstance(message["details"], str)
            values = [m["progress"] for m in progress]
            assert values == sorted(values), values
            assert (progress[-1]["stage"], progress[-1]["progress"]) == ("ready", 100.0)
            assert (await rest.get(f"/api/training/{job_id}")).json()["state"] == "completed"

            # Deployment: model_deployed and exactly one status change.
            deployed = await rest.post(f"/api/models/{model_id}/deploy")
            assert deployed.status_code == 200, deployed.text
            announced = await watcher.wait_type("model_deployed", model_id)
            assert fields(announced) == {
                "model_id", "model_name", "model_version", "deployment_timestamp",
            }  # fmt: skip
            model = (await rest.get(f"/api/models/{model_id}")).json()
            assert announced["model_name"] == model["name"] == "iris-lr"
            assert announced["model_version"] == model["version"] == 1
            assert announced["deployment_timestamp"] == model["deployed_at"]
            assert fields(announced) <= set(deployed.json())
            assert {k: announced[k] for k in deployed.json()} == deployed.json()
            change = await watcher.wait_type("model_status_change", model_id)
            assert fields(change) == {
                "model_id", "old_status", "new_status", "old_health", "new_health", "reason",
            }  # fmt: skip
            assert (change["old_status"], change["new_status"]) == ("ready", "active")
            assert (change["old_health"], change["new_health"]) == ("unknown", "unknown")
            assert change["reason"]

            # Predictions: prediction_logged adds up to what was made, with the same values.
            made: dict[str, dict[str, Any]] = {}
            order: list[str] = []
            for i in range(40):
                features, truth = IRIS_ROWS[i % len(IRIS_ROWS)]
                label = truth if i < 25 else None
                response = await rest.post(
                    "/api/predict", json={"features": features, "label": label}
                )
                assert response.status_code == 200, response.text
                made[response.json()["prediction_id"]] = response.json()
                order.append(response.json()["prediction_id"])
                await asyncio.sleep(0.02)
            await watcher.wait_for(
                lambda m: m["type"] == "prediction_logged" and m["total_predictions"] == 40,
                what="prediction_logged with all 40 predictions",
            )
            logged = watcher.messages("prediction_logged", model_id)
            assert sum(m["count"] for m in logged) == 40
            running_total = 0
            for message in logged:
                assert fields(message) == {"model_id", "count", "total_predictions", "predictions"}
                running_total += message["count"]
                assert message["total_predictions"] == running_total
                assert 1 <= len(message["predictions"]) <= min(20, message["count"])
                positions = []
                for item in message["predictions"]:
                    assert set(item) == {"prediction_id", "prediction", "latency_ms", "timestamp"}
                    sent = made[item["prediction_id"]]
                    assert item["prediction"] == sent["prediction"]
                    assert item["latency_ms"] == sent["latency_ms"]
                    assert item["timestamp"] == sent["timestamp"]
                    positions.append(order.index(item["prediction_id"]))
                # Newest last, and the newest is the last prediction made so far.
                assert positions == sorted(positions)
                assert positions[-1] == message["total_predictions"] - 1

            # model_metrics_update: once traffic stops, its numbers are REST's.
            await watcher.wait_for(
                lambda m: (
                    m["type"] == "model_metrics_update"
                    and m["total_predictions"] == 40
                    and m["accuracy_window"] == 25
                ),
                what="model_metrics_update with every prediction and label",
            )
            await asyncio.sleep(1.2)  # two more ticks: no later change may be missed
            update = watcher.messages("model_metrics_update", model_id)[-1]
            realtime = (await rest.get(f"/api/models/{model_id}/metrics/realtime")).json()
            assert fields(update) == set(realtime)
            assert without_clock(update) == without_clock(realtime)
            assert update["current_accuracy"] == 1.0 and update["model_health"] == "healthy"

            # model_status_realtime rides along with each metrics tick, for the active model.
            await watcher.wait_type("model_status_realtime", model_id, start=len(watcher.received))
            status = (await rest.get("/api/models/active/status")).json()
            realtime_status = watcher.messages("model_status_realtime", model_id)[-1]
            assert fields(realtime_status) == {"model_id", "status", "health", "uptime_seconds"}
            assert realtime_status["status"] == status["status"] == "active"
            assert realtime_status["health"] == status["health"] == "healthy"
            assert 0 < realtime_status["uptime_seconds"] <= status["uptime_seconds"]
            uptimes = [m["uptime_seconds"] for m in watcher.messages("model_status_realtime")]
            assert uptimes == sorted(uptimes)

            # system_metrics: active_connections counts the clients connected.
            async with LiveClient.connect(ws_url(srv)) as other:
                second = (await other.wait_for(lambda m: True, what="the snapshot")).message
                assert second["type"] == "snapshot"
                assert second["system"]["active_connections"] == 2
                assert second["active_model"]["id"] == model_id
                assert [m["id"] for m in second["models"]] == [model_id]
                await asyncio.sleep(0.2)  # past the 100 ms a REST read may lag
                realtime = (await rest.get(f"/api/models/{model_id}/metrics/realtime")).json()
                assert without_clock(second["metrics"][model_id]) == without_clock(realtime)
                mark = len(watcher.received)
                await watcher.wait_type("system_metrics", start=mark)
                system = await watcher.wait_type("system_metrics", start=mark + 1)
                assert fields(system) == SYSTEM_FIELDS
                assert system["active_connections"] == 2
                assert system["system_health"] in {"healthy", "warning", "critical"}
                for name in ("cpu_percent", "memory_percent", "disk_percent"):
                    assert 0 <= system[name] <= 100
                overview = (await rest.get("/api/monitoring/system")).json()
                assert overview["system_status"]["active_connections"] == 2
            await watcher.wait_for(
                lambda m: m["type"] == "system_metrics" and m["active_connections"] == 1,
                start=len(watcher.received),
                what="system_metrics counting one client after the other left",
            )

            # ping -> pong
            mark = len(watcher.received)
            await watcher.send({"type": "ping"})
            pong = await watcher.wait_type("pong", start=mark)
            assert fields(pong) == set()

            # A training that passes validation but fails in fit: training_failed.
            accepted = await rest.post(
                "/api/models/train",
                json={
                    "name": "iris-bad",
                    "dataset": "iris",
                    "algorithm": "logistic_regression",
                    "params": {"solver": "liblinear"},
                },
            )
            assert accepted.status_code == 202, accepted.text
            bad_job, bad_model = accepted.json()["job_id"], accepted.json()["model_id"]
            failed = await watcher.wait_type("training_failed", bad_model, timeout=120)
            assert fields(failed) == {"job_id", "model_id", "error"}
            job = await wait_for_job(rest, bad_job)
            assert failed["job_id"] == bad_job
            assert job["state"] == "failed" and failed["error"] == job["error"]
            assert "liblinear" in failed["error"]
            assert (await rest.get(f"/api/models/{bad_model}")).json()["status"] == "failed"

            for received in watcher.received:
                assert received.message["type"] in SERVER_TYPES
                assert ISO_UTC.match(received.message["timestamp"]), received.message
            assert not watcher.messages("error")

            # A graceful stop with a client connected still exits 0 and closes the socket.
            assert srv.stop(signal.SIGTERM) == 0
            await asyncio.wait_for(watcher.closed.wait(), 30)
            assert watcher.close_code == 1012


async def test_ws_malformed_and_oversize_frames_get_errors_and_the_server_keeps_serving(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path) as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            LiveClient.connect(ws_url(srv), max_size=None) as client,
        ):
            await client.wait_type("snapshot")
            bad_frames: list[str | bytes] = [
                "this is not json",
                "[1, 2, 3]",
                '"a string"',
                "{}",
                '{"type": "dance"}',
                '{"type": "subscribe", "events": ["model_metrics_update", "no_such_event"]}',
                '{"type": "subscribe", "events": "model_metrics_update"}',
                '{"type": "ping", "padding": "' + "x" * 5000 + '"}',
                "x" * 200_000,
                b"\x00\x01binary",
                "[" * 3000,
            ]
            for frame in bad_frames:
                await asyncio.sleep(0.15)  # error replies are rate-limited (10/s, bursts of 10)
                mark = len(client.received)
                await client.send(frame)
                reply = await client.wait_for(
                    lambda m: m["type"] in ("error", "pong"), start=mark, what="a reply"
                )
                assert reply.message["type"] == "error", (frame[:40], reply.message)
                assert fields(reply.message) == {"message"} and reply.message["message"]
            errors = [m["message"] for m in client.messages("error")]
            assert "larger than 4096 bytes" in errors[7] and "larger than" in errors[8]
            assert "no_such_event" in errors[5]
            assert "not valid JSON" in errors[0] and "not valid JSON" in errors[9]

            mark = len(client.received)
            await client.send({"type": "ping"})
            await client.wait_type("pong", start=mark)
            assert (await rest.get("/api/health")).status_code == 200
            overview = (await rest.get("/api/monitoring/system")).json()
            assert overview["system_status"]["active_connections"] == 1

        # A new client is served as usual after all that.
        async with LiveClient.connect(ws_url(srv)) as fresh:
            assert (await fresh.wait_for(lambda m: True)).message["type"] == "snapshot"


async def test_ws_subscribe_narrows_the_types_a_client_receives(tmp_path: Path) -> None:
    with running_server(
        tmp_path, metrics_interval=0.3, system_interval=0.3, prediction_interval=0.1
    ) as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as rest:
            model = await deployed_model(rest)
            async with (
                LiveClient.connect(ws_url(srv)) as everything,
                LiveClient.connect(ws_url(srv)) as narrow,
            ):
                await everything.wait_type("snapshot")
                await narrow.wait_type("snapshot")
                await narrow.send({"type": "subscribe", "events": ["prediction_logged"]})
                # A ping after the subscribe: its pong marks where the narrowing applies.
                await narrow.send({"type": "ping"})
                await narrow.wait_type("pong")
                pong_at = next(
                    i for i, r in enumerate(narrow.received) if r.message["type"] == "pong"
                )
                for i in range(20):
                    features, _ = IRIS_ROWS[i % len(IRIS_ROWS)]
                    await rest.post("/api/predict", json={"features": features})
                    await asyncio.sleep(0.05)
                await narrow.wait_type("prediction_logged", model["id"])
                await everything.wait_type("model_metrics_update", model["id"])
                await asyncio.sleep(1.0)
                after = {r.message["type"] for r in narrow.received[pong_at + 1 :]}
                assert after == {"prediction_logged"}
                assert {"system_metrics", "model_metrics_update", "prediction_logged"} <= {
                    r.message["type"] for r in everything.received
                }
                # A subscribe naming an unknown type is refused; the subscription stays.
                mark = len(narrow.received)
                await narrow.send({"type": "subscribe", "events": ["system_metrics", "nope"]})
                refusal = await narrow.wait_type("error", start=mark)
                assert "'nope'" in refusal["message"]
                await asyncio.sleep(1.0)
                after = {r.message["type"] for r in narrow.received[pong_at + 1 :]}
                assert after == {"prediction_logged", "error"}, after
                # Direct replies pass whatever the subscription.
                mark = len(narrow.received)
                await narrow.send({"type": "ping"})
                await narrow.wait_type("pong", start=mark)
                await narrow.send("not json")
                await narrow.wait_type("error", start=mark)
                # An empty list widens back to every type.
                await narrow.send({"type": "subscribe", "events": []})
                await narrow.wait_type("system_metrics", start=len(narrow.received))


async def test_ws_metrics_history_pushes_each_step_s_point_as_rest_serves_it(
    tmp_path: Path,
) -> None:
    step = 0.2
    with running_server(tmp_path, history_step=step) as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            LiveClient.connect(ws_url(srv)) as watcher,
            LiveClient.connect(ws_url(srv)) as narrow,
        ):
            await narrow.wait_type("snapshot")
            await narrow.send({"type": "subscribe", "events": ["metrics_history"]})
            await narrow.send({"type": "ping"})
            await narrow.wait_type("pong")
            narrowed_at = len(narrow.received)
            model = await deployed_model(rest)
            for features, label in IRIS_ROWS:
                response = await rest.post(
                    "/api/predict", json={"features": features, "label": label}
                )
                assert response.status_code == 200, response.text
            await watcher.wait_for(
                lambda m: m["type"] == "metrics_history" and m["point"]["current_accuracy"] == 1.0,
                what="a metrics_history point with the labels",
            )
            await asyncio.sleep(10 * step)
            pushed = watcher.messages("metrics_history")
            # Every point pushed so far is served: the GET writes what is still queued.
            history = await rest.get(f"/api/models/{model['id']}/metrics/history?seconds=60")

    assert len(pushed) >= 10
    served = {point["timestamp"]: point for point in history.json()["points"]}
    slots = []
    for message in pushed:
        assert fields(message) == {"model_id", "step_seconds", "point"}
        assert message["model_id"] == model["id"] and message["step_seconds"] == step
        assert served[message["point"]["timestamp"]] == message["point"]
        slots.append(datetime.fromisoformat(message["point"]["timestamp"]).timestamp() / step)
    # One message per step, in order, each step's slot on the grid (missed steps rare).
    gaps = [round(b - a) for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 1 and gaps.count(1) >= 0.8 * len(gaps), gaps
    assert pushed[-1]["point"]["predictions_per_minute"] == len(IRIS_ROWS)
    # A client subscribed to metrics_history gets the same points and nothing else.
    after = [r.message for r in narrow.received[narrowed_at:]]
    assert {m["type"] for m in after} == {"metrics_history"}
    assert after[: len(pushed)] == pushed[: len(after)]
    assert len(after) >= len(pushed)  # it read on for as long as the other one


@pytest.mark.parametrize(
    ("flag", "silenced", "still_sent"),
    [
        (
            "feature_realtime_metrics",
            {"model_metrics_update", "model_status_realtime", "metrics_history"},
            "prediction_logged",
        ),
        ("feature_prediction_events", {"prediction_logged"}, "model_metrics_update"),
    ],
)
async def test_ws_feature_flags_switch_their_pushes_off(
    tmp_path: Path, flag: str, silenced: set[str], still_sent: str
) -> None:
    settings: dict[str, object] = {
        "metrics_interval": 0.3,
        "system_interval": 0.3,
        "prediction_interval": 0.1,
        "history_step": 0.3,
        flag: False,
    }
    with running_server(tmp_path, **settings) as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            LiveClient.connect(ws_url(srv)) as client,
        ):
            model = await deployed_model(rest)
            for features, label in IRIS_ROWS * 4:
                response = await rest.post(
                    "/api/predict", json={"features": features, "label": label}
                )
                assert response.status_code == 200, response.text
                await asyncio.sleep(0.03)
            await client.wait_type(still_sent, model["id"])
            await client.wait_type("system_metrics", start=len(client.received))
            await asyncio.sleep(1.0)  # several ticks of every schedule
            types = {r.message["type"] for r in client.received}
            assert not types & silenced, types
            assert {"snapshot", "training_completed", "model_deployed", still_sent} <= types
            # REST keeps serving the numbers the pushes would have carried.
            realtime = (await rest.get(f"/api/models/{model['id']}/metrics/realtime")).json()
            assert realtime["total_predictions"] == len(IRIS_ROWS) * 4
            assert realtime["current_accuracy"] == 1.0
            status = (await rest.get("/api/models/active/status")).json()
            assert status["status"] == "active"


async def test_ws_requires_an_api_key_when_keys_are_configured(tmp_path: Path) -> None:
    with running_server(tmp_path, api_keys="k-one,k-two") as srv:
        with pytest.raises(InvalidStatus) as refused:
            async with LiveClient.connect(ws_url(srv)):
                pass
        assert refused.value.response.status_code == 403
        with pytest.raises(InvalidStatus):
            async with LiveClient.connect(ws_url(srv) + "?api_key=wrong"):
                pass
        async with LiveClient.connect(ws_url(srv) + "?api_key=k-two") as by_query:
            assert (await by_query.wait_for(lambda m: True)).message["type"] == "snapshot"
        async with LiveClient.connect(
            ws_url(srv), additional_headers={"X-API-Key": "k-one"}
        ) as by_header:
            assert (await by_header.wait_for(lambda m: True)).message["type"] == "snapshot"

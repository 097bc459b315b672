"""Registering a model served elsewhere is announced at once, so dashboards list it before its
first logged prediction."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support import LiveClient, running_server, ws_url

pytestmark = pytest.mark.slow


async def test_ws_announces_a_registered_model_once(tmp_path: Path) -> None:
    with running_server(tmp_path) as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            LiveClient.connect(ws_url(srv)) as watcher,
        ):
            await watcher.wait_type("snapshot")
            registered = await rest.post(
                "/api/models/register", json={"name": "iris-elsewhere", "reference_dataset": "iris"}
            )
            assert registered.status_code == 201, registered.text
            model = registered.json()
            announced = await watcher.wait_type("model_registered", model["id"])
            assert {k: announced[k] for k in ("model_id", "model_name", "model_version")} == {
                "model_id": model["id"],
                "model_name": "iris-elsewhere",
                "model_version": 1,
            }
            assert announced["status"] == "monitored"
            assert announced["registered_at"] == model["created_at"]
            assert len(watcher.messages("model_registered", model["id"])) == 1

"""run_simulation against real ``modelbeacon serve`` processes on free loopback ports."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from modelbeacon.client import AsyncClient
from modelbeacon.errors import InvalidInputError
from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.traffic import run_simulation
from tests.support import ServerProcess, free_port
from tests.tables import SPECIES, penguins_csv

pytestmark = pytest.mark.slow

StartServer = Callable[..., ServerProcess]  # the start_server fixture (conftest.py)


def _quick(url: str, **overrides: Any) -> SimulationConfig:
    """Fast, fixed-rate traffic with no drift and no retrain unless asked."""
    values: dict[str, Any] = {
        "url": url,
        "rate": 600.0,
        "drift_every": 0.0,
        "retrain_every": 0.0,
        "min_label_delay": 0.5,
        "max_label_delay": 1.5,
        "seed": 3,
    }
    values.update(overrides)
    return SimulationConfig(**values)


async def _deploy(url: str, name: str, *, fresh: bool = True) -> str:
    """Deploy a new model ``name`` (``fresh``), or make sure some model is active."""
    async with AsyncClient(url, timeout=30) as client:
        if fresh:
            model = await client.train_and_deploy(name, "iris", "logistic_regression")
        else:
            model = await client.setup_model(name, "iris", "logistic_regression")
    return model.model_id


async def _total_predictions(url: str) -> int:
    async with httpx.AsyncClient(base_url=url) as client:
        models = (await client.get("/api/models")).json()
    return sum(int(m["total_predictions"]) for m in models)


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


async def test_traffic_labels_every_prediction_after_its_delay(
    shared_server: ServerProcess,
) -> None:
    server = shared_server
    model_id = await _deploy(server.url, "iris-labels")
    out = io.StringIO()
    config = _quick(server.url, duration=6.0, label_share=1.0, status_interval=2.0)
    summary = await run_simulation(config, console=Console(file=out, width=200))

    # 600/min for 6 s: 60 expected; 4 sigma of a Poisson count is about 31.
    assert 29 <= summary.requests_sent <= 91, summary
    assert summary.predictions_ok == summary.requests_sent and summary.error_total == 0
    assert summary.abandoned == 0 and summary.labels_dropped == 0
    assert summary.labels_inline + summary.labels_feedback == summary.predictions_ok
    assert 0 < summary.labels_inline < summary.predictions_ok
    assert 290 <= summary.achieved_rate_per_minute <= 910

    async with httpx.AsyncClient(base_url=server.url) as client:
        history = (
            await client.get(f"/api/models/{model_id}/predictions", params={"limit": 1000})
        ).json()["predictions"]
        model = (await client.get(f"/api/models/{model_id}")).json()
    assert model["total_predictions"] == summary.predictions_ok == len(history)
    inline = 0
    for row in history:
        assert row["label"] is not None, row
        waited = (_at(row["labelled_at"]) - _at(row["timestamp"])).total_seconds()
        if waited == 0:
            inline += 1
        else:
            assert 0.5 <= waited <= 1.5 + 1.0, row
    assert inline == summary.labels_inline
    assert sum(r["label"] == r["prediction"] for r in history) > 0.85 * len(history)
    assert out.getvalue().count(" sent ") >= 2  # status lines every 2 s


async def test_traffic_keeps_going_when_the_server_comes_back(start_server: StartServer) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    out = io.StringIO()
    stop = asyncio.Event()
    config = _quick(url, duration=60.0, label_share=0.5, error_report_interval=1.0)
    run = asyncio.create_task(
        run_simulation(config, console=Console(file=out, width=200), stop=stop)
    )
    await asyncio.sleep(1.5)  # nobody listens on the port yet
    assert not run.done()
    server = await asyncio.to_thread(start_server, port)
    await _deploy(server.url, "iris-comeback", fresh=False)
    deadline = time.monotonic() + 30
    while await _total_predictions(server.url) < 20:
        assert time.monotonic() < deadline, out.getvalue()
        await asyncio.sleep(0.2)
    stop.set()
    summary = await run

    assert summary.errors["connection"] >= 5, summary
    assert summary.predictions_ok >= 20
    assert summary.requests_sent == (
        summary.predictions_ok + summary.error_total + summary.abandoned
    )
    assert await _total_predictions(server.url) == summary.predictions_ok
    text = out.getvalue()
    assert f"cannot reach {url}" in text and "requests succeed again" in text
    assert summary.elapsed_seconds < 60


async def test_traffic_retrains_and_deploys_a_new_version(shared_server: ServerProcess) -> None:
    server = shared_server
    first = await _deploy(server.url, "iris-retrain")
    async with httpx.AsyncClient(base_url=server.url) as client:
        version = (await client.get(f"/api/models/{first}")).json()["version"]
    before = await _total_predictions(server.url)
    config = _quick(
        server.url, duration=7.0, rate=120.0, retrain_every=2.0, model_name="iris-retrain"
    )
    summary = await run_simulation(config)

    assert summary.retrains >= 1 and summary.retrain_failures == 0, summary
    assert summary.error_total == 0
    async with httpx.AsyncClient(base_url=server.url) as client:
        active = (await client.get("/api/models/active/status")).json()["active_model"]
    assert active["name"] == "iris-retrain" and active["version"] == version + summary.retrains
    assert await _total_predictions(server.url) - before == summary.predictions_ok


async def test_traffic_stops_at_max_requests(shared_server: ServerProcess) -> None:
    server = shared_server
    await _deploy(server.url, "iris-bounded", fresh=False)
    before = await _total_predictions(server.url)
    summary = await run_simulation(_quick(server.url, rate=3000.0, max_requests=40))
    assert summary.requests_sent == 40 and summary.predictions_ok == 40
    assert await _total_predictions(server.url) - before == 40
    assert summary.elapsed_seconds < 5


async def test_traffic_refuses_a_dataset_the_server_does_not_know(
    shared_server: ServerProcess,
) -> None:
    with pytest.raises(InvalidInputError, match="unknown dataset 'nope'"):
        await run_simulation(_quick(shared_server.url, dataset="nope", max_requests=5))


async def test_traffic_on_an_uploaded_mixed_dataset(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = await asyncio.to_thread(start_server)
    async with AsyncClient(server.url, timeout=30) as client:
        await client.upload_dataset(penguins_csv(tmp_path / "penguins.csv"), "species")
        model = await client.train_and_deploy("penguins-lr", "penguins", "logistic_regression")
    # Drift episodes every second, so the run sends swapped categories and shifted numbers.
    config = _quick(
        server.url,
        dataset="penguins",
        rate=3000.0,
        max_requests=150,
        drift_every=1.0,
        drift_duration=0.5,
        label_share=1.0,
        min_label_delay=0.1,
        max_label_delay=0.5,
    )
    out = io.StringIO()
    summary = await run_simulation(config, console=Console(file=out, width=200))

    assert summary.requests_sent == summary.predictions_ok == 150, (summary, out.getvalue())
    assert summary.error_total == 0 and summary.label_errors["4xx"] == 0, out.getvalue()
    assert summary.labels_inline + summary.labels_feedback == 150 and summary.elapsed_seconds < 30
    assert "island, sex swapped to the rarest category in 49% of requests" in out.getvalue()
    async with httpx.AsyncClient(base_url=server.url) as http:
        history = (
            await http.get(f"/api/models/{model.model_id}/predictions", params={"limit": 1000})
        ).json()["predictions"]
        realtime = (await http.get(f"/api/models/{model.model_id}/metrics/realtime")).json()
    assert len(history) == 150
    assert {row["label"] for row in history} <= set(SPECIES)
    assert realtime["total_predictions"] == 150 and realtime["accuracy_window"] == 100
    assert realtime["current_accuracy"] is not None

"""The REST client against the real app in-process (httpx.ASGITransport) and a closed port."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelbeacon.client import AsyncClient, TrainingStatus, describe_failure
from modelbeacon.errors import ModelbeaconError, UnavailableError
from modelbeacon.registry import load_dataset
from tests.support import free_port
from tests.tables import PENGUIN_COLUMNS, penguin_rows, penguins_csv

OpenBeacon = Callable[..., Any]


@pytest.fixture
def open_beacon(client_factory: Callable[..., Any]) -> OpenBeacon:
    """``async with open_beacon(api_key=..., **settings) as beacon``: the client over an app."""

    @asynccontextmanager
    async def open_client(api_key: str | None = None, **settings: Any) -> AsyncIterator[Any]:
        async with client_factory(**settings) as http:
            transport = httpx.ASGITransport(app=http.app)
            async with AsyncClient("http://test", api_key, transport=transport) as beacon:
                yield beacon

    return open_client


async def test_client_trains_waits_with_progress_and_deploys(open_beacon: OpenBeacon) -> None:
    async with open_beacon() as beacon:
        polls: list[TrainingStatus] = []
        job_id = await beacon.train("iris-rf", "iris", "random_forest", {"n_estimators": 30})
        done = await beacon.wait_for_training(job_id, on_progress=polls.append, poll_interval=0.05)
        assert done.state == "completed" and done.stage == "ready" and done.progress == 100.0
        assert polls[-1] == done and done.error is None
        assert await beacon.training_job(job_id) == done

        model = await beacon.model(done.model_id)
        assert (model.name, model.version, model.dataset) == ("iris-rf", 1, "iris")
        assert model.algorithm == "random_forest" and not model.trained
        assert model.validation_accuracy is not None and model.validation_accuracy > 0.8
        assert await beacon.active_model() is None
        assert await beacon.deploy(done.model_id) == model
        assert await beacon.active_model() == model


async def test_client_setup_model_trains_only_when_no_model_is_active(
    open_beacon: OpenBeacon,
) -> None:
    async with open_beacon() as beacon:
        first = await beacon.setup_model("iris-lr", "iris", "logistic_regression")
        assert first.trained and first.name == "iris-lr"
        again = await beacon.setup_model("wine-lr", "wine", "logistic_regression")
        assert not again.trained and again.model_id == first.model_id
        retrained = await beacon.train_and_deploy("iris-lr", "iris", "sgd")
        assert retrained.trained and retrained.version == 2
        assert await beacon.active_model() == dataclasses.replace(retrained, trained=False)


async def test_client_dataset_rows_are_the_servers_rows(open_beacon: OpenBeacon) -> None:
    async with open_beacon() as beacon:
        rows = await beacon.dataset_rows("iris")
    iris = load_dataset("iris")
    assert rows.name == "iris" and rows.feature_names == iris.feature_names
    assert [list(row) for row in rows.rows] == iris.X.tolist()
    assert list(rows.labels) == iris.y.tolist()


async def test_client_dataset_rows_keep_categories_missing_values_and_class_strings(
    open_beacon: OpenBeacon, tmp_path: Path
) -> None:
    async with open_beacon() as beacon:
        await beacon.upload_dataset(penguins_csv(tmp_path / "penguins.csv"), "species")
        rows = await beacon.dataset_rows("penguins")
    expected = penguin_rows()
    assert rows.feature_names == PENGUIN_COLUMNS[:-1]
    assert [list(row) for row in rows.rows] == [row[:-1] for row in expected]
    assert list(rows.labels) == [row[-1] for row in expected]
    assert any(v is None for row in rows.rows for v in row)
    assert all(
        isinstance(row[4], str | None) and isinstance(row[0], float | None) for row in rows.rows
    )


async def test_client_raises_the_servers_message_when_it_refuses(
    open_beacon: OpenBeacon,
) -> None:
    async with open_beacon() as beacon:
        with pytest.raises(ModelbeaconError) as unknown:
            await beacon.model("999")
        assert unknown.value.details == {"status": 404}
        assert "GET /api/models/999 -> HTTP 404 model_not_found" in unknown.value.message
        with pytest.raises(ModelbeaconError, match="dataset_not_found"):
            await beacon.dataset_rows("nope")

        # Passes validation, fails in fit: the job ends failed and the error says why.
        job_id = await beacon.train(
            "iris-bad", "iris", "logistic_regression", {"solver": "liblinear"}
        )
        with pytest.raises(ModelbeaconError, match=r"failed: .*liblinear") as failed:
            await beacon.wait_for_training(job_id, poll_interval=0.05)
        assert failed.value.details["job_id"] == job_id


async def test_client_sends_its_api_key(open_beacon: OpenBeacon) -> None:
    async with open_beacon(api_key="sesame", api_keys="sesame") as beacon:
        assert await beacon.active_model() is None
    async with open_beacon(api_keys="sesame") as keyless:
        with pytest.raises(ModelbeaconError, match="HTTP 401") as refused:
            await keyless.active_model()
        assert refused.value.details == {"status": 401}


async def test_client_raises_unavailable_when_nobody_listens() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with AsyncClient(url) as beacon:
        with pytest.raises(UnavailableError, match=f"cannot reach {url}: ConnectError"):
            await beacon.train("x", "iris", "sgd")


def _response(status: int, body: object) -> httpx.Response:
    request = httpx.Request("POST", "http://server/api/predict")
    return httpx.Response(status, json=body, request=request)


def test_describe_failure_quotes_the_servers_error() -> None:
    body = {"error": {"code": "no_active_model", "message": "no model is deployed", "details": {}}}
    line = describe_failure(_response(404, body), "http://server")
    assert line == "POST /api/predict -> HTTP 404 no_active_model: no model is deployed"
    assert "cannot reach http://server" in describe_failure(
        httpx.ConnectError("x"), "http://server"
    )

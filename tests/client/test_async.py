"""AsyncClient's calls of one route each and its conveniences, against the real app
in-process (httpx.ASGITransport), and against a closed port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelbeacon.client import AsyncClient, DeployedModel, TrainingStatus
from modelbeacon.errors import (
    ConflictError,
    InvalidInputError,
    ModelbeaconError,
    NotFoundError,
    UnavailableError,
)
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
        job = await beacon.train("iris-rf", "iris", "random_forest", {"n_estimators": 30})
        done = await beacon.wait_for_training(
            job["job_id"], on_progress=polls.append, poll_interval=0.05
        )
        assert (done["state"], done["stage"], done["progress"]) == ("completed", "ready", 100.0)
        assert polls[-1] == TrainingStatus.of(done) and done["error"] is None
        assert await beacon.training_job(job["job_id"]) == done

        model = await beacon.model(job["model_id"])
        assert (model["name"], model["version"], model["dataset"]) == ("iris-rf", 1, "iris")
        assert model["algorithm"] == "random_forest" and model["status"] == "ready"
        assert model["validation_accuracy"] > 0.8
        assert await beacon.active_model() is None
        deployed = await beacon.deploy(job["model_id"])
        assert (deployed["model_id"], deployed["model_name"]) == (job["model_id"], "iris-rf")
        active = await beacon.active_model()
        assert active is not None and active["id"] == job["model_id"]
        assert active["status"] == "active"

        served = await beacon.predict([5.1, 3.5, 1.4, 0.2])
        named = await beacon.predict([5.1, 3.5, 1.4, 0.2], model_id=job["model_id"])
        assert served["prediction"] == named["prediction"] == 0
        assert served["model_id"] == job["model_id"]
        assert (await beacon.feedback(served["prediction_id"], 0))["correct"] is True
        with pytest.raises(ConflictError) as conflict:
            await beacon.feedback(served["prediction_id"], 2)
        assert conflict.value.details["status"] == 409
        metrics = await beacon.metrics(job["model_id"])
        assert metrics["model_id"] == job["model_id"] and metrics["status"] == "active"


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
        active = await beacon.active_model()
        assert active is not None
        assert DeployedModel.of(active, trained=True) == retrained


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
        with pytest.raises(NotFoundError) as unknown:
            await beacon.model("999")
        assert unknown.value.details == {
            "status": 404,
            "code": "model_not_found",
            "details": {"model_id": 999},
        }
        assert "GET /api/models/999 -> HTTP 404 model_not_found" in unknown.value.message
        with pytest.raises(NotFoundError, match="dataset_not_found"):
            await beacon.dataset_rows("nope")
        with pytest.raises(InvalidInputError) as bad_name:
            await beacon.register("no spaces allowed", features=["a"], classes=[0, 1])
        assert bad_name.value.details["status"] == 422

        # Passes validation, fails in fit: the job ends failed and the error says why.
        job = await beacon.train("iris-bad", "iris", "logistic_regression", {"solver": "liblinear"})
        with pytest.raises(ModelbeaconError, match=r"failed: .*liblinear") as failed:
            await beacon.wait_for_training(job["job_id"], poll_interval=0.05)
        assert failed.value.details["job_id"] == job["job_id"]


async def test_client_sends_its_api_key(open_beacon: OpenBeacon) -> None:
    async with open_beacon(api_key="sesame", api_keys="sesame") as beacon:
        assert await beacon.active_model() is None
    async with open_beacon(api_keys="sesame") as keyless:
        with pytest.raises(ModelbeaconError, match="HTTP 401") as refused:
            await keyless.active_model()
        assert refused.value.details["status"] == 401


async def test_client_raises_unavailable_when_nobody_listens() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with AsyncClient(url) as beacon:
        with pytest.raises(UnavailableError, match=f"cannot reach {url}: ConnectError"):
            await beacon.train("x", "iris", "sgd")

"""Training and deploying a model through the public REST API, as any client would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from modelbeacon.errors import ModelbeaconError, UnavailableError
from modelbeacon.simulate.failures import describe_failure


@dataclass(frozen=True)
class TrainingStatus:
    """One poll of ``GET /api/training/{job_id}``."""

    job_id: str
    model_id: str
    state: str
    stage: str
    progress: float
    details: str


@dataclass(frozen=True)
class DeployedModel:
    """The model that serves ``POST /api/predict``; ``trained`` when this call trained it."""

    model_id: str
    name: str
    version: int
    dataset: str
    algorithm: str
    validation_accuracy: float | None
    trained: bool


ProgressCallback = Callable[[TrainingStatus], None]


async def train_remote(
    client: httpx.AsyncClient,
    *,
    name: str,
    dataset: str,
    algorithm: str,
    params: dict[str, Any] | None = None,
    on_progress: ProgressCallback | None = None,
    poll_interval: float = 0.25,
    timeout: float = 600.0,
) -> TrainingStatus:
    """Train a new version of ``name`` on the server ``client`` points at; the completed job.

    ``client`` has the server's ``base_url``. Polls the job every ``poll_interval`` seconds and
    calls ``on_progress`` with each poll. Raises ``UnavailableError`` when the server cannot
    be reached, ``ModelbeaconError`` when it refuses a request, the job fails, or the job has
    not ended within ``timeout`` seconds (the job itself keeps running on the server).
    """
    accepted = await _call(
        client,
        "POST",
        "/api/models/train",
        json={"name": name, "dataset": dataset, "algorithm": algorithm, "params": params or {}},
    )
    job_id = str(accepted["job_id"])
    deadline = time.monotonic() + timeout
    while True:
        job = await _call(client, "GET", f"/api/training/{job_id}")
        status = TrainingStatus(
            job_id=job_id,
            model_id=str(job["model_id"]),
            state=str(job["state"]),
            stage=str(job["stage"]),
            progress=float(job["progress"]),
            details=str(job.get("details") or ""),
        )
        if on_progress is not None:
            on_progress(status)
        if status.state == "completed":
            return status
        if status.state == "failed":
            raise ModelbeaconError(
                f"training {name} failed: {job.get('error')}",
                details={"job_id": job_id, "error": job.get("error")},
            )
        if time.monotonic() > deadline:
            raise ModelbeaconError(
                f"training job {job_id} did not end within {timeout:.0f} s",
                details={"job_id": job_id, "stage": status.stage},
            )
        await asyncio.sleep(poll_interval)


async def get_model(client: httpx.AsyncClient, model_id: str) -> DeployedModel:
    """The server's view of ``model_id``; errors as ``train_remote``."""
    return _deployed(await _call(client, "GET", f"/api/models/{model_id}"), trained=True)


async def deploy_remote(client: httpx.AsyncClient, model_id: str) -> DeployedModel:
    """Deploy ``model_id`` on the server; errors as ``train_remote``."""
    await _call(client, "POST", f"/api/models/{model_id}/deploy")
    return await get_model(client, model_id)


async def train_and_deploy(
    client: httpx.AsyncClient,
    *,
    name: str,
    dataset: str,
    algorithm: str,
    params: dict[str, Any] | None = None,
    on_progress: ProgressCallback | None = None,
    poll_interval: float = 0.25,
    timeout: float = 600.0,
) -> DeployedModel:
    """``train_remote`` then ``deploy_remote``."""
    status = await train_remote(
        client, name=name, dataset=dataset, algorithm=algorithm, params=params,
        on_progress=on_progress, poll_interval=poll_interval, timeout=timeout,
    )  # fmt: skip
    return await deploy_remote(client, status.model_id)


async def setup_model(
    client: httpx.AsyncClient,
    dataset: str,
    algorithm: str,
    name: str,
    *,
    on_progress: ProgressCallback | None = None,
) -> DeployedModel:
    """Make sure a model is active: return the active one, or train and deploy ``name``.

    Leaves an already active model alone, even one of another dataset (the caller decides
    what to do with ``DeployedModel.dataset``). Errors as ``train_and_deploy``.
    """
    status = await _call(client, "GET", "/api/models/active/status")
    active = status.get("active_model")
    if active is not None:
        return _deployed(active, trained=False)
    return await train_and_deploy(
        client, name=name, dataset=dataset, algorithm=algorithm, on_progress=on_progress
    )


async def _call(
    client: httpx.AsyncClient, method: str, path: str, json: Any = None
) -> dict[str, Any]:
    url = str(client.base_url)
    try:
        response = await client.request(method, path, json=json)
    except httpx.TransportError as exc:
        raise UnavailableError(describe_failure(exc, url), details={"url": url}) from exc
    if response.status_code >= 400:
        raise ModelbeaconError(
            describe_failure(response, url), details={"status": response.status_code}
        )
    body: dict[str, Any] = response.json()
    return body


def _deployed(model: dict[str, Any], *, trained: bool) -> DeployedModel:
    accuracy = model.get("validation_accuracy")
    return DeployedModel(
        model_id=str(model["id"]),
        name=str(model["name"]),
        version=int(model["version"]),
        dataset=str(model["dataset"]),
        algorithm=str(model["algorithm"]),
        validation_accuracy=None if accuracy is None else float(accuracy),
        trained=trained,
    )

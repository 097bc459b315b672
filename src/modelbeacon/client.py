"""The product's REST client: train, deploy and read a running modelbeacon server over HTTP.

The seed of DESIGN.md section 9's ``modelbeacon.client``; today it covers what the CLI and the
traffic simulator need. It imports nothing of the server's own layers, only ``errors``.

Every method raises ``UnavailableError`` when the server cannot be reached (refused, reset,
timed out) and ``ModelbeaconError`` when it refuses a request; both carry a message a person
can act on (``describe_failure``), and a refusal's ``details["status"]`` is the HTTP status.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json as jsonlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from modelbeacon.errors import ModelbeaconError, UnavailableError


@dataclass(frozen=True)
class TrainingStatus:
    """One poll of ``GET /api/training/{job_id}``; ``error`` says why a ``failed`` job failed."""

    job_id: str
    model_id: str
    state: str
    stage: str
    progress: float
    details: str
    error: str | None


@dataclass(frozen=True)
class DeployedModel:
    """A model as the server shows it; ``trained`` when the call that returned it trained it."""

    model_id: str
    name: str
    version: int
    dataset: str
    algorithm: str
    validation_accuracy: float | None
    trained: bool


@dataclass(frozen=True)
class DatasetRows:
    """Every row of a dataset (``GET /api/datasets/{name}/rows``), values in
    ``feature_names`` order, ``labels[i]`` the true class of ``rows[i]``.

    A value is a float, a category (string) or ``None`` (missing); a built-in dataset has
    floats only. A label is an integer class, or the class string of an uploaded dataset
    whose classes are not all integers.
    """

    name: str
    feature_names: tuple[str, ...]
    rows: tuple[tuple[float | str | None, ...], ...]
    labels: tuple[int | str, ...]


ProgressCallback = Callable[[TrainingStatus], None]


def describe_failure(failure: httpx.Response | httpx.TransportError, url: str) -> str:
    """One line a person can act on: what failed and what the server (or socket) said."""
    if isinstance(failure, httpx.TransportError):
        reason = str(failure) or type(failure).__name__
        return f"cannot reach {url}: {type(failure).__name__}: {reason}"
    try:
        body = failure.json()
        error = body["error"]
        said = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        said = failure.text[:200] or failure.reason_phrase
    request = failure.request
    return f"{request.method} {request.url.path} -> HTTP {failure.status_code} {said}"


class AsyncClient:
    """One server at ``url``, over one pooled ``httpx.AsyncClient``; use as ``async with``.

    ``api_key`` is sent as ``X-API-Key`` with every request; ``timeout`` bounds each request
    in seconds; at most ``max_connections`` requests are open at once. ``transport`` replaces
    the network (``httpx.ASGITransport(app)`` runs an app in-process). Closing the client
    closes its connections.
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        max_connections: int = 100,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = url
        self._http = httpx.AsyncClient(
            base_url=url,
            headers={"X-API-Key": api_key} if api_key else {},
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections),
            transport=transport,
        )

    @property
    def url(self) -> str:
        """The server's base URL, as given."""
        return self._url

    @property
    def http(self) -> httpx.AsyncClient:
        """The connection pool under this client (base URL, key and timeout set), for the
        requests it has no method for yet; closed with the client."""
        return self._http

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def train(
        self, name: str, dataset: str, algorithm: str, params: dict[str, Any] | None = None
    ) -> str:
        """Start training a new version of ``name``; the job id (``wait_for_training`` it)."""
        accepted = await self._call(
            "POST",
            "/api/models/train",
            json={"name": name, "dataset": dataset, "algorithm": algorithm, "params": params or {}},
        )
        return str(accepted["job_id"])

    async def training_job(self, job_id: str) -> TrainingStatus:
        """The job's state now."""
        job = await self._call("GET", f"/api/training/{job_id}")
        return TrainingStatus(
            job_id=job_id,
            model_id=str(job["model_id"]),
            state=str(job["state"]),
            stage=str(job["stage"]),
            progress=float(job["progress"]),
            details=str(job.get("details") or ""),
            error=None if job.get("error") is None else str(job["error"]),
        )

    async def wait_for_training(
        self,
        job_id: str,
        on_progress: ProgressCallback | None = None,
        poll_interval: float = 0.25,
        timeout: float = 600.0,
    ) -> TrainingStatus:
        """Poll the job every ``poll_interval`` s until it ends; its completed status.

        Calls ``on_progress`` with each poll. Raises ``ModelbeaconError`` when the job fails
        or has not ended within ``timeout`` seconds (the job itself keeps running).
        """
        deadline = time.monotonic() + timeout
        while True:
            status = await self.training_job(job_id)
            if on_progress is not None:
                on_progress(status)
            if status.state == "completed":
                return status
            if status.state == "failed":
                raise ModelbeaconError(
                    f"training job {job_id} (model {status.model_id}) failed: {status.error}",
                    details={"job_id": job_id, "error": status.error},
                )
            if time.monotonic() > deadline:
                raise ModelbeaconError(
                    f"training job {job_id} did not end within {timeout:.0f} s",
                    details={"job_id": job_id, "stage": status.stage},
                )
            await asyncio.sleep(poll_interval)

    async def model(self, model_id: str) -> DeployedModel:
        """The server's view of ``model_id`` (``trained`` False: this call trained nothing)."""
        return _model(await self._call("GET", f"/api/models/{model_id}"))

    async def deploy(self, model_id: str) -> DeployedModel:
        """Make ``model_id`` the active model; the server's view of it afterwards."""
        await self._call("POST", f"/api/models/{model_id}/deploy")
        return await self.model(model_id)

    async def active_model(self) -> DeployedModel | None:
        """The active model (``GET /api/models/active/status``); None when none is."""
        active = (await self._call("GET", "/api/models/active/status")).get("active_model")
        return None if active is None else _model(active)

    async def dataset_rows(self, name: str) -> DatasetRows:
        """Every row of the dataset ``name``, with its label."""
        body = await self._call("GET", f"/api/datasets/{name}/rows")
        return DatasetRows(
            name=str(body["name"]),
            feature_names=tuple(str(f) for f in body["feature_names"]),
            rows=tuple(tuple(_row_value(v) for v in row) for row in body["rows"]),
            labels=tuple(
                label if isinstance(label, str) else int(label) for label in body["labels"]
            ),
        )

    async def train_and_deploy(
        self,
        name: str,
        dataset: str,
        algorithm: str,
        params: dict[str, Any] | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        poll_interval: float = 0.25,
        timeout: float = 600.0,
    ) -> DeployedModel:
        """``train``, ``wait_for_training``, then ``deploy``; the model, ``trained`` True."""
        job_id = await self.train(name, dataset, algorithm, params)
        status = await self.wait_for_training(job_id, on_progress, poll_interval, timeout)
        return dataclasses.replace(await self.deploy(status.model_id), trained=True)

    async def setup_model(
        self,
        name: str,
        dataset: str,
        algorithm: str,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> DeployedModel:
        """Make sure a model is active: return the active one, or train and deploy ``name``.

        Leaves an already active model alone, even one of another dataset (the caller decides
        what to do with ``DeployedModel.dataset``).
        """
        active = await self.active_model()
        if active is not None:
            return active
        return await self.train_and_deploy(name, dataset, algorithm, on_progress=on_progress)

    async def upload_dataset(
        self, csv_path: Path, target: str, name: str | None = None
    ) -> dict[str, Any]:
        """Upload a CSV as a dataset (``POST /api/datasets``); returns its description."""
        data = {"target": target} if name is None else {"target": target, "name": name}
        with open(csv_path, "rb") as file:
            return await self._call(
                "POST", "/api/datasets", files={"file": (csv_path.name, file)}, data=data
            )

    async def import_model(
        self,
        model_path: Path,
        name: str,
        *,
        features: Sequence[str | dict[str, Any]] | None = None,
        classes: Sequence[Any] | None = None,
        reference: Path | None = None,
        target: str = "target",
    ) -> dict[str, Any]:
        """Import a skops or ONNX model file (``POST /api/models/import``); returns the model."""
        data: dict[str, str] = {"name": name, "target": target}
        if features is not None:
            data["features"] = jsonlib.dumps(list(features))
        if classes is not None:
            data["classes"] = jsonlib.dumps(list(classes))
        with contextlib.ExitStack() as files:
            parts: dict[str, Any] = {
                "file": (model_path.name, files.enter_context(open(model_path, "rb")))
            }
            if reference is not None:
                parts["reference"] = (reference.name, files.enter_context(open(reference, "rb")))
            return await self._call("POST", "/api/models/import", files=parts, data=data)

    async def _call(self, method: str, path: str, json: Any = None, **send: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, json=json, **send)
        except httpx.TransportError as exc:
            raise UnavailableError(
                describe_failure(exc, self._url), details={"url": self._url}
            ) from exc
        if response.status_code >= 400:
            raise ModelbeaconError(
                describe_failure(response, self._url), details={"status": response.status_code}
            )
        body: dict[str, Any] = response.json()
        return body


def _row_value(value: Any) -> float | str | None:
    """A dataset cell as sent: a category or ``None`` as it is, any number as a float."""
    return value if value is None or isinstance(value, str) else float(value)


def _model(model: dict[str, Any]) -> DeployedModel:
    accuracy = model.get("validation_accuracy")
    return DeployedModel(
        model_id=str(model["id"]),
        name=str(model["name"]),
        version=int(model["version"]),
        dataset=str(model["dataset"] or ""),
        algorithm=str(model["algorithm"]),
        validation_accuracy=None if accuracy is None else float(accuracy),
        trained=False,
    )

"""The server's routes as the client calls them: each function builds one ``Call`` (method,
path, body) and marks whether sending it again after a lost answer is harmless.

Only these calls are retried: reads, logging (ids are set here and the server skips known
ones) and labels (the same label again is a no-op). Training, deploying, registering,
predicting and uploads are sent once: repeating them would repeat their effect.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from modelbeacon.client._records import encode_json


@dataclass(frozen=True)
class Call:
    """One request to send: a ``json`` value (numpy values allowed), JSON already encoded
    (``content``), or a form of ``data`` and ``files`` (field name -> path, opened only while
    the call is sent)."""

    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    data: dict[str, str] | None = None
    params: dict[str, str | int] | None = None
    files: dict[str, Path] = field(default_factory=dict)
    idempotent: bool = False

    @contextlib.contextmanager
    def request_options(self) -> Iterator[dict[str, Any]]:
        """The keyword arguments for ``httpx``'s ``request(method, path, **options)``."""
        options: dict[str, Any] = {}
        content = self.content if self.json is None else encode_json(self.json)
        if content is not None:
            options["content"] = content
            options["headers"] = {"content-type": "application/json"}
        if self.data is not None:
            options["data"] = self.data
        if self.params is not None:
            options["params"] = self.params
        with contextlib.ExitStack() as stack:
            if self.files:
                options["files"] = {
                    name: (path.name, stack.enter_context(open(path, "rb")))
                    for name, path in self.files.items()
                }
            yield options


def _id(value: str | int) -> str:
    return quote(str(value), safe="")


def log_predictions(model_id: str | int, records: Sequence[bytes]) -> Call:
    """``records`` already encoded as JSON objects (see ``_records``)."""
    body = b'{"records":[' + b",".join(records) + b"]}"
    return Call("POST", f"/api/models/{_id(model_id)}/predictions", content=body, idempotent=True)


def feedback(prediction_id: str, label: Any) -> Call:
    return Call(
        "POST", f"/api/predictions/{_id(prediction_id)}/feedback", {"label": label}, idempotent=True
    )


def feedback_many(items: list[dict[str, Any]]) -> Call:
    return Call("POST", "/api/feedback", {"labels": items}, idempotent=True)


def predict(features: Any, model_id: str | int | None, label: Any = None) -> Call:
    path = "/api/predict" if model_id is None else f"/api/models/{_id(model_id)}/predict"
    body = {"features": features} if label is None else {"features": features, "label": label}
    return Call("POST", path, body)


def register(
    name: str,
    features: Sequence[str | dict[str, Any]] | None,
    classes: Sequence[Any] | None,
    reference_dataset: str | None,
) -> Call:
    body: dict[str, Any] = {"name": name}
    if features is not None:
        body["features"] = list(features)
    if classes is not None:
        body["classes"] = list(classes)
    if reference_dataset is not None:
        body["reference_dataset"] = reference_dataset
    return Call("POST", "/api/models/register", body)


def train(name: str, dataset: str, algorithm: str, params: dict[str, Any] | None) -> Call:
    body = {"name": name, "dataset": dataset, "algorithm": algorithm, "params": params or {}}
    return Call("POST", "/api/models/train", body)


def training_job(job_id: str) -> Call:
    return Call("GET", f"/api/training/{_id(job_id)}", idempotent=True)


def deploy(model_id: str | int) -> Call:
    return Call("POST", f"/api/models/{_id(model_id)}/deploy")


def model(model_id: str | int) -> Call:
    return Call("GET", f"/api/models/{_id(model_id)}", idempotent=True)


def models() -> Call:
    return Call("GET", "/api/models", idempotent=True)


def active_status() -> Call:
    return Call("GET", "/api/models/active/status", idempotent=True)


def metrics(model_id: str | int) -> Call:
    return Call("GET", f"/api/models/{_id(model_id)}/metrics/realtime", idempotent=True)


def predictions(model_id: str | int, limit: int) -> Call:
    path = f"/api/models/{_id(model_id)}/predictions"
    return Call("GET", path, params={"limit": limit}, idempotent=True)


def dataset_rows(name: str) -> Call:
    return Call("GET", f"/api/datasets/{_id(name)}/rows", idempotent=True)


def upload_dataset(csv_path: Path, target: str, name: str | None) -> Call:
    data = {"target": target} if name is None else {"target": target, "name": name}
    return Call("POST", "/api/datasets", data=data, files={"file": csv_path})


def import_model(
    model_path: Path,
    name: str,
    features: Sequence[str | dict[str, Any]] | None,
    classes: Sequence[Any] | None,
    reference: Path | None,
    target: str,
) -> Call:
    data = {"name": name, "target": target}
    if features is not None:
        data["features"] = json.dumps(list(features))
    if classes is not None:
        data["classes"] = json.dumps(list(classes))
    files = {"file": model_path}
    if reference is not None:
        files["reference"] = reference
    return Call("POST", "/api/models/import", data=data, files=files)

"""``Client``: the blocking client, for a serving process or a script (``AsyncClient`` is the
same for asyncio)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from modelbeacon.client import _routes
from modelbeacon.client._batching import LogOptions
from modelbeacon.client._errors import LogDeliveryError
from modelbeacon.client._http import Backoff, Outcome, body_of, describe_failure, worth_retrying
from modelbeacon.client._log_thread import LogThread
from modelbeacon.client._records import Timestamp, feedback_items, prediction_record
from modelbeacon.client._routes import Call
from modelbeacon.client._views import (
    DatasetRows,
    DeployedModel,
    ProgressCallback,
    TrainingStatus,
    training_ended,
)

logger = logging.getLogger("modelbeacon.client")


class Client:
    """One modelbeacon server at ``url``, over one pooled ``httpx.Client``; a context manager.

    ``api_key`` is sent as ``X-API-Key``; ``timeout`` bounds each request in seconds. Logged
    predictions are queued and sent in batches from a background thread (``LogOptions``:
    ``batch_size``, ``flush_interval``, ``max_queue``, ``enqueue_timeout``). Logging, labels and
    reads are retried ``retries`` times on no answer, a 5xx or a 429, waiting ``backoff``
    seconds doubling up to ``max_backoff`` with jitter; no other call is sent twice.
    ``transport`` replaces the network (tests). Errors: see ``modelbeacon.client``.
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        max_queue: int = 10_000,
        enqueue_timeout: float = 1.0,
        retries: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_connections: int = 100,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = url
        self._backoff = Backoff(retries, backoff, max_backoff)
        options = LogOptions(batch_size, flush_interval, max_queue, enqueue_timeout)
        self._http = httpx.Client(
            base_url=url,
            headers={"X-API-Key": api_key} if api_key else {},
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections),
            transport=transport,
        )
        self._logs = LogThread(options, self._attempt, url)

    @property
    def url(self) -> str:
        """The server's base URL, as given."""
        return self._url

    @property
    def http(self) -> httpx.Client:
        """The connection pool under this client (base URL, key and timeout set), for requests
        it has no method for; closed with the client."""
        return self._http

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.close()
        except LogDeliveryError:
            if exc is None:
                raise
            # Already logged; the exception on its way out says more about what went wrong.

    def close(self) -> None:
        """Send every queued record, stop the sender and close the connections. Raises
        ``LogDeliveryError`` for records that could not be logged (after closing)."""
        try:
            self._logs.close()
        finally:
            self._http.close()

    # Logging predictions made elsewhere -------------------------------------------------

    def log_prediction(
        self,
        model_id: str | int,
        *,
        features: Any,
        prediction: Any,
        probabilities: Mapping[str, float] | None = None,
        latency_ms: float | None = None,
        label: Any = None,
        prediction_id: str | None = None,
        timestamp: Timestamp | None = None,
    ) -> str:
        """Queue one prediction of a registered model and return its id at once (a new uuid4
        hex unless given; retries and repeats never log it twice).

        ``timestamp`` (datetime, naive = UTC; unix seconds; ISO text) defaults to now, when
        it is queued, not when its batch is sent. Raises ``InvalidInputError`` for a value
        JSON cannot hold or a malformed id or timestamp, and ``LogQueueFullError`` when
        ``max_queue`` records still wait after ``enqueue_timeout`` s.
        """
        record = prediction_record(
            model_id,
            features=features,
            prediction=prediction,
            probabilities=probabilities,
            latency_ms=latency_ms,
            label=label,
            prediction_id=prediction_id,
            timestamp=timestamp,
            queued_at=time.monotonic(),
        )
        self._logs.put(record)
        return record.prediction_id

    def log_predictions(
        self, model_id: str | int, records: Iterable[Mapping[str, Any]]
    ) -> list[str]:
        """``log_prediction`` for each record (a mapping of its keyword arguments); the ids."""
        return [self.log_prediction(model_id, **record) for record in records]

    def flush(self, timeout: float | None = None) -> None:
        """Send every queued record now and wait until each is logged or failed. Raises
        ``LogDeliveryError`` for what failed since the last raise (also logged as it fails),
        ``TimeoutError`` when records are still on their way after ``timeout`` s."""
        self._logs.flush(timeout)

    @property
    def last_error(self) -> LogDeliveryError | None:
        """The most recent batch that failed, even one already raised."""
        return self._logs.last_error

    # Labels -------------------------------------------------------------------------------

    def feedback(self, prediction_id: str, label: Any) -> dict[str, Any]:
        """Attach the true label; the same label again is a no-op, another one a 409
        (``ConflictError``). A prediction this client logged and still holds is sent
        first, so its label always finds it."""
        self._logs.wait_for([prediction_id])
        return self._json(_routes.feedback(prediction_id, label))

    def feedback_many(
        self, labels: Mapping[str, Any] | Iterable[tuple[str, Any]]
    ) -> list[dict[str, Any]]:
        """Labels for many predictions, ``{prediction_id: label}`` or pairs, sent 1000 per
        request; one ``{prediction_id, status, message}`` per label, in order. Predictions
        this client logged and still holds are sent first."""
        items = feedback_items(labels)
        self._logs.wait_for([item["prediction_id"] for item in items])
        results: list[dict[str, Any]] = []
        for start in range(0, len(items), 1000):
            call = _routes.feedback_many(items[start : start + 1000])
            results.extend(self._json(call)["results"])
        return results

    # One route each -----------------------------------------------------------------------

    def predict(
        self, features: Any, model_id: str | int | None = None, label: Any = None
    ) -> dict[str, Any]:
        """A prediction from ``model_id``, or the active model; ``label``, when known already,
        is logged with it (an inline label)."""
        return self._json(_routes.predict(features, model_id, label))

    def register(
        self,
        name: str,
        features: Sequence[str | dict[str, Any]] | None = None,
        classes: Sequence[Any] | None = None,
        reference_dataset: str | None = None,
    ) -> dict[str, Any]:
        """Register a model served elsewhere (status ``monitored``); the model."""
        return self._json(_routes.register(name, features, classes, reference_dataset))

    def train(
        self, name: str, dataset: str, algorithm: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Start training a new version of ``name``: ``{job_id, model_id}``."""
        return self._json(_routes.train(name, dataset, algorithm, params))

    def training_job(self, job_id: str) -> dict[str, Any]:
        return self._json(_routes.training_job(job_id))

    def wait_for_training(
        self,
        job_id: str,
        *,
        on_progress: ProgressCallback | None = None,
        poll_interval: float = 0.25,
        timeout: float = 600.0,
    ) -> dict[str, Any]:
        """Poll the job every ``poll_interval`` s until it completes; the completed job.

        Calls ``on_progress`` with each poll. Raises ``ModelbeaconError`` when the job fails
        or has not ended within ``timeout`` s (the job itself keeps running).
        """
        deadline = time.monotonic() + timeout
        while True:
            job = self.training_job(job_id)
            if on_progress is not None:
                on_progress(TrainingStatus.of(job))
            if training_ended(job, overdue=time.monotonic() > deadline, timeout=timeout):
                return job
            time.sleep(poll_interval)

    def deploy(self, model_id: str | int) -> dict[str, Any]:
        """Make ``model_id`` the active model: ``{model_id, model_name, model_version,
        deployment_timestamp}``."""
        return self._json(_routes.deploy(model_id))

    def model(self, model_id: str | int) -> dict[str, Any]:
        return self._json(_routes.model(model_id))

    def models(self) -> list[dict[str, Any]]:
        """Every model the server knows, oldest first."""
        models: list[dict[str, Any]] = body_of(self._attempt(_routes.models()), self._url)
        return models

    def active_model(self) -> dict[str, Any] | None:
        """The active model; None when none is."""
        active: dict[str, Any] | None = self._json(_routes.active_status())["active_model"]
        return active

    def metrics(self, model_id: str | int) -> dict[str, Any]:
        """The model's realtime metrics, as the dashboard shows them."""
        return self._json(_routes.metrics(model_id))

    def predictions(self, model_id: str | int, limit: int = 100) -> list[dict[str, Any]]:
        """The model's ``limit`` newest logged predictions, newest first."""
        predictions: list[dict[str, Any]] = self._json(_routes.predictions(model_id, limit))[
            "predictions"
        ]
        return predictions

    def upload_dataset(
        self, csv_path: Path, target: str, name: str | None = None
    ) -> dict[str, Any]:
        """Upload a CSV as a dataset to train on; its description."""
        return self._json(_routes.upload_dataset(csv_path, target, name))

    def import_model(
        self,
        model_path: Path,
        name: str,
        *,
        features: Sequence[str | dict[str, Any]] | None = None,
        classes: Sequence[Any] | None = None,
        reference: Path | None = None,
        target: str = "target",
    ) -> dict[str, Any]:
        """Import a skops or ONNX model file as a ready model; the model."""
        call = _routes.import_model(model_path, name, features, classes, reference, target)
        return self._json(call)

    # Conveniences -------------------------------------------------------------------------

    def dataset_rows(self, name: str) -> DatasetRows:
        """Every row of the dataset ``name``, with its label."""
        return DatasetRows.of(self._json(_routes.dataset_rows(name)))

    def train_and_deploy(
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
        job = self.train(name, dataset, algorithm, params)
        self.wait_for_training(
            job["job_id"], on_progress=on_progress, poll_interval=poll_interval, timeout=timeout
        )
        self.deploy(job["model_id"])
        return DeployedModel.of(self.model(job["model_id"]), trained=True)

    def setup_model(
        self,
        name: str,
        dataset: str,
        algorithm: str,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> DeployedModel:
        """The active model, or ``name`` trained and deployed when none is active (an active
        model of another dataset is left alone: check ``DeployedModel.dataset``)."""
        active = self.active_model()
        if active is not None:
            return DeployedModel.of(active)
        return self.train_and_deploy(name, dataset, algorithm, on_progress=on_progress)

    # Sending ------------------------------------------------------------------------------

    def _json(self, call: Call) -> dict[str, Any]:
        body: dict[str, Any] = body_of(self._attempt(call), self._url)
        return body

    def _attempt(self, call: Call) -> Outcome:
        """Send ``call``, again after a wait when it is idempotent and the failure may pass."""
        waits = self._backoff.waits() if call.idempotent else iter(())
        while True:
            outcome = self._send_once(call)
            if not worth_retrying(outcome) or (wait := next(waits, None)) is None:
                return outcome
            wait = self._backoff.wait_after(outcome, wait)
            logger.warning("%s; again in %.2f s", describe_failure(outcome, self._url), wait)
            time.sleep(wait)

    def _send_once(self, call: Call) -> Outcome:
        with call.request_options() as options:
            try:
                return self._http.request(call.method, call.path, **options)
            except httpx.TransportError as exc:
                return exc

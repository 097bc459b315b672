"""Driving a model served elsewhere: the simulator plays a team's own serving process, which
predicts with its own model and reports to modelbeacon through the logging API.

One run is one ``_ExternalRun`` (a ``run.SimulationRun``). At its first arrivals it fetches
the dataset's rows, fits a ``LocalModel`` on them in this process, and registers
``config.external_model_name`` with the dataset as its drift reference (status
``monitored``), or reuses the newest registered model of that name on the same dataset and
classes. Then each arrival is a prediction made locally, timed around the model call, and
queued with ``log_prediction`` (the client sends them in batches); inline labels go with their
record. Every ``LABEL_BATCH_SECONDS`` the run flushes the log (which confirms what was logged)
and sends the labels due by then in one ``feedback_many``: after the flush, so that a label
never arrives before its prediction. Arrivals, inputs, drift episodes, label shares and delays
are the served run's, from random streams of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape

from modelbeacon.client import AsyncClient, DatasetRows, LogDeliveryError
from modelbeacon.errors import ModelbeaconError
from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.failures import failure_kind
from modelbeacon.simulate.inputs import InputSampler, Sample
from modelbeacon.simulate.labels import PendingLabel
from modelbeacon.simulate.local_model import LocalModel
from modelbeacon.simulate.run import SimulationRun
from modelbeacon.simulate.summary import SimulationSummary, start_line
from modelbeacon.simulate.traffic import run_simulation, simulation_client

#: Seconds between two flushes of the log, each followed by the labels due by then.
LABEL_BATCH_SECONDS = 0.5
#: Feedback statuses that mean the server holds the label.
_LABELLED = frozenset({"accepted", "unchanged"})


async def run_external_simulation(
    config: SimulationConfig,
    *,
    console: Console | None = None,
    stop: asyncio.Event | None = None,
    tagged: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SimulationSummary:
    """Log the predictions of a model served elsewhere to ``config.url`` until the run is
    over; return what happened (``SimulationSummary.external_model`` set).

    Bounds, failures and status lines are as ``traffic.run_simulation``'s; a log batch that
    fails counts each of its records as an error of the batch's kind. ``tagged`` starts each
    line printed with the model's name (for a console shared with another run);
    ``transport`` replaces the network (tests). Raises
    ``InvalidInputError`` when the server does not know ``config.dataset`` or refuses the
    registration.
    """
    prefix = f"[cyan]{escape(config.external_model_name)}[/cyan] " if tagged else ""
    with _client_log_silenced():
        client = simulation_client(config, transport)
        try:
            run = _ExternalRun(config, client, console, stop, prefix=prefix)
            return await run.execute()
        finally:
            # What close() still fails to send was counted as unlogged at stop.
            with contextlib.suppress(LogDeliveryError):
                await client.close()


def beside_served(config: SimulationConfig) -> SimulationConfig:
    """The configuration of the external run beside the served one: half its traffic (the
    rate or the wave, and ``max_requests``), all else the same."""
    return replace(
        config,
        rate=None if config.rate is None else config.rate / 2,
        low_rate=config.low_rate / 2,
        high_rate=config.high_rate / 2,
        max_requests=None if config.max_requests is None else math.ceil(config.max_requests / 2),
    )


async def run_with_external(
    config: SimulationConfig,
    *,
    console: Console | None = None,
    stop: asyncio.Event | None = None,
) -> tuple[SimulationSummary, SimulationSummary]:
    """``run_simulation(config)`` and, beside it, ``run_external_simulation`` with
    ``beside_served(config)``, both until ``stop`` (or their bounds); their two summaries.
    When one raises, the other is cancelled and the error raised."""
    served = asyncio.create_task(run_simulation(config, console=console, stop=stop))
    external = asyncio.create_task(
        run_external_simulation(beside_served(config), console=console, stop=stop, tagged=True)
    )
    runs = (served, external)
    try:
        await asyncio.wait(runs, return_when=asyncio.FIRST_EXCEPTION)
        for run in runs:
            if run.done() and (error := run.exception()) is not None:
                raise error
    finally:
        pending = [run for run in runs if not run.done()]
        for run in pending:
            run.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return served.result(), external.result()


@contextlib.contextmanager
def _client_log_silenced() -> Iterator[None]:
    """Keep the client's own line per failed log batch off the terminal while a run goes: the
    run reports those failures itself, rate-limited, and an outage would flood it."""
    client_logger = logging.getLogger("modelbeacon.client")
    client_logger.addFilter(_drop)
    try:
        yield
    finally:
        client_logger.removeFilter(_drop)


def _drop(record: logging.LogRecord) -> bool:
    return False


class _ExternalRun(SimulationRun):
    stream = "external:"

    def __init__(
        self,
        config: SimulationConfig,
        client: AsyncClient,
        console: Console | None,
        stop: asyncio.Event | None,
        *,
        prefix: str = "",
    ) -> None:
        super().__init__(config, client, console, stop, prefix=prefix)
        self._name = config.external_model_name
        self._model: LocalModel | None = None
        self._model_id: str | None = None
        self._queued = 0  # records handed to log_prediction
        self._unlogged_total = 0  # of those, records the server never logged
        self._unlogged: dict[str, float] = {}  # id -> run time its batch failed
        self._flushing = asyncio.Lock()

    def _start_line(self) -> str:
        return start_line(self._config, external_model=self._name)

    def _status_counts(self) -> str:
        c = self._counters
        return f"made {c.requests_sent}  logged {c.predictions_ok}  errors {c.error_total}"

    def _summary(self, *, elapsed: float, sending: float) -> SimulationSummary:
        model = self._name if self._model_id is None else f"{self._name} (model {self._model_id})"
        return self._counters.freeze(elapsed=elapsed, sending=sending, external_model=model)

    # -- the model ----------------------------------------------------------------------------

    async def _prepare(self, dataset: DatasetRows) -> None:
        if self._model is None:
            self._say(
                f"fitting a logistic regression on {escape(dataset.name)} "
                f"({len(dataset.rows)} rows) in this process"
            )
            self._model = await asyncio.to_thread(LocalModel.fit, dataset)
        if self._model_id is None:
            self._model_id = str((await self._registered(dataset, self._model))["id"])

    async def _registered(self, dataset: DatasetRows, local: LocalModel) -> dict[str, Any]:
        """The newest registered model of this run's name that fits ``local`` on
        ``dataset``; else a new version of it, registered now."""
        classes = {str(c) for c in local.classes}
        models = await self._client.models()
        fitting = [
            model
            for model in models
            if model["name"] == self._name
            and model["source"] == "registered"
            and model["dataset"] == dataset.name
            and model["feature_names"] == list(dataset.feature_names)
            and {str(c) for c in model["classes"]} == classes
        ]
        if fitting:
            model = max(fitting, key=lambda m: int(m["version"]))
            verb = "logging as"
        else:
            model = await self._client.register(self._name, reference_dataset=dataset.name)
            verb = "registered"
        self._say(
            f"{verb} [bold]{escape(self._name)}[/bold] v{model['version']} (model "
            f"{model['id']}, {model['status']}, drift reference {escape(dataset.name)})"
        )
        return model

    # -- predictions --------------------------------------------------------------------------

    async def _request(
        self, inputs: InputSampler, sample: Sample, *, inline: bool, delay: float | None
    ) -> None:
        assert self._model is not None and self._model_id is not None  # set before any request
        made = await asyncio.to_thread(self._model.predict, sample.features)
        try:
            prediction_id = await self._client.log_prediction(
                self._model_id,
                features=inputs.request_features(sample),
                prediction=made.prediction,
                probabilities=made.probabilities,
                latency_ms=made.latency_ms,
                label=sample.label if inline else None,
                timestamp=time.time(),
            )
        except ModelbeaconError as exc:  # the queue stayed full, or a value JSON cannot hold
            self._record_failure(self._counters.errors, exc)
            return
        self._queued += 1
        if inline:
            self._counters.labels_inline += 1
        elif delay is not None:
            self._queue_label(self._now() + delay, prediction_id, sample.label)

    async def _flush(self, timeout: float | None = None) -> None:
        """Send what waits in the log and count what the server logged; records still on
        their way after ``timeout`` s stay unconfirmed."""
        async with self._flushing:
            point = self._queued
            failed = False
            try:
                await self._client.flush(timeout)
            except LogDeliveryError as error:
                self._count_unlogged(error)
                failed = True
            except TimeoutError:
                return
            # A failed batch may hold records queued after ``point``: never count down.
            logged = point - self._unlogged_total
            if logged > self._counters.predictions_ok:
                self._counters.predictions_ok = logged
                if not failed:
                    self._failures.success()

    def _count_unlogged(self, error: LogDeliveryError) -> None:
        now = self._now()
        for failure in error.failures:
            records = failure.records
            self._unlogged_total += len(records)
            self._unlogged.update((str(record["prediction_id"]), now) for record in records)
            self._record_failure(self._counters.errors, failure, len(records))
            # An inline label failed with its record.
            inline = sum("label" in record for record in records)
            self._counters.labels_inline -= inline
            self._counters.label_errors[failure_kind(failure)] += inline

    async def _finish(self) -> None:
        await self._flush(timeout=self._config.request_timeout + 1.0)

    # -- labels -------------------------------------------------------------------------------

    async def _dispatch_labels(self) -> None:
        """Every ``LABEL_BATCH_SECONDS``: flush the log, then send the labels due by then."""
        while True:
            await asyncio.sleep(LABEL_BATCH_SECONDS)
            await asyncio.wait({self._spawn_send(self._labels.pop_due(self._now()))})

    async def _send_labels(self, due: list[PendingLabel]) -> None:
        await self._flush()
        # A label of a prediction the server never logged would only come back not_found.
        forget_before = self._now() - self._config.max_label_delay - 2 * LABEL_BATCH_SECONDS
        self._unlogged = {pid: t for pid, t in self._unlogged.items() if t >= forget_before}
        labels = [(p.prediction_id, p.label) for p in due if p.prediction_id not in self._unlogged]
        self._counters.labels_dropped += len(due) - len(labels)
        if not labels:
            return
        try:
            results = await self._client.feedback_many(labels)
        except ModelbeaconError as exc:
            self._record_failure(self._counters.label_errors, exc, len(labels))
            return
        for result in results:
            if result["status"] in _LABELLED:
                self._counters.labels_feedback += 1
            else:
                self._counters.label_errors["4xx"] += 1
                self._failures.failure(
                    f"label of {result['prediction_id']}: {result['status']}: "
                    f"{result.get('message')}"
                )

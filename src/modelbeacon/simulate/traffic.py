"""Driving the model served by a running modelbeacon server with realistic traffic, through
``modelbeacon.client``.

One run is one ``_ServedRun`` (a ``run.SimulationRun``): prediction requests at Poisson
arrivals, true labels inline or later through the feedback endpoint, and, optionally, a
periodic retrain-and-deploy. The inputs are rows of the server's own dataset
(``GET /api/datasets/{name}/rows``), asked for by the first arrivals until they come.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import httpx
from rich.console import Console

from modelbeacon.client import AsyncClient
from modelbeacon.errors import ModelbeaconError
from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.inputs import InputSampler, Sample
from modelbeacon.simulate.labels import PendingLabel
from modelbeacon.simulate.run import SimulationRun
from modelbeacon.simulate.summary import SimulationSummary, start_line


def simulation_client(
    config: SimulationConfig, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncClient:
    """The client a run sends through: one attempt per request (the run counts and reports
    each failure itself and keeps sending, so a retry would only hide an outage and stall
    the arrivals behind it), and a few connections beyond the in-flight bound for the
    retrain's calls. ``transport`` replaces the network (tests)."""
    return AsyncClient(
        config.url,
        config.api_key,
        config.request_timeout,
        retries=0,
        max_connections=config.max_in_flight + 4,
        transport=transport,
    )


async def run_simulation(
    config: SimulationConfig,
    *,
    console: Console | None = None,
    stop: asyncio.Event | None = None,
) -> SimulationSummary:
    """Send prediction traffic to ``config.url`` until the run is over; return what happened.

    The run is over after ``config.duration`` seconds, after ``config.max_requests``
    prediction requests, or when ``stop`` is set, whichever comes first; then it waits at most
    ``config.stop_grace`` seconds for requests in flight and labels due by then, and drops the
    rest. Server failures (unreachable, 4xx, 5xx) are counted and reported on ``console``
    (rate-limited), never raised: the run keeps going and recovers when the server does. A
    status line goes to ``console`` every ``config.status_interval`` seconds; None prints
    nothing.

    Until the server has sent the rows of ``config.dataset``, each arrival asks for them
    instead of predicting, and a failed ask counts as that arrival's failed request. Raises
    ``InvalidInputError`` when the server does not know ``config.dataset``.
    """
    async with simulation_client(config) as client:
        return await _ServedRun(config, client, console, stop).execute()


class _ServedRun(SimulationRun):
    def _start_line(self) -> str:
        return start_line(self._config)

    def _status_counts(self) -> str:
        c = self._counters
        return f"sent {c.requests_sent}  ok {c.predictions_ok}  errors {c.error_total}"

    def _background(self) -> list[Coroutine[Any, Any, None]]:
        return [self._retrain_periodically()] if self._config.retrain_every > 0 else []

    async def _request(
        self, inputs: InputSampler, sample: Sample, *, inline: bool, delay: float | None
    ) -> None:
        features = inputs.request_features(sample)
        try:
            answer = await self._client.predict(features, label=sample.label if inline else None)
        except ModelbeaconError as exc:
            self._record_failure(self._counters.errors, exc)
            return
        prediction_id = str(answer["prediction_id"])
        self._counters.predictions_ok += 1
        self._failures.success()
        if inline:
            self._counters.labels_inline += 1
        elif delay is not None:
            self._queue_label(self._now() + delay, prediction_id, sample.label)

    async def _send_labels(self, due: list[PendingLabel]) -> None:
        await asyncio.gather(*(self._send_label(pending) for pending in due))

    async def _send_label(self, pending: PendingLabel) -> None:
        async with self._slots:
            try:
                await self._client.feedback(pending.prediction_id, pending.label)
            except ModelbeaconError as exc:
                self._record_failure(self._counters.label_errors, exc)
                return
            self._counters.labels_feedback += 1

    async def _retrain_periodically(self) -> None:
        """Every ``retrain_every`` s, train and deploy a new version, outside drift episodes.

        A retrain due during an episode waits until it is over and its labels are in: a new
        version starts an empty accuracy window, and one filled only with drifted labels would
        show a brand-new model at 30% (with the defaults, every 600 s meets an episode start).
        """
        config = self._config
        schedule = self._schedule
        while True:
            await asyncio.sleep(config.retrain_every)
            while left := schedule.seconds_left(self._now()):
                await asyncio.sleep(left + config.max_label_delay)
            self._say(f"retraining [bold]{config.model_name}[/bold] ({config.algorithm})")
            try:
                model = await self._client.train_and_deploy(
                    name=config.model_name,
                    dataset=config.dataset,
                    algorithm=config.algorithm,
                    poll_interval=1.0,
                )
            except ModelbeaconError as exc:
                self._counters.retrain_failures += 1
                self._say(f"[red]retrain failed:[/red] {exc.message}; will try again later")
                continue
            self._counters.retrains += 1
            accuracy = model.validation_accuracy
            shown = "n/a" if accuracy is None else f"{accuracy:.3f}"
            self._say(
                f"deployed [bold]{model.name}[/bold] v{model.version} "
                f"(model {model.model_id}, validation accuracy {shown})"
            )

"""Driving a running modelbeacon server with realistic traffic, through its public REST API.

One run is one ``_TrafficRun``: a sending loop (Poisson arrivals, at most ``max_in_flight``
requests outstanding), a label dispatcher (a heap of delayed feedback labels), a status
printer and, optionally, a periodic retrain-and-deploy. Everything it owns is created in
``run_simulation`` and cancelled before it returns. The inputs are rows of the server's own
dataset (``GET /api/datasets/{name}/rows``), asked for by the first arrivals until they come.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections import Counter
from typing import Any

import httpx
from rich.console import Console

from modelbeacon.client import AsyncClient, DatasetRows
from modelbeacon.errors import InvalidInputError, ModelbeaconError
from modelbeacon.simulate.arrivals import PoissonArrivals, RateWave
from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.failures import (
    Failure,
    FailureReporter,
    failure_kind,
    failure_message,
)
from modelbeacon.simulate.inputs import (
    DriftSchedule,
    InputSampler,
    Sample,
    category_swap_share,
)
from modelbeacon.simulate.labels import LabelQueue, PendingLabel
from modelbeacon.simulate.summary import SimulationSummary, TrafficCounters, start_line

# A run that falls further behind its arrival schedule than this (a stalled server, a paused
# process) restarts the arrival process from "now" instead of firing the backlog at once.
_MAX_LAG_SECONDS = 1.0


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
    async with AsyncClient(
        config.url,
        config.api_key,
        config.request_timeout,
        # A few connections beyond the in-flight bound for the retrain job's calls.
        max_connections=config.max_in_flight + 4,
    ) as client:
        return await _TrafficRun(config, client, console, stop).execute()


def input_sampler(config: SimulationConfig, dataset: DatasetRows) -> InputSampler:
    """The input sampler ``config`` describes over ``dataset``, seeded from ``config.seed``."""
    return InputSampler(
        dataset.rows,
        dataset.labels,
        dataset.feature_names,
        rng=random.Random(f"{config.seed}:inputs"),
        noise=config.noise,
        drift_strength=config.drift_strength,
        schedule=drift_schedule(config),
    )


def drift_schedule(config: SimulationConfig) -> DriftSchedule:
    """The drift episodes ``config`` describes."""
    return DriftSchedule(every=config.drift_every, duration=config.drift_duration)


def rate_wave(config: SimulationConfig) -> RateWave:
    """The arrival rate ``config`` describes: the fixed ``rate`` if set, else the wave."""
    if config.rate is not None:
        return RateWave.constant(config.rate)
    return RateWave(low=config.low_rate, high=config.high_rate, period=config.period)


class _TrafficRun:
    def __init__(
        self,
        config: SimulationConfig,
        client: AsyncClient,
        console: Console | None,
        stop: asyncio.Event | None,
    ) -> None:
        self._config = config
        self._client = client
        self._http = client.http
        self._inputs: InputSampler | None = None
        self._schedule = drift_schedule(config)
        self._console = console
        self._stop = stop if stop is not None else asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()
        self._wave = rate_wave(config)
        self._arrivals = PoissonArrivals(self._wave, random.Random(f"{config.seed}:arrivals"))
        self._choices = random.Random(f"{config.seed}:labels")
        self._counters = TrafficCounters()
        self._slots = asyncio.Semaphore(config.max_in_flight)
        self._labels = LabelQueue(config.max_pending_labels)
        self._labels_changed = asyncio.Event()
        self._predicts: set[asyncio.Task[None]] = set()
        self._sends: set[asyncio.Task[None]] = set()
        self._failures = FailureReporter(console, config.error_report_interval, self._now)
        self._drifting = False

    def _now(self) -> float:
        return self._loop.time() - self._t0

    async def execute(self) -> SimulationSummary:
        self._say(start_line(self._config))
        background = [
            asyncio.create_task(self._dispatch_labels()),
            asyncio.create_task(self._report_status()),
        ]
        if self._config.retrain_every > 0:
            background.append(asyncio.create_task(self._retrain_periodically()))
        sending = 0.0
        try:
            await self._send_until_done()
            sending = self._now()
            await self._wind_down()
        finally:
            leftovers = [*background, *self._predicts, *self._sends]
            for task in leftovers:
                task.cancel()
            results = await asyncio.gather(*leftovers, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                raise result
        counters = self._counters
        counters.abandoned = counters.requests_sent - counters.predictions_ok - counters.error_total
        self._failures.flush()
        return counters.freeze(elapsed=self._now(), sending=sending)

    # -- sending ------------------------------------------------------------------------------

    async def _send_until_done(self) -> None:
        config = self._config
        end = math.inf if config.duration is None else config.duration
        limit = math.inf if config.max_requests is None else config.max_requests
        due = self._arrivals.next_after(0.0)
        while self._counters.requests_sent < limit:
            if due >= end:
                await self._sleep_until(end)
                return
            if await self._sleep_until(due) or not await self._acquire_slot():
                return
            now = self._now()
            if now >= end:
                self._slots.release()
                return
            inputs = self._inputs or await self._fetch_inputs()
            if inputs is None:
                self._slots.release()
            else:
                self._start_prediction(inputs, due)
            due = self._arrivals.next_after(due if now - due < _MAX_LAG_SECONDS else now)

    async def _fetch_inputs(self) -> InputSampler | None:
        """Ask the server for the dataset's rows: the sampler over them, or None (counted as
        one failed request). Raises ``InvalidInputError`` when the server has no such dataset."""
        try:
            dataset = await self._client.dataset_rows(self._config.dataset)
        except ModelbeaconError as exc:
            if exc.details.get("status") == 404:
                raise InvalidInputError(exc.message, details=exc.details) from exc
            self._counters.requests_sent += 1
            self._record_failure(self._counters.errors, exc)
            return None
        self._failures.success()
        self._inputs = input_sampler(self._config, dataset)
        return self._inputs

    def _start_prediction(self, inputs: InputSampler, at: float) -> None:
        sample = inputs.draw(at)
        config = self._config
        # Always three draws per request, so the label decisions depend on the seed only.
        labelled = self._choices.random() < config.label_share
        inline = self._choices.random() < config.inline_share and labelled
        delay = self._choices.uniform(config.min_label_delay, config.max_label_delay)
        self._note_drift(sample, at, inputs)
        task = asyncio.create_task(
            self._predict(
                inputs, sample, inline=inline, delay=delay if labelled and not inline else None
            )
        )
        self._predicts.add(task)
        task.add_done_callback(self._predicts.discard)
        self._counters.requests_sent += 1

    async def _predict(
        self, inputs: InputSampler, sample: Sample, *, inline: bool, delay: float | None
    ) -> None:
        """One prediction request; its slot is already held and is released here."""
        try:
            body: dict[str, Any] = {"features": inputs.request_features(sample)}
            if inline:
                body["label"] = sample.label
            try:
                response = await self._http.post("/api/predict", json=body)
            except httpx.TransportError as exc:
                self._record_failure(self._counters.errors, exc)
                return
            if response.status_code >= 400:
                self._record_failure(self._counters.errors, response)
                return
            prediction_id = str(response.json()["prediction_id"])
            self._counters.predictions_ok += 1
            self._failures.success()
            if inline:
                self._counters.labels_inline += 1
            elif delay is not None:
                self._queue_label(self._now() + delay, prediction_id, sample.label)
        finally:
            self._slots.release()

    async def _sleep_until(self, when: float) -> bool:
        """Sleep until run time ``when``; True if the stop event was set first."""
        if self._stop.is_set():
            return True
        delay = when - self._now()
        if delay <= 0:
            return False
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the wait completes (gh-86296), and a cancelled loop then never ends.
            async with asyncio.timeout(delay):
                await self._stop.wait()
        except TimeoutError:
            return False
        return True

    async def _acquire_slot(self) -> bool:
        """Take an in-flight slot; False (holding none) if the stop event is set first."""
        if not self._slots.locked():
            await self._slots.acquire()
            return True
        acquire = asyncio.ensure_future(self._slots.acquire())
        stopped = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({acquire, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not acquire.done():
            acquire.cancel()  # a cancelled Semaphore.acquire never keeps the slot
            return False
        if self._stop.is_set():
            self._slots.release()
            return False
        return True

    # -- labels -------------------------------------------------------------------------------

    def _queue_label(self, due: float, prediction_id: str, label: int | str) -> None:
        if self._labels.push(due, prediction_id, label):
            self._labels_changed.set()
        else:
            self._counters.labels_dropped += 1

    async def _dispatch_labels(self) -> None:
        while True:
            for pending in self._labels.pop_due(self._now()):
                task = asyncio.create_task(self._send_label(pending))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)
            next_due = self._labels.next_due()
            self._labels_changed.clear()
            timeout = None if next_due is None else max(0.0, next_due - self._now())
            # asyncio.timeout, not wait_for: see _sleep_until. Here a prediction finishing as the
            # run cancels this loop at stop had its cancellation swallowed, and the demo never
            # exited after Ctrl-C.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._labels_changed.wait()

    async def _send_label(self, pending: PendingLabel) -> None:
        async with self._slots:
            path = f"/api/predictions/{pending.prediction_id}/feedback"
            try:
                response = await self._http.post(path, json={"label": pending.label})
            except httpx.TransportError as exc:
                self._record_failure(self._counters.label_errors, exc)
                return
            if response.status_code >= 400:
                self._record_failure(self._counters.label_errors, response)
                return
            self._counters.labels_feedback += 1

    async def _wind_down(self) -> None:
        """Allow requests in flight and labels due by then ``stop_grace`` s; drop the rest."""
        grace_end = self._now() + self._config.stop_grace
        if self._predicts:
            await asyncio.wait(set(self._predicts), timeout=max(0.0, grace_end - self._now()))
        while self._now() < grace_end and (self._sends or self._labels.count_due_by(grace_end)):
            await asyncio.sleep(min(0.05, max(0.0, grace_end - self._now())))
        self._counters.labels_dropped += self._labels.clear()
        # Requests already on the wire finish by themselves (the client's timeout bounds them):
        # cancelling an httpx request mid-flight can leave httpcore's connection pool stuck
        # (encode/httpcore#830, #1093).
        in_flight = {*self._predicts, *self._sends}
        if in_flight:
            await asyncio.wait(in_flight, timeout=self._config.request_timeout + 1.0)
        self._counters.labels_dropped += self._labels.clear()

    # -- models -------------------------------------------------------------------------------

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

    # -- output -------------------------------------------------------------------------------

    def _record_failure(self, counter: Counter[str], failure: Failure) -> None:
        counter[failure_kind(failure)] += 1
        self._failures.failure(failure_message(failure, self._config.url))

    def _note_drift(self, sample: Sample, at: float, inputs: InputSampler) -> None:
        if sample.drifted == self._drifting:
            return
        self._drifting = sample.drifted
        config = self._config
        episode = self._schedule.episode(at)
        if sample.drifted:
            swapped = inputs.swapped_features
            shifted = [name for name in inputs.drifted_features if name not in swapped]
            moves = []
            if shifted:
                moves.append(f"{', '.join(shifted)} shifted by {config.drift_strength:g} std")
            if swapped:
                share = category_swap_share(config.drift_strength)
                moves.append(
                    f"{', '.join(swapped)} swapped to the rarest category in {share:.0%} "
                    "of requests"
                )
            self._say(
                f"[yellow]drift episode {episode} begins:[/yellow] {'; '.join(moves)} "
                f"for {config.drift_duration:g} s"
            )
        else:
            self._say(f"[green]drift episode {episode} over:[/green] inputs back to normal")

    async def _report_status(self) -> None:
        last_sent, last_time = 0, 0.0
        while True:
            await asyncio.sleep(self._config.status_interval)
            now, c = self._now(), self._counters
            rate = 60.0 * (c.requests_sent - last_sent) / max(now - last_time, 1e-9)
            last_sent, last_time = c.requests_sent, now
            drift = "  [yellow]drifting[/yellow]" if self._drifting else ""
            self._say(
                f"{now:7.0f} s  sent {c.requests_sent}  ok {c.predictions_ok}  "
                f"errors {c.error_total}  rate {rate:.0f}/min "
                f"(target {self._wave.per_minute(now):.0f})  labels {c.labels_inline} inline "
                f"+ {c.labels_feedback} feedback, {len(self._labels)} pending{drift}"
            )

    def _say(self, markup: str) -> None:
        if self._console is not None:
            self._console.print(markup, highlight=False, soft_wrap=True)

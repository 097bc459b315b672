"""One simulation run's machinery, whatever it drives: the run clock, Poisson arrivals with at
most ``max_in_flight`` requests outstanding, the dataset's rows, label decisions and the queue
of delayed labels, drift notes, status lines, failure reports and the wind-down at the end.

``SimulationRun`` is the base of the two runs: ``traffic`` (predictions of the model served
here, through the REST API) and ``external`` (predictions of a model served elsewhere, made in
this process and logged). A subclass says what one request is (``_request``), how due labels
go out (``_send_labels``), and what its status line counts; everything else is here.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Coroutine
from typing import Any

from rich.console import Console

from modelbeacon.client import AsyncClient, DatasetRows
from modelbeacon.errors import InvalidInputError, ModelbeaconError
from modelbeacon.simulate.arrivals import PoissonArrivals, RateWave
from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.failures import FailureReporter, failure_kind
from modelbeacon.simulate.inputs import (
    DriftSchedule,
    InputSampler,
    Sample,
    category_swap_share,
)
from modelbeacon.simulate.labels import LabelQueue, PendingLabel
from modelbeacon.simulate.summary import SimulationSummary, TrafficCounters

# A run that falls further behind its arrival schedule than this (a stalled server, a paused
# process) restarts the arrival process from "now" instead of firing the backlog at once.
_MAX_LAG_SECONDS = 1.0


def input_sampler(config: SimulationConfig, dataset: DatasetRows, stream: str = "") -> InputSampler:
    """The input sampler ``config`` describes over ``dataset``, seeded from ``config.seed``
    (and ``stream``, which names a run's own random streams)."""
    return InputSampler(
        dataset.rows,
        dataset.labels,
        dataset.feature_names,
        rng=random.Random(f"{config.seed}:{stream}inputs"),
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


class SimulationRun(ABC):
    """One run of ``config`` through ``client``; ``execute()`` once.

    The run is over after ``config.duration`` seconds, after ``config.max_requests``
    requests, or when ``stop`` is set, whichever comes first; then it waits at most
    ``config.stop_grace`` seconds for requests in flight and labels due by then, and drops the
    rest. Failures are counted and reported on ``console`` (rate-limited), never raised.
    Until the server has sent the rows of ``config.dataset`` (and ``_prepare`` has
    succeeded), each arrival asks again instead of making a request, and a failed attempt
    counts as that arrival's failed request.
    """

    #: Names the run's random streams beside ``config.seed`` ("" for the served model's run,
    #: whose seeded arrivals, inputs and label decisions the tests replay).
    stream = ""

    def __init__(
        self,
        config: SimulationConfig,
        client: AsyncClient,
        console: Console | None,
        stop: asyncio.Event | None,
        *,
        prefix: str = "",
    ) -> None:
        """``prefix`` (rich markup) starts every line the run prints, to tell two runs on one
        console apart."""
        self.prefix = prefix
        self._config = config
        self._client = client
        self._inputs: InputSampler | None = None
        self._schedule = drift_schedule(config)
        self._console = console
        self._stop = stop if stop is not None else asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()
        self._wave = rate_wave(config)
        self._arrivals = PoissonArrivals(
            self._wave, random.Random(f"{config.seed}:{self.stream}arrivals")
        )
        self._choices = random.Random(f"{config.seed}:{self.stream}labels")
        self._counters = TrafficCounters()
        self._slots = asyncio.Semaphore(config.max_in_flight)
        self._labels = LabelQueue(config.max_pending_labels)
        self._labels_changed = asyncio.Event()
        self._requests: set[asyncio.Task[None]] = set()
        self._sends: set[asyncio.Task[None]] = set()
        self._failures = FailureReporter(
            console, config.error_report_interval, self._now, self.prefix
        )
        self._drifting = False

    # -- what a subclass says -----------------------------------------------------------------

    @abstractmethod
    def _start_line(self) -> str:
        """The first line the run prints."""

    @abstractmethod
    async def _request(
        self, inputs: InputSampler, sample: Sample, *, inline: bool, delay: float | None
    ) -> None:
        """One request for ``sample``, its true label sent with it when ``inline``, or queued
        ``delay`` s later (``_queue_label``) when not None. Counts what happened."""

    @abstractmethod
    async def _send_labels(self, due: list[PendingLabel]) -> None:
        """Send labels that fell due; count what happened."""

    @abstractmethod
    def _status_counts(self) -> str:
        """What the status line says about requests (rich markup)."""

    async def _prepare(self, dataset: DatasetRows) -> None:  # noqa: B027 (optional hook)
        """Called with the dataset's rows before the first request, again at the next arrival
        while it raises ``ModelbeaconError`` (counted as that arrival's failed request)."""

    def _background(self) -> list[Coroutine[Any, Any, None]]:
        """Tasks to run beside the requests; cancelled when the run ends."""
        return []

    async def _finish(self) -> None:  # noqa: B027 (optional hook)
        """Called once the requests and labels have wound down, before the summary."""

    def _summary(self, *, elapsed: float, sending: float) -> SimulationSummary:
        return self._counters.freeze(elapsed=elapsed, sending=sending)

    # -- the run ------------------------------------------------------------------------------

    def _now(self) -> float:
        return self._loop.time() - self._t0

    async def execute(self) -> SimulationSummary:
        self._say(self._start_line())
        background = [
            asyncio.create_task(self._dispatch_labels()),
            asyncio.create_task(self._report_status()),
            *(asyncio.create_task(work) for work in self._background()),
        ]
        sending = 0.0
        try:
            await self._send_until_done()
            sending = self._now()
            await self._wind_down()
            await self._finish()
        finally:
            leftovers = [*background, *self._requests, *self._sends]
            for task in leftovers:
                task.cancel()
            results = await asyncio.gather(*leftovers, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                raise result
        counters = self._counters
        counters.abandoned = counters.requests_sent - counters.predictions_ok - counters.error_total
        self._failures.flush()
        return self._summary(elapsed=self._now(), sending=sending)

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
                self._start_request(inputs, due)
            due = self._arrivals.next_after(due if now - due < _MAX_LAG_SECONDS else now)

    async def _fetch_inputs(self) -> InputSampler | None:
        """Ask the server for the dataset's rows and ``_prepare``: the sampler over them, or
        None (counted as one failed request). Raises ``InvalidInputError`` when the server has
        no such dataset."""
        try:
            dataset = await self._client.dataset_rows(self._config.dataset)
            await self._prepare(dataset)
        except ModelbeaconError as exc:
            if isinstance(exc, InvalidInputError):
                raise  # a refusal (400, 422) that asking again will not change
            if exc.details.get("status") == 404:
                raise InvalidInputError(exc.message, details=exc.details) from exc
            self._counters.requests_sent += 1
            self._record_failure(self._counters.errors, exc)
            return None
        self._failures.success()
        self._inputs = input_sampler(self._config, dataset, self.stream)
        return self._inputs

    def _start_request(self, inputs: InputSampler, at: float) -> None:
        sample = inputs.draw(at)
        config = self._config
        # Always three draws per request, so the label decisions depend on the seed only.
        labelled = self._choices.random() < config.label_share
        inline = self._choices.random() < config.inline_share and labelled
        delay = self._choices.uniform(config.min_label_delay, config.max_label_delay)
        self._note_drift(sample, at, inputs)
        task = asyncio.create_task(
            self._run_request(inputs, sample, inline, delay if labelled and not inline else None)
        )
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)
        self._counters.requests_sent += 1

    async def _run_request(
        self, inputs: InputSampler, sample: Sample, inline: bool, delay: float | None
    ) -> None:
        """``_request``, whose in-flight slot is already held; the slot is released here."""
        try:
            await self._request(inputs, sample, inline=inline, delay=delay)
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

    def _spawn_send(self, due: list[PendingLabel]) -> asyncio.Task[None]:
        task = asyncio.create_task(self._send_labels(due))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)
        return task

    async def _dispatch_labels(self) -> None:
        """Send each label as it falls due (a subclass may batch them instead)."""
        while True:
            due = self._labels.pop_due(self._now())
            if due:
                self._spawn_send(due)
            next_due = self._labels.next_due()
            self._labels_changed.clear()
            timeout = None if next_due is None else max(0.0, next_due - self._now())
            # asyncio.timeout, not wait_for: see _sleep_until. Here a prediction finishing as the
            # run cancels this loop at stop had its cancellation swallowed, and the demo never
            # exited after Ctrl-C.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._labels_changed.wait()

    async def _wind_down(self) -> None:
        """Allow requests in flight and labels due by then ``stop_grace`` s; drop the rest."""
        grace_end = self._now() + self._config.stop_grace
        if self._requests:
            await asyncio.wait(set(self._requests), timeout=max(0.0, grace_end - self._now()))
        while self._now() < grace_end and (self._sends or self._labels.count_due_by(grace_end)):
            await asyncio.sleep(min(0.05, max(0.0, grace_end - self._now())))
        self._counters.labels_dropped += self._labels.clear()
        # Requests already on the wire finish by themselves (the client's timeout bounds them):
        # cancelling an httpx request mid-flight can leave httpcore's connection pool stuck
        # (encode/httpcore#830, #1093).
        in_flight = {*self._requests, *self._sends}
        if in_flight:
            await asyncio.wait(in_flight, timeout=self._config.request_timeout + 1.0)
        self._counters.labels_dropped += self._labels.clear()

    # -- output -------------------------------------------------------------------------------

    def _record_failure(self, counter: Counter[str], failure: ModelbeaconError, n: int = 1) -> None:
        counter[failure_kind(failure)] += n
        self._failures.failure(failure.message, n)

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
                f"{now:7.0f} s  {self._status_counts()}  rate {rate:.0f}/min "
                f"(target {self._wave.per_minute(now):.0f})  labels {c.labels_inline} inline "
                f"+ {c.labels_feedback} feedback, {len(self._labels)} pending{drift}"
            )

    def _say(self, markup: str) -> None:
        if self._console is not None:
            self._console.print(f"{self.prefix}{markup}", highlight=False, soft_wrap=True)

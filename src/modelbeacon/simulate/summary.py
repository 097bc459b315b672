"""What a simulation run does and did: its start line, live counters while it runs, a frozen
summary at the end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from modelbeacon.simulate.config import SimulationConfig

ErrorKind = Literal["connection", "4xx", "5xx"]
ERROR_KINDS: tuple[ErrorKind, ...] = ("connection", "4xx", "5xx")


@dataclass
class TrafficCounters:
    """Mutable tallies of one run; owned by that run, read by its status lines.

    ``requests_sent`` counts prediction requests started (and arrivals that asked for the
    dataset's rows instead and failed); each ends as exactly one of ``predictions_ok``, an
    entry of ``errors`` (those requests only) or ``abandoned`` (still in flight when the run
    stopped).
    """

    requests_sent: int = 0
    predictions_ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    abandoned: int = 0
    labels_inline: int = 0
    labels_feedback: int = 0
    label_errors: Counter[str] = field(default_factory=Counter)
    labels_dropped: int = 0
    retrains: int = 0
    retrain_failures: int = 0

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())

    def freeze(
        self, *, elapsed: float, sending: float, external_model: str | None = None
    ) -> SimulationSummary:
        return SimulationSummary(
            requests_sent=self.requests_sent,
            predictions_ok=self.predictions_ok,
            errors=MappingProxyType({kind: self.errors[kind] for kind in ERROR_KINDS}),
            abandoned=self.abandoned,
            labels_inline=self.labels_inline,
            labels_feedback=self.labels_feedback,
            label_errors=MappingProxyType({kind: self.label_errors[kind] for kind in ERROR_KINDS}),
            labels_dropped=self.labels_dropped,
            retrains=self.retrains,
            retrain_failures=self.retrain_failures,
            achieved_rate_per_minute=60.0 * self.requests_sent / sending if sending > 0 else 0.0,
            elapsed_seconds=elapsed,
            external_model=external_model,
        )


@dataclass(frozen=True)
class SimulationSummary:
    """The outcome of a run.

    ``errors`` and ``label_errors`` map each kind (``connection``: no HTTP answer at all,
    timeouts included; ``4xx``; ``5xx``) to how many prediction / feedback requests failed
    that way. ``labels_inline`` and ``labels_feedback`` count labels the server accepted;
    ``labels_dropped`` those never sent (queue full, or still waiting when the run stopped).
    ``retrains`` counts new versions trained and deployed. ``achieved_rate_per_minute`` is
    prediction requests sent per minute of sending time (the stop grace excluded);
    ``elapsed_seconds`` is the whole run, grace included.

    ``external_model`` names the model of a run that logged the predictions of a model served
    elsewhere (``simulate.external``), None for a run of the served model. In such a run a
    request is a prediction made locally and logged: ``predictions_ok`` counts those the
    server logged, ``errors`` the ones it did not (by the kind of the failed batch), and
    ``abandoned`` those still unconfirmed when the run stopped; inline labels went with their
    logged prediction.
    """

    requests_sent: int
    predictions_ok: int
    errors: MappingProxyType[str, int]
    abandoned: int
    labels_inline: int
    labels_feedback: int
    label_errors: MappingProxyType[str, int]
    labels_dropped: int
    retrains: int
    retrain_failures: int
    achieved_rate_per_minute: float
    elapsed_seconds: float
    external_model: str | None = None

    @property
    def title(self) -> str:
        """What the summary is of, as its heading says it."""
        if self.external_model is None:
            return "summary"
        return f"summary of {self.external_model}, served elsewhere and logged"

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())

    def lines(self) -> list[str]:
        """The summary as plain text lines, for a terminal or a log."""

        def by_kind(counts: MappingProxyType[str, int]) -> str:
            return ", ".join(f"{kind} {n}" for kind, n in counts.items())

        if self.external_model is None:
            requests = [
                f"requests sent      {self.requests_sent}",
                f"predictions ok     {self.predictions_ok}",
                f"errors             {self.error_total} ({by_kind(self.errors)})",
                f"abandoned at stop  {self.abandoned}",
            ]
        else:
            requests = [
                f"predictions made   {self.requests_sent}",
                f"predictions logged {self.predictions_ok}",
                f"log errors         {self.error_total} ({by_kind(self.errors)})",
                f"unlogged at stop   {self.abandoned}",
            ]
        retrains = [f"retrains           {self.retrains} (failed {self.retrain_failures})"]
        return [
            *requests,
            f"labels sent        {self.labels_inline + self.labels_feedback} "
            f"(inline {self.labels_inline}, feedback {self.labels_feedback})",
            f"label errors       {sum(self.label_errors.values())} "
            f"({by_kind(self.label_errors)}), dropped {self.labels_dropped}",
            *(retrains if self.external_model is None else []),
            f"achieved rate      {self.achieved_rate_per_minute:.1f} per minute",
            f"elapsed            {self.elapsed_seconds:.1f} s",
        ]


def start_line(config: SimulationConfig, *, external_model: str | None = None) -> str:
    """The line a run starts with: where it sends what, and until when (rich markup);
    ``external_model`` names the model whose local predictions a run logs."""
    if config.rate is not None:
        rate = f"{config.rate:g}/min"
    else:
        rate = f"{config.low_rate:g}-{config.high_rate:g}/min wave over {config.period:g} s"
    drift = (
        f"drift every {config.drift_every:g} s for {config.drift_duration:g} s"
        if config.drift_every > 0
        else "no drift"
    )
    retrain = ", no retrain"
    if external_model is not None:
        retrain = ""  # the model is served elsewhere: not trained here
    elif config.retrain_every > 0:
        retrain = f", retrain every {config.retrain_every:g} s"
    bounds = [
        f"{config.duration:g} s" if config.duration is not None else "",
        f"{config.max_requests} requests" if config.max_requests is not None else "",
    ]
    until = " or ".join(b for b in bounds if b) or "stopped"
    what = f"simulating traffic to [bold]{config.url}[/bold]"
    if external_model is not None:
        what = (
            f"logging the predictions of a local model as [bold]{external_model}[/bold] to "
            f"[bold]{config.url}[/bold]"
        )
    return (
        f"{what}: {config.dataset}, {rate}, labels "
        f"{config.label_share:.0%} ({config.inline_share:.0%} inline, the rest after "
        f"{config.min_label_delay:g}-{config.max_label_delay:g} s), {drift}{retrain}; "
        f"until {until}"
    )

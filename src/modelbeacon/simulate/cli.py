"""The ``modelbeacon simulate`` command; ``register(app)`` adds it to the main Typer app."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import fields
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape

from modelbeacon.console import training_reporter
from modelbeacon.errors import ModelbeaconError, UnavailableError
from modelbeacon.simulate.config import SimulationConfig

if TYPE_CHECKING:
    from modelbeacon.client import DeployedModel, TrainingStatus
    from modelbeacon.simulate.summary import SimulationSummary

# The client (and with it httpx) loads inside the command, not at import: the main CLI
# imports this module, and ``modelbeacon --help`` should stay quick.


#: What a run drives: the served model, a model served elsewhere, or both side by side.
Drive = Literal["served", "external", "both"]


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to ``app``."""
    app.command("simulate")(simulate)


def _default(name: str) -> str:
    """The help suffix "(default: X)" for the ``SimulationConfig`` default of ``name``.

    Not "[X]": Typer renders help as rich markup, where square brackets are tags and vanish.
    """
    value = next(f.default for f in fields(SimulationConfig) if f.name == name)
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"(default: {shown})"


def simulate(
    url: Annotated[
        str, typer.Option(help=f"base URL of a running modelbeacon server {_default('url')}")
    ] = "",
    rate: Annotated[
        float | None,
        typer.Option(help="fixed rate in predictions per minute; overrides the wave (e.g. 3000)"),
    ] = None,
    low_rate: Annotated[
        float | None,
        typer.Option(help=f"low point of the rate wave, per minute {_default('low_rate')}"),
    ] = None,
    high_rate: Annotated[
        float | None,
        typer.Option(help=f"high point of the rate wave, per minute {_default('high_rate')}"),
    ] = None,
    period: Annotated[
        float | None,
        typer.Option(help=f"seconds for one full rate wave {_default('period')}"),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="stop after this many seconds (default: until Ctrl-C)")
    ] = None,
    max_requests: Annotated[
        int | None,
        typer.Option(help="stop after this many prediction requests (default: no limit)"),
    ] = None,
    label_share: Annotated[
        float | None,
        typer.Option(
            help=f"share of predictions whose true label is sent, 0-1 {_default('label_share')}"
        ),
    ] = None,
    inline_share: Annotated[
        float | None,
        typer.Option(
            help="share of the labelled predictions that send the label inline with the "
            f"request, 0-1; the rest use the feedback endpoint {_default('inline_share')}"
        ),
    ] = None,
    min_label_delay: Annotated[
        float | None,
        typer.Option(help=f"shortest feedback delay, seconds {_default('min_label_delay')}"),
    ] = None,
    max_label_delay: Annotated[
        float | None,
        typer.Option(help=f"longest feedback delay, seconds {_default('max_label_delay')}"),
    ] = None,
    drift_every: Annotated[
        float | None,
        typer.Option(
            help=f"seconds between drift episodes; 0 disables drift {_default('drift_every')}"
        ),
    ] = None,
    drift_duration: Annotated[
        float | None,
        typer.Option(help=f"length of a drift episode, seconds {_default('drift_duration')}"),
    ] = None,
    drift_strength: Annotated[
        float | None,
        typer.Option(
            help="shift of the drifted features (the second half of the columns), in "
            "standard deviations; their categorical ones are swapped in a share of requests "
            f"that grows with it {_default('drift_strength')}"
        ),
    ] = None,
    noise: Annotated[
        float | None,
        typer.Option(
            help=f"Gaussian input noise, in standard deviations per feature {_default('noise')}"
        ),
    ] = None,
    retrain_every: Annotated[
        float | None,
        typer.Option(
            help="seconds between retraining and deploying a new model version; 0 disables "
            f"{_default('retrain_every')}"
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help=f"random seed: same seed, same arrivals and inputs {_default('seed')}"),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            help="iris, wine, breast_cancer, digits or an uploaded dataset's name; must match "
            f"the active model's dataset {_default('dataset')}"
        ),
    ] = None,
    model_name: Annotated[
        str | None,
        typer.Option(help=f"name of the model trained and retrained {_default('model_name')}"),
    ] = None,
    algorithm: Annotated[
        str | None,
        typer.Option(
            help="logistic_regression, random_forest, gradient_boosting, sgd or mlp "
            f"{_default('algorithm')}"
        ),
    ] = None,
    max_in_flight: Annotated[
        int | None,
        typer.Option(help=f"most requests outstanding at once {_default('max_in_flight')}"),
    ] = None,
    status_interval: Annotated[
        float | None,
        typer.Option(help=f"seconds between status lines {_default('status_interval')}"),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="sent as X-API-Key when the server requires keys")
    ] = None,
    setup: Annotated[
        bool,
        typer.Option(
            help="when no model is active, train and deploy --model-name first (with a "
            "progress bar)"
        ),
    ] = True,
    external: Annotated[
        bool,
        typer.Option(
            "--external",
            help="drive a model served elsewhere instead: predict with a scikit-learn model "
            "fitted here on --dataset and log each prediction and label to the server",
        ),
    ] = False,
    with_external: Annotated[
        bool,
        typer.Option(
            "--with-external",
            help="drive the served model and, beside it, a model served elsewhere (as "
            "--external) with half the traffic",
        ),
    ] = False,
    external_name: Annotated[
        str | None,
        typer.Option(
            help="name the model served elsewhere is registered as, or reused by "
            "(default: <dataset>-elsewhere)"
        ),
    ] = None,
) -> None:
    """Send realistic prediction traffic to a running server through its REST API.

    Poisson arrivals at a rate that rises and falls, noisy dataset rows as inputs, true labels
    sent inline or later as feedback, scheduled drift episodes that push live accuracy under
    80% and recover, and a periodic retrain and deploy. Prints a status line every few
    seconds and a summary at the end. Stops at --duration, --max-requests or Ctrl-C.

    With --external, the traffic goes to a model served elsewhere: the simulator fits its
    own model, registers it as a monitored model (or reuses it by name), and logs its
    predictions and later labels through the logging API. --with-external drives both.

    Exit code 0 when at least one prediction succeeded (was logged) for each model driven,
    1 when none did, 2 for bad options.
    """
    given: dict[str, Any] = {
        "url": url or None,
        "rate": rate,
        "low_rate": low_rate,
        "high_rate": high_rate,
        "period": period,
        "duration": duration,
        "max_requests": max_requests,
        "label_share": label_share,
        "inline_share": inline_share,
        "min_label_delay": min_label_delay,
        "max_label_delay": max_label_delay,
        "drift_every": drift_every,
        "drift_duration": drift_duration,
        "drift_strength": drift_strength,
        "noise": noise,
        "retrain_every": retrain_every,
        "seed": seed,
        "dataset": dataset,
        "model_name": model_name,
        "algorithm": algorithm,
        "max_in_flight": max_in_flight,
        "status_interval": status_interval,
        "api_key": api_key,
        "external_name": external_name,
    }
    # soft_wrap: a status line stays one line in a log file (rich assumes 80 columns there).
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        config = SimulationConfig(**{k: v for k, v in given.items() if v is not None})
        if external and with_external:
            raise ValueError("pass --external (that model alone) or --with-external, not both")
    except ValueError as exc:
        console.print(f"[red]invalid option:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    drive: Drive = "external" if external else "both" if with_external else "served"
    try:
        summaries = asyncio.run(_simulate(config, console, setup=setup, drive=drive))
    except ModelbeaconError as exc:
        console.print(f"[red]{escape(exc.message)}[/red]")
        raise typer.Exit(2 if exc.code == "invalid_input" else 1) from exc
    if summaries is None:
        console.print("stopped before any traffic was sent")
        raise typer.Exit(1)
    for summary in summaries:
        console.print(f"[bold]{escape(summary.title)}[/bold]")
        for line in summary.lines():
            typer.echo(line)
    failed = False
    for summary in summaries:
        if summary.predictions_ok == 0:
            failed = True
            what = (
                f"no prediction succeeded against {config.url}"
                if summary.external_model is None
                else f"no prediction of {summary.external_model} was logged at {config.url}"
            )
            console.print(f"[red]{escape(what)}[/red]")
    if failed:
        raise typer.Exit(1)


async def _simulate(
    config: SimulationConfig, console: Console, *, setup: bool, drive: Drive
) -> list[SimulationSummary] | None:
    """Set up a model if asked, then run what ``drive`` says; SIGINT/SIGTERM end the run
    cleanly. The summaries, the served model's first; None when stopped during the setup."""
    from modelbeacon.simulate.external import run_external_simulation, run_with_external
    from modelbeacon.simulate.traffic import run_simulation

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if drive == "external":
            return [await run_external_simulation(config, console=console, stop=stop)]
        if setup:
            setup_task = asyncio.create_task(ensure_model(config, console))
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({setup_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not setup_task.done():
                setup_task.cancel()
                return None
            setup_task.result()
        if drive == "both":
            return list(await run_with_external(config, console=console, stop=stop))
        return [await run_simulation(config, console=console, stop=stop)]
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def ensure_model(config: SimulationConfig, console: Console) -> None:
    """Train and deploy ``config.model_name`` with a progress bar unless a model is active."""
    from modelbeacon.client import AsyncClient

    # One attempt per call: an unreachable server is said at once, and the traffic goes anyway.
    async with AsyncClient(config.url, config.api_key, config.request_timeout, retries=0) as client:
        with training_reporter(console) as reporter:

            def show(status: TrainingStatus) -> None:
                reporter.report(status.stage, status.progress, status.details)

            try:
                model = await client.setup_model(
                    config.model_name, config.dataset, config.algorithm, on_progress=show
                )
            except UnavailableError as exc:
                console.print(f"[yellow]{escape(exc.message)}[/yellow]; sending traffic anyway")
                return
    _describe(model, config, console)


def _describe(model: DeployedModel, config: SimulationConfig, console: Console) -> None:
    accuracy = model.validation_accuracy
    shown = "n/a" if accuracy is None else f"{accuracy:.3f}"
    verb = "trained and deployed" if model.trained else "using the active model"
    console.print(
        f"{verb} [bold]{model.name}[/bold] v{model.version} (model {model.model_id}, "
        f"{model.algorithm} on {model.dataset}, validation accuracy {shown})"
    )
    if model.dataset != config.dataset:
        console.print(
            f"[yellow]warning:[/yellow] the active model was trained on {model.dataset}, the "
            f"simulator sends {config.dataset} inputs; pass --dataset {model.dataset}"
        )

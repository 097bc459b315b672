"""The ``modelbeacon`` command: serve the API, train a model, deploy one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn

from modelbeacon.commands import (
    ApiKeyOption,
    UrlOption,
    api_client,
    console,
    json_option,
    load_settings,
    remotely_or_locally,
)
from modelbeacon.console import training_reporter
from modelbeacon.data_commands import register as register_data_commands
from modelbeacon.errors import ModelbeaconError
from modelbeacon.server import GracefulServer
from modelbeacon.settings import Settings
from modelbeacon.simulate.cli import register as register_simulate

if TYPE_CHECKING:
    from modelbeacon.client import TrainingStatus

app = typer.Typer(
    help="modelbeacon: train, deploy and serve scikit-learn models, and watch them live.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (MODELBEACON_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (MODELBEACON_PORT)")] = None,
) -> None:
    """Run the API and dashboard; SIGTERM or Ctrl-C flushes the prediction log and exits 0."""
    from modelbeacon.app import create_app

    settings = load_settings(host=host, port=port)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=10,
    )
    GracefulServer(config).run()


def _train_remotely(
    url: str,
    api_key: str | None,
    name: str,
    dataset: str,
    algorithm: str,
    params: dict[str, Any],
) -> float:
    with api_client(url, api_key) as client:
        with training_reporter(console) as reporter:

            def show(status: TrainingStatus) -> None:
                reporter.report(status.stage, status.progress, status.details)

            job = client.train(name, dataset, algorithm, params)
            client.wait_for_training(job["job_id"], on_progress=show)
        console.print(f"trained {name} (model {job['model_id']}, job {job['job_id']})")
        model = client.model(job["model_id"])
    return float(model["validation_accuracy"] or 0.0)


async def _train_locally(
    settings: Settings, name: str, dataset: str, algorithm: str, params: dict[str, Any]
) -> float:
    from modelbeacon.app import build_services
    from modelbeacon.clock import system_clock
    from modelbeacon.events import EVENTS_CHANNEL, types

    async with (
        build_services(settings, system_clock) as services,
        services.bus.subscribe(EVENTS_CHANNEL) as events,
    ):
        job = await services.training.start(name, dataset, algorithm, params)
        console.print(f"training [bold]{name}[/bold] (model {job.model_id}, job {job.id})")
        with training_reporter(console) as reporter:
            async for event in events:
                if event.payload.get("job_id") != str(job.id):
                    continue
                if event.type == types.TRAINING_PROGRESS:
                    p = event.payload
                    reporter.report(p["stage"], p["progress"], p["details"])
                elif event.type == types.TRAINING_COMPLETED:
                    reporter.report("ready", 100.0, "")
                    return float(event.payload["validation_accuracy"])
                elif event.type == types.TRAINING_FAILED:
                    raise ModelbeaconError(f"training failed: {event.payload['error']}")
    raise ModelbeaconError("the event stream ended before training finished")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="port for the API and dashboard")] = 8000,
    data_dir: Annotated[
        Path, typer.Option(help="folder for the demo's SQLite database and model files")
    ] = Path("demo-data"),
    rate: Annotated[
        float | None, typer.Option(help="fixed predictions per minute instead of the 20-60 wave")
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="stop by itself after this many seconds")
    ] = None,
    max_requests: Annotated[
        int | None, typer.Option(help="stop by itself after this many predictions")
    ] = None,
    drift_every: Annotated[
        float, typer.Option(help="seconds between drift episodes (0 = none)")
    ] = 300.0,
    retrain_every: Annotated[
        float, typer.Option(help="seconds between retrain+deploy of a new version (0 = none)")
    ] = 600.0,
    seed: Annotated[int, typer.Option(help="random seed of the traffic")] = 0,
    external: Annotated[
        bool,
        typer.Option(
            help="also log the traffic of a model served elsewhere (iris-elsewhere, status "
            "monitored) beside the deployed one, at half the rate"
        ),
    ] = True,
) -> None:
    """Run the whole product on SQLite: server, model, live traffic. Ctrl-C stops it cleanly.

    Starts the server, trains and deploys a model with a progress bar (unless one is active),
    then sends realistic traffic with delayed labels, a drift episode and periodic retrains;
    beside it, a model served elsewhere logs its own predictions (--no-external: not).
    """
    from modelbeacon.demo import run_demo
    from modelbeacon.simulate.config import SimulationConfig

    settings = load_settings(
        port=port,
        database_url=f"sqlite:///{data_dir / 'modelbeacon.db'}",
        artifact_dir=data_dir / "artifacts",
        metrics_interval=1.0,
        prediction_interval=0.5,
        system_interval=2.0,
    )
    try:
        config = SimulationConfig(
            url=f"http://{settings.host}:{settings.port}",
            rate=rate,
            duration=duration,
            max_requests=max_requests,
            drift_every=drift_every,
            retrain_every=retrain_every,
            seed=seed,
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    try:
        summaries = asyncio.run(run_demo(settings, config, console, external=external))
    except ModelbeaconError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    for summary in summaries or []:
        console.print(f"[bold]{summary.title}[/bold]")
        for line in summary.lines():
            console.print(line)
    console.print("stopped; the prediction log is flushed")


@app.command()
def train(
    name: Annotated[str, typer.Option(help="model name; versions count up per name")],
    dataset: Annotated[str, typer.Option(help="iris, wine, breast_cancer or digits")] = "iris",
    algorithm: Annotated[
        str,
        typer.Option(help="logistic_regression, random_forest, gradient_boosting, sgd or mlp"),
    ] = "logistic_regression",
    params: Annotated[
        str, typer.Option(help="estimator parameters as JSON, e.g. '{\"n_estimators\": 50}'")
    ] = "{}",
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Train a model with a live progress bar: on a running server with --url, else into the
    configured database. Exit 0 when trained, 1 when refused or failed, 2 for bad options."""
    parsed = json_option("--params", params, dict, "a JSON object")
    accuracy = remotely_or_locally(
        url,
        lambda u: _train_remotely(u, api_key, name, dataset, algorithm, parsed),
        lambda settings: _train_locally(settings, name, dataset, algorithm, parsed),
    )
    console.print(f"[green]done:[/green] validation accuracy {accuracy:.3f}")


async def _deploy_locally(settings: Settings, model_id: int) -> dict[str, Any]:
    from modelbeacon.app import build_services
    from modelbeacon.clock import system_clock

    async with build_services(settings, system_clock) as services:
        return await services.deployment.deploy(model_id)


def _deploy_remotely(url: str, api_key: str | None, model_id: int) -> dict[str, Any]:
    with api_client(url, api_key) as client:
        return client.deploy(model_id)


@app.command()
def deploy(
    model_id: Annotated[int, typer.Argument(help="the id of the model to make active")],
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Make a trained model the one active model: on a running server with --url, else in the
    configured database. Exit 0 when deployed, 1 when refused (unknown, not trained)."""
    deployed = remotely_or_locally(
        url,
        lambda u: _deploy_remotely(u, api_key, model_id),
        lambda settings: _deploy_locally(settings, model_id),
    )
    console.print(
        f"[green]deployed[/green] {deployed['model_name']} v{deployed['model_version']} "
        f"(model {deployed['model_id']})"
    )


register_data_commands(app)
register_simulate(app)

"""The ``modelbeacon`` command: serve the API, train a model, deploy one."""

from __future__ import annotations

import asyncio
import json
from types import FrameType
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from modelbeacon.errors import ModelbeaconError
from modelbeacon.settings import Settings

app = typer.Typer(
    help="modelbeacon: train, deploy and serve scikit-learn models, and watch them live.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


class GracefulServer(uvicorn.Server):
    """A uvicorn server whose SIGTERM/SIGINT ends in a clean exit 0.

    uvicorn re-raises the signal it captured once shutdown is done (so the process dies with
    143 or 130); our contract is "flush and exit 0", and the lifespan has already flushed.
    """

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        console.print(f"[red]invalid configuration:[/red] {problems}")
        raise typer.Exit(2) from exc


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


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.fields[stage]:<13}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[details]}"),
        console=console,
    )


async def _train_locally(
    settings: Settings, name: str, dataset: str, algorithm: str, params: dict[str, Any]
) -> float:
    from modelbeacon.app import build_services
    from modelbeacon.events import EVENTS_CHANNEL, types
    from modelbeacon.services.clock import system_clock

    async with (
        build_services(settings, system_clock) as services,
        services.bus.subscribe(EVENTS_CHANNEL) as events,
    ):
        job = await services.training.start(name, dataset, algorithm, params)
        console.print(f"training [bold]{name}[/bold] (model {job.model_id}, job {job.id})")
        with _progress_bar() as bar:
            task = bar.add_task("train", total=100, stage="queued", details="")
            async for event in events:
                if event.payload.get("job_id") != str(job.id):
                    continue
                if event.type == types.TRAINING_PROGRESS:
                    p = event.payload
                    bar.update(
                        task, completed=p["progress"], stage=p["stage"], details=p["details"]
                    )
                    if not console.is_terminal:
                        # No live bar in a log file: one line per real progress report.
                        console.print(f"{p['stage']:<13} {p['progress']:5.1f}%  {p['details']}")
                elif event.type == types.TRAINING_COMPLETED:
                    bar.update(task, completed=100, stage="ready", details="")
                    return float(event.payload["validation_accuracy"])
                elif event.type == types.TRAINING_FAILED:
                    raise ModelbeaconError(f"training failed: {event.payload['error']}")
    raise ModelbeaconError("the event stream ended before training finished")


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
) -> None:
    """Train a model into the configured database, with a live progress bar."""
    try:
        parsed = json.loads(params)
    except json.JSONDecodeError as exc:
        console.print(f"[red]--params is not valid JSON:[/red] {exc}")
        raise typer.Exit(2) from exc
    if not isinstance(parsed, dict):
        console.print("[red]--params must be a JSON object[/red]")
        raise typer.Exit(2)
    settings = load_settings()
    try:
        accuracy = asyncio.run(_train_locally(settings, name, dataset, algorithm, parsed))
    except ModelbeaconError as exc:
        console.print(f"[red]{exc.message}[/red]")
        for key, value in exc.details.items():
            console.print(f"  {key}: {value}")
        raise typer.Exit(1) from exc
    console.print(f"[green]done:[/green] validation accuracy {accuracy:.3f}")

"""``modelbeacon datasets upload``, ``modelbeacon import`` and ``modelbeacon register``: your
own CSV to train on, a model trained elsewhere (skops or ONNX) to serve (docs/MODELS.md), and a
model served elsewhere to monitor (docs/CLIENT.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import typer

from modelbeacon.commands import (
    ApiKeyOption,
    UrlOption,
    api_client,
    console,
    json_option,
    remotely_or_locally,
)
from modelbeacon.settings import Settings


def register(app: typer.Typer) -> None:
    """Add ``datasets upload``, ``import`` and ``register`` to ``app``."""
    app.add_typer(datasets_app, name="datasets")
    app.command("import")(import_model)
    app.command("register")(register_model)


datasets_app = typer.Typer(help="Datasets to train on: upload your own CSV.", no_args_is_help=True)


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with open(path, "rb") as file:
        while chunk := await asyncio.to_thread(file.read, 1 << 20):
            yield chunk


async def _upload_locally(
    settings: Settings, path: Path, target: str, name: str | None
) -> dict[str, Any]:
    from modelbeacon.app import build_services
    from modelbeacon.clock import system_clock

    async with build_services(settings, system_clock) as services:
        return await services.datasets.upload(_file_chunks(path), path.name, name, target)


def _upload_remotely(
    url: str, api_key: str | None, path: Path, target: str, name: str | None
) -> dict[str, Any]:
    with api_client(url, api_key) as client:
        return client.upload_dataset(path, target, name)


ExistingFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the file to send")
]


@datasets_app.command("upload")
def upload_dataset(
    file: ExistingFile,
    target: Annotated[str, typer.Option(help="the column that holds the class labels")],
    name: Annotated[
        str | None, typer.Option(help="the dataset's name (default: from the file name)")
    ] = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Upload a CSV (header row, UTF-8, comma) as a dataset to train on. Exit 0 when kept,
    1 when refused (the message says which row or column and why), 2 for bad options."""
    dataset = remotely_or_locally(
        url,
        lambda u: _upload_remotely(u, api_key, file, target, name),
        lambda settings: _upload_locally(settings, file, target, name),
    )
    kinds = ", ".join(f"{f['name']} ({f['kind']})" for f in dataset["features"])
    dropped = dataset["dropped_rows"]
    left_out = f" ({dropped} without a target left out)" if dropped else ""
    console.print(
        f"[green]uploaded[/green] dataset {dataset['name']}: {dataset['rows']} rows{left_out}, "
        f"classes {dataset['classes']}, features {kinds}"
    )
    console.print(
        f"train on it: modelbeacon train --name NAME --dataset {dataset['name']} "
        "--algorithm random_forest"
    )


async def _import_locally(settings: Settings, request: dict[str, Any]) -> dict[str, Any]:
    from modelbeacon.app import build_services
    from modelbeacon.clock import system_clock
    from modelbeacon.services.imports import Upload
    from modelbeacon.services.views import model_view

    model_path: Path = request["model_path"]
    reference: Path | None = request["reference"]
    async with build_services(settings, system_clock) as services:
        live = await services.imports.import_model(
            request["name"],
            Upload(_file_chunks(model_path), model_path.name),
            _feature_specs(request["features"]),
            request["classes"],
            None if reference is None else Upload(_file_chunks(reference), reference.name),
            request["target"],
        )
        return model_view(live)


def _feature_specs(features: list[Any] | None) -> Any:
    from modelbeacon.inputs import FeatureSpec

    if features is None:
        return None
    return [FeatureSpec(f) if isinstance(f, str) else FeatureSpec.from_dict(f) for f in features]


def _json_list(option: str, text: str | None) -> list[Any] | None:
    return None if text is None else json_option(option, text, list, "a JSON list")


def import_model(
    file: ExistingFile,
    name: Annotated[str, typer.Option(help="model name; versions count up per name")],
    features: Annotated[
        str | None,
        typer.Option(
            help='JSON list of feature names, or of {"name", "kind", "categories"}, for a model '
            "that does not carry them (ONNX, numpy-fitted)"
        ),
    ] = None,
    classes: Annotated[
        str | None, typer.Option(help="JSON list of class labels, for a model without them")
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="CSV of the model's features and true labels: drift reference, accuracy, "
            "calibration",
        ),
    ] = None,
    target: Annotated[str, typer.Option(help="the reference CSV's label column")] = "target",
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Import a fitted model from a .skops or .onnx file as a ready model to deploy. Pickle
    and joblib files are refused (loading them can run any code). Exit 0 when imported, 1
    when refused, 2 for bad options."""
    request = {
        "model_path": file,
        "name": name,
        "features": _json_list("--features", features),
        "classes": _json_list("--classes", classes),
        "reference": reference,
        "target": target,
    }
    model = remotely_or_locally(
        url,
        lambda u: _import_remotely(u, api_key, request),
        lambda settings: _import_locally(settings, request),
    )
    kinds = ", ".join(f"{f['name']} ({f['kind']})" for f in model["features"])
    console.print(
        f"[green]imported[/green] {model['name']} v{model['version']} (model {model['id']}, "
        f"runs on {model['runtime']}): classes {model['classes']}, features {kinds}"
    )
    console.print(f"deploy it: modelbeacon deploy {model['id']}")


def _import_remotely(url: str, api_key: str | None, request: dict[str, Any]) -> dict[str, Any]:
    with api_client(url, api_key) as client:
        return client.import_model(
            request["model_path"],
            request["name"],
            features=request["features"],
            classes=request["classes"],
            reference=request["reference"],
            target=request["target"],
        )


def register_model(
    name: Annotated[str, typer.Argument(help="model name; versions count up per name")],
    reference_dataset: Annotated[
        str | None,
        typer.Option(
            help="a dataset of the model's inputs (built-in or uploaded): its rows are the drift "
            "reference, and its features and classes the model's unless given"
        ),
    ] = None,
    features: Annotated[
        str | None,
        typer.Option(help='JSON list of feature names, or of {"name", "kind", "categories"?}'),
    ] = None,
    classes: Annotated[str | None, typer.Option(help="JSON list of class labels")] = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Register a model served elsewhere (your own FastAPI app, BentoML, KServe, MLflow) to
    monitor it here; then log its predictions with modelbeacon.client (docs/CLIENT.md). Exit 0
    when registered, 1 when refused, 2 for bad options."""
    request = {
        "name": name,
        "features": _json_list("--features", features),
        "classes": _json_list("--classes", classes),
        "reference_dataset": reference_dataset,
    }
    model = remotely_or_locally(
        url,
        lambda u: _register_remotely(u, api_key, request),
        lambda settings: _register_locally(settings, request),
    )
    kinds = ", ".join(f"{f['name']} ({f['kind']})" for f in model["features"])
    console.print(
        f"[green]registered[/green] {model['name']} v{model['version']} (model {model['id']}, "
        f"monitored): classes {model['classes']}, features {kinds}"
    )
    console.print(
        f"log its predictions: Client(URL).log_prediction({model['id']}, features=..., "
        "prediction=...) (docs/CLIENT.md)"
    )


async def _register_locally(settings: Settings, request: dict[str, Any]) -> dict[str, Any]:
    from modelbeacon.app import build_services
    from modelbeacon.clock import system_clock
    from modelbeacon.services.views import model_view

    async with build_services(settings, system_clock) as services:
        live = await services.registration.register(
            request["name"],
            _feature_specs(request["features"]),
            request["classes"],
            request["reference_dataset"],
        )
        return model_view(live)


def _register_remotely(url: str, api_key: str | None, request: dict[str, Any]) -> dict[str, Any]:
    with api_client(url, api_key) as client:
        return client.register(
            request["name"],
            features=request["features"],
            classes=request["classes"],
            reference_dataset=request["reference_dataset"],
        )

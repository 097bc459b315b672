"""What every ``modelbeacon`` command shares: the console it reports on, the ``--url`` and
``--api-key`` options, the settings, and how a command runs through a server's API or on the
local database and reports a refusal (exit 1) or bad options (exit 2)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from modelbeacon.errors import ModelbeaconError
from modelbeacon.settings import Settings

if TYPE_CHECKING:
    from modelbeacon.client import Client

console = Console(stderr=True)
T = TypeVar("T")


UrlOption = Annotated[
    str | None,
    typer.Option(help="a running server (http://host:port) instead of the local database"),
]
ApiKeyOption = Annotated[
    str | None, typer.Option(help="API key for --url when the server requires one")
]


def api_client(url: str, api_key: str | None) -> Client:
    """The client a ``--url`` command talks to its server with (``with api_client(...)``)."""
    # Imported here: the client loads httpx, and ``modelbeacon --help`` should stay quick.
    from modelbeacon.client import Client

    # A person waits at the prompt: two quick retries (about 1.5 s) ride out a blip, and an
    # unreachable server is reported then, not after the client's default ~20 s of backoff.
    return Client(url, api_key, timeout=30.0, retries=2)


def fail(exc: ModelbeaconError) -> typer.Exit:
    """Print a refused or failed operation and return the exit to raise (code 1)."""
    console.print(f"[red]{exc.message}[/red]")
    for key, value in exc.details.items():
        console.print(f"  {key}: {value}")
    return typer.Exit(1)


def remotely_or_locally(
    url: str | None,
    remote: Callable[[str], T],
    local: Callable[[Settings], Coroutine[Any, Any, T]],
) -> T:
    """``remote(url)`` through a running server's API (with ``api_client``) when ``--url`` is
    given, else ``local(settings)`` on the configured database; a refusal or failure exits 1
    with its message."""
    try:
        if url is not None:
            return remote(url)
        return asyncio.run(local(load_settings()))
    except ModelbeaconError as exc:
        raise fail(exc) from exc


def json_option(option: str, text: str, kind: type[T], what: str) -> T:
    """The value of a JSON-valued option, which must be ``what`` (an instance of ``kind``);
    anything else exits 2 naming the option."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        console.print(f"[red]{option} is not valid JSON:[/red] {exc}")
        raise typer.Exit(2) from exc
    if not isinstance(parsed, kind):
        console.print(f"[red]{option} must be {what}[/red]")
        raise typer.Exit(2)
    return parsed


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        console.print(f"[red]invalid configuration:[/red] {problems}")
        raise typer.Exit(2) from exc

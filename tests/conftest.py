"""Shared fixtures: database URLs (SQLite always, PostgreSQL when reachable or required),
apps built by the real factory, and httpx clients that run the real lifespan."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from modelbeacon.app import create_app
from modelbeacon.clock import Clock, system_clock
from modelbeacon.settings import Settings
from tests.support import ServerProcess, server_environment

POSTGRES_URL = os.environ.get(
    "MODELBEACON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("MODELBEACON_TEST_REQUIRE_POSTGRES") == "1"


def _admin_engine() -> Any:
    return create_engine(
        make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    try:
        engine = _admin_engine()
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except OperationalError as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (CI) but not reachable at {POSTGRES_URL}: {exc}")
        return False
    return True


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'modelbeacon.db'}"
        return
    if not request.getfixturevalue("postgres_available"):
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (set it up or run in CI)")
    name = f"mb_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "artifact_dir": tmp_path / "artifacts",
            "log_flush_interval": 0.05,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


@pytest.fixture
async def client_factory(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Any]]:
    """``async with client_factory(**settings) as client``: an app with its lifespan running;
    ``clock=`` replaces the app's wall clock."""

    @asynccontextmanager
    async def open_client(
        *, clock: Clock = system_clock, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(make_settings(**overrides), clock=clock)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                client.app = app  # type: ignore[attr-defined]
                yield client

    yield open_client


@pytest.fixture
async def client(client_factory: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with client_factory() as c:
        yield c


@pytest.fixture
def server_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return server_environment(tmp_path, database_url=database_url)


@pytest.fixture
def start_server(server_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        server = ServerProcess(server_env, tmp_path, tmp_path / "server.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL)

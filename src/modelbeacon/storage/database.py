"""Engine construction, schema migration, and ``Database``: the one place driver errors become
modelbeacon errors.

Repositories (``model_repository``, ``job_repository``, ``prediction_repository``,
``history_repository``) run every statement through ``Database.transaction``, so SQLAlchemy
errors leave storage as ``UnavailableError`` (the database could not be reached) or
``ConflictError`` (a constraint refused the write), chained to the original. All of them are
synchronous and thread-safe (one short transaction each); services call them through
``modelbeacon.tasks.in_thread`` so the event loop never waits on the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from modelbeacon.errors import ConflictError, UnavailableError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and foreign keys, PostgreSQL a small pool."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            # WAL lets the dashboard read while the log writer inserts.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """The engine plus one place that turns driver errors into modelbeacon errors."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError as exc:
            raise ConflictError(
                "the database refused a conflicting write", details={"reason": str(exc.orig)}
            ) from exc
        except OperationalError as exc:
            raise UnavailableError(
                "the database is unavailable", details={"reason": str(exc.orig)}
            ) from exc
        except SQLAlchemyError as exc:
            raise UnavailableError("database error", details={"reason": str(exc)}) from exc

    def ping(self) -> None:
        with self.transaction() as conn:
            conn.execute(select(1))

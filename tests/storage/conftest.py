"""A migrated, empty database for the storage tests (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelbeacon.storage.database import Database, create_db_engine, migrate


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    engine = create_db_engine(database_url)
    migrate(engine)
    yield Database(engine)
    engine.dispose()

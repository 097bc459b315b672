"""Liveness and readiness: can this process answer, and can it reach what it depends on."""

from __future__ import annotations

from typing import Any

from modelbeacon import __version__
from modelbeacon.errors import UnavailableError
from modelbeacon.storage.database import Database
from modelbeacon.tasks import in_thread


class Readiness:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def check(self) -> dict[str, Any]:
        """``{status, database, bus, version}`` when ready; raises ``UnavailableError`` (503)
        naming the database's problem when it cannot be reached."""
        try:
            await in_thread(self._database.ping)
        except UnavailableError as exc:
            raise UnavailableError(
                "the database is not reachable", details={"database": exc.message}
            ) from exc
        return {"status": "ok", "database": "ok", "bus": "ok", "version": __version__}

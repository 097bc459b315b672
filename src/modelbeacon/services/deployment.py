"""Deployment: exactly one active model; the one it replaces becomes ``inactive``."""

from __future__ import annotations

import asyncio
from typing import Any

from modelbeacon.clock import Clock, iso_utc
from modelbeacon.events.types import MODEL_DEPLOYED
from modelbeacon.services.announcer import StatusAnnouncer
from modelbeacon.services.catalog import ModelCatalog
from modelbeacon.services.notify import EventSink
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.tasks import in_thread


class DeploymentService:
    def __init__(
        self,
        catalog: ModelCatalog,
        models: ModelRepository,
        announcer: StatusAnnouncer,
        sink: EventSink,
        clock: Clock,
    ) -> None:
        self._catalog = catalog
        self._models = models
        self._announcer = announcer
        self._sink = sink
        self._clock = clock
        self._lock = asyncio.Lock()

    async def deploy(self, model_id: int) -> dict[str, Any]:
        """Make ``model_id`` active (re-deploying the active model restarts its uptime)."""
        async with self._lock:
            live = self._catalog.get(model_id)
            # Loading verifies the artifact's checksum before the model goes live.
            await self._catalog.predictor(live)
            now = self._clock()
            previous_id = await in_thread(self._models.deploy, model_id, now)
            if previous_id is not None:
                previous = self._catalog.get(previous_id)
                fresh = await in_thread(self._models.get, previous_id)
                if fresh is not None:
                    self._catalog.replace_record(fresh)
                self._announcer.announce(previous.monitor.set_base_status("inactive"))
            record = await in_thread(self._models.get, model_id)
            assert record is not None, "a model cannot vanish while it is being deployed"
            self._catalog.replace_record(record)
            self._catalog.active_id = model_id
            self._announcer.announce(live.monitor.set_base_status("active", at=now))
        payload = {
            "model_id": str(model_id),
            "model_name": record.name,
            "model_version": record.version,
            "deployment_timestamp": iso_utc(now),
        }
        self._sink.emit(MODEL_DEPLOYED, payload, model_id=str(model_id))
        return payload

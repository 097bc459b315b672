"""The in-memory view of every model: its stored record, live monitor and loaded predictor.

The catalog is the single owner of live state in one process. It is rebuilt from the database
at startup (``load``), so every live number survives a restart.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from modelbeacon.clock import Clock
from modelbeacon.errors import ModelNotFoundError, ModelNotReadyError, NoActiveModelError
from modelbeacon.metrics import HealthPolicy, ModelMonitor
from modelbeacon.prediction import PredictionRecord
from modelbeacon.registry import ArtifactStore, Predictor, StoredArtifact
from modelbeacon.registry.importing import check_parity
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.storage.records import ModelRecord

HISTORY_SIZE = 1000
ACCURACY_SIZE = 100
ESTIMATE_SIZE = 100
SERVABLE = frozenset({"ready", "active", "inactive"})


def _trained(record: ModelRecord) -> dict[str, Any]:
    """What the monitor needs from training: drift reference, calibration, classes."""
    return {
        "reference": record.reference,
        "calibration": record.calibration,
        "classes": record.classes,
    }


@dataclass
class LiveModel:
    record: ModelRecord
    monitor: ModelMonitor
    predictor: Predictor | None = None
    load_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def key(self) -> str:
        return str(self.record.id)


class ModelCatalog:
    def __init__(
        self,
        models: ModelRepository,
        predictions: PredictionRepository,
        artifacts: ArtifactStore,
        policy: HealthPolicy,
        clock: Clock,
    ) -> None:
        self._models = models
        self._predictions = predictions
        self._artifacts = artifacts
        self._policy = policy
        self._clock = clock
        self._live: dict[int, LiveModel] = {}
        self.active_id: int | None = None

    def load(self) -> None:
        """Rebuild every model's monitor from the database (blocking; run it in a thread)."""
        now = self._clock()
        for record in self._models.list():
            calls = self._predictions.restore_window(record.id, HISTORY_SIZE)
            labelled = self._predictions.recent_labelled(record.id, ACCURACY_SIZE)
            monitor = ModelMonitor.restore(
                str(record.id),
                self._policy,
                base_status=record.status,
                deployed_at=record.deployed_at,
                total_predictions=self._predictions.total_predictions(record.id),
                recent_calls=calls,
                recent_successes=self._predictions.latest_successes(
                    record.id, HISTORY_SIZE, scored=ESTIMATE_SIZE
                ),
                labelled=labelled,
                **_trained(record),
                rate_timestamps=self._predictions.timestamps_since(
                    record.id, now - ModelMonitor.RATE_RETENTION_SECONDS
                ),
            )
            self._live[record.id] = LiveModel(record=record, monitor=monitor)
            if record.status == "active":
                self.active_id = record.id

    def add(self, record: ModelRecord) -> LiveModel:
        live = LiveModel(
            record=record,
            monitor=ModelMonitor(
                str(record.id),
                self._policy,
                base_status=record.status,
                deployed_at=record.deployed_at,
                **_trained(record),
            ),
        )
        self._live[record.id] = live
        return live

    def replace_record(self, record: ModelRecord) -> LiveModel:
        """Swap in a newer stored record (training finished, deployed) keeping the monitor,
        which learns what training produced."""
        live = self.get(record.id)
        live.record = record
        live.monitor.set_trained(**_trained(record))
        return live

    def get(self, model_id: int) -> LiveModel:
        try:
            return self._live[model_id]
        except KeyError:
            raise ModelNotFoundError(
                f"no model with id {model_id}", details={"model_id": model_id}
            ) from None

    def active(self) -> LiveModel:
        if self.active_id is None:
            raise NoActiveModelError(
                "no model is deployed: deploy one with POST /api/models/{id}/deploy"
            )
        return self._live[self.active_id]

    def all(self) -> list[LiveModel]:
        return list(self._live.values())

    def find_prediction(self, prediction_id: str) -> tuple[LiveModel, PredictionRecord] | None:
        """The in-memory ring-buffer entry for ``prediction_id``, if still held."""
        for live in self._live.values():
            record = live.monitor.lookup(prediction_id)
            if record is not None:
                return live, record
        return None

    async def predictor(self, live: LiveModel) -> Predictor:
        """The model's predictor, loaded (and checksum-verified) once, off the event loop."""
        if live.predictor is not None:
            return live.predictor
        record = live.record
        if record.status == "monitored":
            raise ModelNotReadyError(
                f"model {record.id} is served elsewhere and only monitored here: it has no "
                "artifact to serve or deploy; log its predictions with "
                f"POST /api/models/{record.id}/predictions",
                details={"model_id": record.id, "status": record.status},
            )
        if record.status not in SERVABLE or record.artifact_path is None:
            raise ModelNotReadyError(
                f"model {record.id} is {record.status} and cannot serve predictions",
                details={"model_id": record.id, "status": record.status},
            )
        async with live.load_lock:
            if live.predictor is None:
                artifact = StoredArtifact(
                    path=record.artifact_path,
                    sha256=record.artifact_sha256 or "",
                    trusted_types=record.artifact_trusted_types,
                )
                live.predictor = await asyncio.to_thread(self._load, record, artifact)
        return live.predictor

    def _load(self, record: ModelRecord, artifact: StoredArtifact) -> Predictor:
        """Load and verify the artifact; an imported model must still give the outputs it
        gave at import (``ArtifactIntegrityError`` when its runtime now answers otherwise)."""
        predictor = self._artifacts.load(artifact, record.features, record.classes)
        if record.parity is not None:
            check_parity(predictor, record.parity)
        return predictor

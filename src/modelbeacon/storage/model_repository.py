"""``ModelRepository``: models, their versions, and the deployment record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Row, and_, func, insert, select, update

from modelbeacon.errors import ConflictError
from modelbeacon.inputs import FeatureSpec, numeric_features
from modelbeacon.metrics.calibration import Calibration
from modelbeacon.metrics.psi import DriftReference
from modelbeacon.storage.database import Database
from modelbeacon.storage.job_repository import job_record
from modelbeacon.storage.records import (
    ImportedFields,
    JobRecord,
    ModelRecord,
    RegisteredFields,
    TrainedFields,
)
from modelbeacon.storage.tables import deployments, models, training_jobs

_VERSION_RETRIES = 3
T = TypeVar("T")


def _model(row: Row[Any]) -> ModelRecord:
    """The record of a ``models`` row; ``ValueError`` (or ``KeyError``/``TypeError``) if its
    stored reference or calibration is malformed, which only a hand-edited row can be."""
    m = row._mapping
    reference, calibration = m["drift_reference"], m["calibration"]
    feature_names = tuple(m["feature_names"] or ())
    stored_features = m["features"]
    features = (
        numeric_features(feature_names)
        if stored_features is None
        else tuple(FeatureSpec.from_dict(f) for f in stored_features)
    )
    return ModelRecord(
        id=m["id"],
        name=m["name"],
        version=m["version"],
        algorithm=m["algorithm"],
        dataset=m["dataset"],
        params=dict(m["params"] or {}),
        status=m["status"],
        error=m["error"],
        created_at=m["created_at"],
        last_trained_at=m["last_trained_at"],
        deployed_at=m["deployed_at"],
        validation_accuracy=m["validation_accuracy"],
        feature_names=feature_names,
        classes=tuple(m["classes"] or ()),
        artifact_path=m["artifact_path"],
        artifact_sha256=m["artifact_sha256"],
        artifact_trusted_types=tuple(m["artifact_trusted_types"] or ()),
        reference=None if reference is None else DriftReference.from_dict(reference),
        calibration=None if calibration is None else Calibration.from_dict(calibration),
        features=features,
        accepts_missing=bool(m["accepts_missing"]),
        source=m["source"],
        runtime=m["runtime"],
        parity=m["parity"],
    )


def _trained_values(trained: TrainedFields) -> dict[str, Any]:
    """``trained`` as ``models`` column values (JSON columns get lists and dicts)."""
    return {
        "validation_accuracy": trained.validation_accuracy,
        "feature_names": list(trained.feature_names),
        "classes": list(trained.classes),
        "artifact_path": trained.artifact_path,
        "artifact_sha256": trained.artifact_sha256,
        "artifact_trusted_types": list(trained.artifact_trusted_types),
        "drift_reference": trained.reference.as_dict(),
        "calibration": None if trained.calibration is None else trained.calibration.as_dict(),
        "features": [f.as_dict() for f in trained.features] or None,
        "accepts_missing": trained.accepts_missing,
    }


def _next_version(conn: Any, name: str) -> int:
    latest = conn.execute(
        select(func.coalesce(func.max(models.c.version), 0)).where(models.c.name == name)
    ).scalar_one()
    return int(latest) + 1


class ModelRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create_for_training(
        self, name: str, dataset: str, algorithm: str, params: dict[str, Any], now: float
    ) -> tuple[ModelRecord, JobRecord]:
        """Insert the next version of ``name`` (status ``training``) and its queued job."""
        values = {
            "algorithm": algorithm,
            "dataset": dataset,
            "params": params,
            "status": "training",
            "created_at": now,
        }

        def queue_job(conn: Any, model: ModelRecord) -> tuple[ModelRecord, JobRecord]:
            job_id = conn.execute(
                insert(training_jobs)
                .values(
                    model_id=model.id,
                    state="queued",
                    stage="queued",
                    progress=0.0,
                    details="waiting for a training worker",
                    created_at=now,
                )
                .returning(training_jobs.c.id)
            ).scalar_one()
            job = job_record(
                conn.execute(select(training_jobs).where(training_jobs.c.id == job_id)).one()
            )
            return model, job

        return self._insert_next_version(name, values, queue_job)

    def create_imported(self, imported: ImportedFields, now: float) -> ModelRecord:
        """Insert the next version of ``imported.name``, ``ready`` at once."""
        values = {
            "algorithm": imported.algorithm,
            "dataset": imported.dataset,
            "params": {},
            "status": "ready",
            "created_at": now,
            "last_trained_at": now,
            "validation_accuracy": imported.validation_accuracy,
            "feature_names": list(imported.feature_names),
            "classes": list(imported.classes),
            "artifact_path": imported.artifact_path,
            "artifact_sha256": imported.artifact_sha256,
            "artifact_trusted_types": list(imported.artifact_trusted_types),
            "drift_reference": None if imported.reference is None else imported.reference.as_dict(),
            "calibration": None if imported.calibration is None else imported.calibration.as_dict(),
            "features": [f.as_dict() for f in imported.features],
            "accepts_missing": imported.accepts_missing,
            "source": "imported",
            "runtime": imported.runtime,
            "parity": imported.parity,
        }
        return self._insert_next_version(imported.name, values, lambda _conn, model: model)

    def create_registered(self, registered: RegisteredFields, now: float) -> ModelRecord:
        """Insert the next version of ``registered.name``: a model served elsewhere, status
        ``monitored`` at once, with no artifact."""
        values = {
            "algorithm": "external",
            "dataset": registered.dataset,
            "params": {},
            "status": "monitored",
            "created_at": now,
            "feature_names": [f.name for f in registered.features],
            "classes": list(registered.classes),
            "drift_reference": (
                None if registered.reference is None else registered.reference.as_dict()
            ),
            "features": [f.as_dict() for f in registered.features],
            "accepts_missing": True,
            "source": "registered",
            "runtime": "external",
        }
        return self._insert_next_version(registered.name, values, lambda _conn, model: model)

    def _insert_next_version(
        self,
        name: str,
        values: dict[str, Any],
        then: Callable[[Any, ModelRecord], T],
    ) -> T:
        """Insert the next version of ``name`` with ``values`` and run ``then(conn, model)`` in
        the same transaction; its result is returned."""
        for attempt in range(_VERSION_RETRIES):
            try:
                with self._db.transaction() as conn:
                    model_id = conn.execute(
                        insert(models)
                        .values(name=name, version=_next_version(conn, name), **values)
                        .returning(models.c.id)
                    ).scalar_one()
                    model = _model(
                        conn.execute(select(models).where(models.c.id == model_id)).one()
                    )
                    return then(conn, model)
            except ConflictError:
                # Two writers of one name raced for the same version number: take the next.
                if attempt == _VERSION_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def get(self, model_id: int) -> ModelRecord | None:
        with self._db.transaction() as conn:
            row = conn.execute(select(models).where(models.c.id == model_id)).one_or_none()
        return _model(row) if row else None

    def list(self) -> list[ModelRecord]:
        with self._db.transaction() as conn:
            return [_model(r) for r in conn.execute(select(models).order_by(models.c.id))]

    def mark_ready(self, model_id: int, trained: TrainedFields, now: float) -> ModelRecord:
        with self._db.transaction() as conn:
            conn.execute(
                update(models)
                .where(models.c.id == model_id)
                .values(status="ready", error=None, last_trained_at=now, **_trained_values(trained))
            )
            return _model(conn.execute(select(models).where(models.c.id == model_id)).one())

    def mark_failed(self, model_id: int, error: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                update(models).where(models.c.id == model_id).values(status="failed", error=error)
            )

    def deploy(self, model_id: int, now: float) -> int | None:
        """Make ``model_id`` the one active model; return the id it replaced, if any."""
        with self._db.transaction() as conn:
            previous = conn.execute(
                select(models.c.id).where(models.c.status == "active")
            ).scalar_one_or_none()
            if previous is not None:
                conn.execute(
                    update(models).where(models.c.id == previous).values(status="inactive")
                )
                conn.execute(
                    update(deployments)
                    .where(
                        and_(
                            deployments.c.model_id == previous, deployments.c.replaced_at.is_(None)
                        )
                    )
                    .values(replaced_at=now)
                )
            conn.execute(
                update(models)
                .where(models.c.id == model_id)
                .values(status="active", deployed_at=now)
            )
            conn.execute(insert(deployments).values(model_id=model_id, deployed_at=now))
        return None if previous == model_id else previous

    def fail_interrupted(self, now: float) -> int:
        """Mark trainings a previous process left unfinished as failed; return how many."""
        message = "interrupted: the server stopped before training finished"
        with self._db.transaction() as conn:
            jobs = conn.execute(
                update(training_jobs)
                .where(training_jobs.c.state.in_(("queued", "running")))
                .values(state="failed", stage="failed", error=message, finished_at=now)
            ).rowcount
            conn.execute(
                update(models)
                .where(models.c.status == "training")
                .values(status="failed", error=message)
            )
        return int(jobs or 0)

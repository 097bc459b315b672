"""Repositories: every SQL statement modelbeacon runs, behind plain-record methods.

All methods are synchronous and thread-safe (one short transaction each); services call them
through ``storage.threads.in_thread`` so the event loop never waits on the database.
SQLAlchemy errors leave this module as ``UnavailableError`` (the database could not be reached) or
``ConflictError`` (a constraint refused the write), chained to the original.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    and_,
    delete,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from modelbeacon.errors import ConflictError, UnavailableError
from modelbeacon.storage.records import (
    JobRecord,
    LabelUpdate,
    ModelRecord,
    PredictionRow,
    TrainedFields,
)
from modelbeacon.storage.tables import deployments, models, predictions, training_jobs

_VERSION_RETRIES = 3


def _model(row: Row[Any]) -> ModelRecord:
    m = row._mapping
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
        feature_names=tuple(m["feature_names"] or ()),
        classes=tuple(m["classes"] or ()),
        feature_means=tuple(m["feature_means"] or ()),
        feature_stds=tuple(m["feature_stds"] or ()),
        artifact_path=m["artifact_path"],
        artifact_sha256=m["artifact_sha256"],
        artifact_trusted_types=tuple(m["artifact_trusted_types"] or ()),
    )


def _job(row: Row[Any]) -> JobRecord:
    return JobRecord(**{k: row._mapping[k] for k in JobRecord.__slots__})


def _prediction(row: Row[Any]) -> PredictionRow:
    return PredictionRow(**{k: row._mapping[k] for k in PredictionRow.__slots__})


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


class ModelRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create_for_training(
        self, name: str, dataset: str, algorithm: str, params: dict[str, Any], now: float
    ) -> tuple[ModelRecord, JobRecord]:
        """Insert the next version of ``name`` (status ``training``) and its queued job."""
        for attempt in range(_VERSION_RETRIES):
            try:
                with self._db.transaction() as conn:
                    version = (
                        conn.execute(
                            select(func.coalesce(func.max(models.c.version), 0)).where(
                                models.c.name == name
                            )
                        ).scalar_one()
                        + 1
                    )
                    model_id = conn.execute(
                        insert(models)
                        .values(
                            name=name,
                            version=version,
                            algorithm=algorithm,
                            dataset=dataset,
                            params=params,
                            status="training",
                            created_at=now,
                        )
                        .returning(models.c.id)
                    ).scalar_one()
                    job_id = conn.execute(
                        insert(training_jobs)
                        .values(
                            model_id=model_id,
                            state="queued",
                            stage="queued",
                            progress=0.0,
                            details="waiting for a training worker",
                            created_at=now,
                        )
                        .returning(training_jobs.c.id)
                    ).scalar_one()
                    model = _model(
                        conn.execute(select(models).where(models.c.id == model_id)).one()
                    )
                    job = _job(
                        conn.execute(
                            select(training_jobs).where(training_jobs.c.id == job_id)
                        ).one()
                    )
                    return model, job
            except ConflictError:
                # Two trainings of one name raced for the same version number: take the next.
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
        values = asdict(trained)
        for key in ("feature_names", "classes", "feature_means", "feature_stds"):
            values[key] = list(values[key])
        values["artifact_trusted_types"] = list(values["artifact_trusted_types"])
        with self._db.transaction() as conn:
            conn.execute(
                update(models)
                .where(models.c.id == model_id)
                .values(status="ready", error=None, last_trained_at=now, **values)
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


class JobRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, job_id: int) -> JobRecord | None:
        with self._db.transaction() as conn:
            row = conn.execute(
                select(training_jobs).where(training_jobs.c.id == job_id)
            ).one_or_none()
        return _job(row) if row else None

    def update(self, job_id: int, **values: Any) -> None:
        with self._db.transaction() as conn:
            conn.execute(update(training_jobs).where(training_jobs.c.id == job_id).values(**values))


class PredictionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def write(self, rows: Sequence[PredictionRow], labels: Sequence[LabelUpdate]) -> None:
        """Insert ``rows`` then apply ``labels``, in one transaction (all or nothing)."""
        with self._db.transaction() as conn:
            if rows:
                conn.execute(insert(predictions), [asdict(r) for r in rows])
            for label in labels:
                conn.execute(
                    update(predictions)
                    .where(predictions.c.prediction_id == label.prediction_id)
                    .values(label=label.label, labelled_at=label.labelled_at, correct=label.correct)
                )

    def get(self, prediction_id: str) -> PredictionRow | None:
        with self._db.transaction() as conn:
            row = conn.execute(
                select(predictions).where(predictions.c.prediction_id == prediction_id)
            ).one_or_none()
        return _prediction(row) if row else None

    def recent(self, model_id: int, limit: int) -> list[PredictionRow]:
        """The newest ``limit`` calls of a model (arrival order, newest first)."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(predictions)
                .where(predictions.c.model_id == model_id)
                .order_by(predictions.c.id.desc())
                .limit(limit)
            )
            return [_prediction(r) for r in rows]

    def restore_window(self, model_id: int, size: int) -> list[PredictionRow]:
        """Calls oldest first, reaching back far enough to hold both the newest ``size`` calls
        and the newest ``size`` successful ones, so errors never shrink the latency window."""
        with self._db.transaction() as conn:
            starts = []
            for condition in (true(), predictions.c.error.is_(None)):
                newest = (
                    select(predictions.c.id)
                    .where(predictions.c.model_id == model_id, condition)
                    .order_by(predictions.c.id.desc())
                    .limit(size)
                    .subquery()
                )
                starts.append(conn.execute(select(func.min(newest.c.id))).scalar_one())
            present = [start for start in starts if start is not None]
            if not present:
                return []
            rows = conn.execute(
                select(predictions)
                .where(predictions.c.model_id == model_id, predictions.c.id >= min(present))
                .order_by(predictions.c.id)
            )
            return [_prediction(r) for r in rows]

    def total_predictions(self, model_id: int) -> int:
        """Successful predictions ever logged for the model, including rows retention purged."""
        with self._db.transaction() as conn:
            stored = conn.execute(
                select(func.count())
                .select_from(predictions)
                .where(predictions.c.model_id == model_id, predictions.c.error.is_(None))
            ).scalar_one()
            purged = conn.execute(
                select(models.c.purged_predictions).where(models.c.id == model_id)
            ).scalar_one_or_none()
            return int(stored) + int(purged or 0)

    def recent_labelled(self, model_id: int, limit: int) -> list[tuple[float, str, bool]]:
        """(ts, prediction_id, correct) of the newest ``limit`` labelled predictions by time."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(predictions.c.ts, predictions.c.prediction_id, predictions.c.correct)
                .where(
                    predictions.c.model_id == model_id,
                    predictions.c.error.is_(None),
                    predictions.c.correct.is_not(None),
                )
                .order_by(predictions.c.ts.desc(), predictions.c.prediction_id.desc())
                .limit(limit)
            )
            return [(r.ts, r.prediction_id, bool(r.correct)) for r in rows]

    def timestamps_since(self, model_id: int, since: float) -> list[float]:
        with self._db.transaction() as conn:
            return list(
                conn.execute(
                    select(predictions.c.ts).where(
                        predictions.c.model_id == model_id,
                        predictions.c.error.is_(None),
                        predictions.c.ts > since,
                    )
                ).scalars()
            )

    def delete_older_than(self, cutoff: float, batch_size: int) -> int:
        """Delete at most ``batch_size`` prediction rows older than ``cutoff``; return how many.

        The successful rows deleted are added to their model's ``purged_predictions`` in the
        same transaction, so ``total_predictions`` (which counts them) survives retention.
        """
        with self._db.transaction() as conn:
            ids = [
                r.id
                for r in conn.execute(
                    select(predictions.c.id).where(predictions.c.ts < cutoff).limit(batch_size)
                )
            ]
            if not ids:
                return 0
            purged = conn.execute(
                select(predictions.c.model_id, func.count())
                .where(predictions.c.id.in_(ids), predictions.c.error.is_(None))
                .group_by(predictions.c.model_id)
            ).all()
            for model_id, count in purged:
                conn.execute(
                    update(models)
                    .where(models.c.id == model_id)
                    .values(purged_predictions=models.c.purged_predictions + count)
                )
            conn.execute(delete(predictions).where(predictions.c.id.in_(ids)))
            return len(ids)

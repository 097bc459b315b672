"""``PredictionRepository``: the prediction log, and the one mapping between a
``PredictionRecord`` and its row (``row_values`` one way, ``_record`` the other)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from modelbeacon.prediction import PredictionRecord
from modelbeacon.storage.database import Database
from modelbeacon.storage.records import LabelUpdate
from modelbeacon.storage.tables import models, predictions


def row_values(record: PredictionRecord) -> dict[str, Any]:
    """The ``predictions`` row of ``record`` (``input_hash`` and ``correct`` derived here)."""
    return {
        "prediction_id": record.prediction_id,
        "model_id": record.model_id,
        "model_version": record.model_version,
        "ts": record.timestamp,
        "input_hash": record.input_hash,
        "features": None if record.features is None else list(record.features),
        "prediction": record.prediction,
        "probabilities": record.probabilities,
        "top_probability": record.top_probability,
        "latency_ms": record.latency_ms,
        "label": record.label,
        "labelled_at": record.labelled_at,
        "correct": record.correct,
        "error": record.error,
    }


def _record(row: Row[Any]) -> PredictionRecord:
    m = row._mapping
    features = m["features"]
    return PredictionRecord(
        prediction_id=m["prediction_id"],
        timestamp=m["ts"],
        latency_ms=m["latency_ms"],
        prediction=m["prediction"],
        top_probability=m["top_probability"],
        features=None if features is None else tuple(features),
        label=m["label"],
        error=m["error"],
        model_id=m["model_id"],
        model_version=m["model_version"],
        probabilities=m["probabilities"],
        labelled_at=m["labelled_at"],
    )


class PredictionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def write(self, records: Sequence[PredictionRecord], labels: Sequence[LabelUpdate]) -> None:
        """Insert ``records`` then apply ``labels``, in one transaction (all or nothing)."""
        with self._db.transaction() as conn:
            if records:
                conn.execute(insert(predictions), [row_values(r) for r in records])
            for label in labels:
                conn.execute(
                    update(predictions)
                    .where(predictions.c.prediction_id == label.prediction_id)
                    .values(label=label.label, labelled_at=label.labelled_at, correct=label.correct)
                )

    def insert_new(self, records: Sequence[PredictionRecord]) -> set[str]:
        """Insert the ``records`` whose ``prediction_id`` is not stored yet, in one
        transaction; return the ids inserted. An id already stored (or inserted meanwhile by
        another writer) is skipped, not an error: logging the same prediction twice is a no-op.
        """
        if not records:
            return set()
        with self._db.transaction() as conn:
            statement = _insert_or_skip(conn).returning(predictions.c.prediction_id)
            inserted = conn.execute(statement, [row_values(r) for r in records])
            return set(inserted.scalars())

    def get_many(self, prediction_ids: Sequence[str]) -> dict[str, PredictionRecord]:
        """The stored predictions among ``prediction_ids``, by id."""
        found: dict[str, PredictionRecord] = {}
        with self._db.transaction() as conn:
            # Bounded IN lists: SQLite allows at most 32766 parameters per statement.
            for start in range(0, len(prediction_ids), 1000):
                chunk = list(prediction_ids[start : start + 1000])
                rows = conn.execute(
                    select(predictions).where(predictions.c.prediction_id.in_(chunk))
                )
                for row in rows:
                    record = _record(row)
                    found[record.prediction_id] = record
        return found

    def get(self, prediction_id: str) -> PredictionRecord | None:
        with self._db.transaction() as conn:
            row = conn.execute(
                select(predictions).where(predictions.c.prediction_id == prediction_id)
            ).one_or_none()
        return _record(row) if row else None

    def recent(self, model_id: int, limit: int) -> list[PredictionRecord]:
        """The newest ``limit`` calls of a model by timestamp, newest first (equal timestamps
        newest arrival first): a prediction logged late lands where its time puts it."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(predictions)
                .where(predictions.c.model_id == model_id)
                .order_by(predictions.c.ts.desc(), predictions.c.id.desc())
                .limit(limit)
            )
            return [_record(r) for r in rows]

    def restore_window(self, model_id: int, size: int) -> list[PredictionRecord]:
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
            return [_record(r) for r in rows]

    def latest_successes(self, model_id: int, size: int, scored: int = 0) -> list[PredictionRecord]:
        """The ``size`` successful predictions with the latest timestamps and the ``scored``
        latest that have a top probability (the estimate window may reach back further),
        oldest first (equal timestamps in arrival order)."""
        success = (predictions.c.model_id == model_id, predictions.c.error.is_(None))
        newest = (predictions.c.ts.desc(), predictions.c.id.desc())
        latest = select(predictions.c.id).where(*success).order_by(*newest).limit(size)
        latest_scored = (
            select(predictions.c.id)
            .where(*success, predictions.c.top_probability.is_not(None))
            .order_by(*newest)
            .limit(scored)
        )
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(predictions)
                .where(
                    predictions.c.id.in_(latest.scalar_subquery())
                    | predictions.c.id.in_(latest_scored.scalar_subquery())
                )
                .order_by(predictions.c.ts, predictions.c.id)
            )
            return [_record(r) for r in rows]

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

    def recent_labelled(self, model_id: int, limit: int) -> list[PredictionRecord]:
        """The newest ``limit`` labelled successful predictions by (time, id), newest first."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(predictions)
                .where(
                    predictions.c.model_id == model_id,
                    predictions.c.error.is_(None),
                    predictions.c.correct.is_not(None),
                )
                .order_by(predictions.c.ts.desc(), predictions.c.prediction_id.desc())
                .limit(limit)
            )
            return [_record(r) for r in rows]

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

    # ---- the log as it stood at a past time (``services.history_backfill``) ----------------
    # A prediction counts at time T when its ts <= T; its label when labelled_at <= T too. A
    # label stored without a time counts as labelled inline (at the prediction's ts).

    def latest_until(
        self, model_id: int, size: int, until: float, *, successes_only: bool = False
    ) -> list[PredictionRecord]:
        """The ``size`` calls (successful ones only with ``successes_only``) with the latest
        timestamps at or before ``until``, oldest first (equal timestamps in arrival order),
        with their labels as stored (the caller hides those given after ``until``)."""
        condition = predictions.c.error.is_(None) if successes_only else true()
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(predictions)
                .where(predictions.c.model_id == model_id, predictions.c.ts <= until, condition)
                .order_by(predictions.c.ts.desc(), predictions.c.id.desc())
                .limit(size)
            )
            latest = [_record(r) for r in rows]
        latest.reverse()
        return latest

    def labelled_until(self, model_id: int, limit: int, until: float) -> list[PredictionRecord]:
        """The newest ``limit`` successful predictions by (time, id) made and labelled at or
        before ``until``, newest first: ``recent_labelled`` as it was at ``until``."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(predictions)
                .where(
                    predictions.c.model_id == model_id,
                    predictions.c.error.is_(None),
                    predictions.c.correct.is_not(None),
                    predictions.c.ts <= until,
                    or_(predictions.c.labelled_at.is_(None), predictions.c.labelled_at <= until),
                )
                .order_by(predictions.c.ts.desc(), predictions.c.prediction_id.desc())
                .limit(limit)
            )
            return [_record(r) for r in rows]

    def success_timestamps_between(self, model_id: int, after: float, until: float) -> list[float]:
        """Timestamps of the successful predictions with ``after < ts <= until``, any order."""
        with self._db.transaction() as conn:
            return list(
                conn.execute(
                    select(predictions.c.ts).where(
                        predictions.c.model_id == model_id,
                        predictions.c.error.is_(None),
                        predictions.c.ts > after,
                        predictions.c.ts <= until,
                    )
                ).scalars()
            )

    def calls_between(self, model_id: int, after: float, until: float) -> list[PredictionRecord]:
        """The calls with ``after < ts <= until`` by (time, arrival), labels as stored."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(predictions)
                .where(
                    predictions.c.model_id == model_id,
                    predictions.c.ts > after,
                    predictions.c.ts <= until,
                )
                .order_by(predictions.c.ts, predictions.c.id)
            )
            return [_record(r) for r in rows]

    def late_labels_between(
        self, model_id: int, after: float, until: float
    ) -> list[PredictionRecord]:
        """The successful predictions labelled after they were made (``labelled_at > ts``),
        with ``after < labelled_at <= until``, by (``labelled_at``, arrival).

        No index covers ``labelled_at``: this reads every row of the model up to ``until``.
        """
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(predictions)
                .where(
                    predictions.c.model_id == model_id,
                    predictions.c.error.is_(None),
                    predictions.c.correct.is_not(None),
                    predictions.c.ts < until,
                    predictions.c.labelled_at > predictions.c.ts,
                    predictions.c.labelled_at > after,
                    predictions.c.labelled_at <= until,
                )
                .order_by(predictions.c.labelled_at, predictions.c.id)
            )
            return [_record(r) for r in rows]

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


def _insert_or_skip(conn: Connection) -> Any:
    """An INSERT into ``predictions`` that skips rows whose ``prediction_id`` exists."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(predictions).on_conflict_do_nothing(index_elements=["prediction_id"])

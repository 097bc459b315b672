"""``MetricsHistoryRepository``: the stored metrics history, and the one mapping between a
``HistoryPoint`` and its ``metrics_history`` row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Insert, Row, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from modelbeacon.metrics.history_point import HistoryPoint
from modelbeacon.storage.database import Database
from modelbeacon.storage.tables import metrics_history


def _row_values(model_id: int, point: HistoryPoint) -> dict[str, Any]:
    low, high = point.accuracy_interval or (None, None)
    return {
        "model_id": model_id,
        "ts": point.at,
        "predictions_per_minute": point.predictions_per_minute,
        "current_accuracy": point.current_accuracy,
        "accuracy_low": low,
        "accuracy_high": high,
        "estimated_accuracy": point.estimated_accuracy,
        "latency_p95_ms": point.latency_p95_ms,
        "error_rate": point.error_rate,
        "drift_score": point.drift_score,
        "model_health": point.model_health,
    }


def _point(row: Row[Any]) -> HistoryPoint:
    m = row._mapping
    low, high = m["accuracy_low"], m["accuracy_high"]
    return HistoryPoint(
        at=m["ts"],
        predictions_per_minute=m["predictions_per_minute"],
        current_accuracy=m["current_accuracy"],
        accuracy_interval=None if low is None or high is None else (low, high),
        estimated_accuracy=m["estimated_accuracy"],
        latency_p95_ms=m["latency_p95_ms"],
        error_rate=m["error_rate"],
        drift_score=m["drift_score"],
        model_health=m["model_health"],
    )


def _insert_skipping_taken_steps(conn: Connection) -> Insert:
    """An insert that leaves out a row whose (model_id, ts) is already stored."""
    # The two dialects create_db_engine supports, each with its own ON CONFLICT construct.
    if conn.dialect.name == "sqlite":
        return sqlite.insert(metrics_history).on_conflict_do_nothing(
            index_elements=["model_id", "ts"]
        )
    return postgresql.insert(metrics_history).on_conflict_do_nothing(
        index_elements=["model_id", "ts"]
    )


def _insert_replacing_taken_steps(conn: Connection) -> Insert:
    """An insert that overwrites the numbers of a row whose (model_id, ts) is already stored."""
    numbers = [c.name for c in metrics_history.columns if c.name not in ("id", "model_id", "ts")]
    if conn.dialect.name == "sqlite":
        lite = sqlite.insert(metrics_history)
        return lite.on_conflict_do_update(
            index_elements=["model_id", "ts"], set_={name: lite.excluded[name] for name in numbers}
        )
    pg = postgresql.insert(metrics_history)
    return pg.on_conflict_do_update(
        index_elements=["model_id", "ts"], set_={name: pg.excluded[name] for name in numbers}
    )


class MetricsHistoryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, points: Sequence[tuple[int, HistoryPoint]]) -> None:
        """Store ``(model_id, point)`` pairs in one transaction (all or nothing).

        A point whose model already has a point at the same ``at`` is skipped: the step was
        taken already (by this process before a restart, or by another replica).
        """
        if not points:
            return
        with self._db.transaction() as conn:
            conn.execute(
                _insert_skipping_taken_steps(conn),
                [_row_values(model_id, point) for model_id, point in points],
            )

    def replace_range(
        self, model_id: int, first: float, last: float, points: Sequence[HistoryPoint]
    ) -> None:
        """Replace the model's points with ``first <= at <= last`` by ``points`` (all within
        that range), in one transaction: a reader sees the old points or the new ones.

        A point taken meanwhile at one of the same steps (the step loop's write racing this
        one) is overwritten: the replacement is the one that knows the late predictions.
        """
        with self._db.transaction() as conn:
            conn.execute(
                delete(metrics_history).where(
                    metrics_history.c.model_id == model_id,
                    metrics_history.c.ts >= first,
                    metrics_history.c.ts <= last,
                )
            )
            if points:
                conn.execute(
                    _insert_replacing_taken_steps(conn),
                    [_row_values(model_id, point) for point in points],
                )

    def between(self, model_id: int, after: float, until: float) -> list[HistoryPoint]:
        """The model's points with ``after < at <= until``, oldest first."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                select(metrics_history)
                .where(
                    metrics_history.c.model_id == model_id,
                    metrics_history.c.ts > after,
                    metrics_history.c.ts <= until,
                )
                .order_by(metrics_history.c.ts)
            )
            return [_point(r) for r in rows]

    def delete_older_than(self, cutoff: float, batch_size: int) -> int:
        """Delete at most ``batch_size`` points with ``at < cutoff``, of any model; return
        how many (the caller repeats while a full batch was deleted)."""
        with self._db.transaction() as conn:
            ids = list(
                conn.execute(
                    select(metrics_history.c.id)
                    .where(metrics_history.c.ts < cutoff)
                    .limit(batch_size)
                ).scalars()
            )
            if ids:
                conn.execute(delete(metrics_history).where(metrics_history.c.id.in_(ids)))
            return len(ids)

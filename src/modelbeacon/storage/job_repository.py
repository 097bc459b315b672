"""``JobRepository``: training jobs and their progress."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select, update

from modelbeacon.storage.database import Database
from modelbeacon.storage.records import JobRecord
from modelbeacon.storage.tables import training_jobs


def job_record(row: Row[Any]) -> JobRecord:
    return JobRecord(**{k: row._mapping[k] for k in JobRecord.__slots__})


class JobRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, job_id: int) -> JobRecord | None:
        with self._db.transaction() as conn:
            row = conn.execute(
                select(training_jobs).where(training_jobs.c.id == job_id)
            ).one_or_none()
        return job_record(row) if row else None

    def update(self, job_id: int, **values: Any) -> None:
        with self._db.transaction() as conn:
            conn.execute(update(training_jobs).where(training_jobs.c.id == job_id).values(**values))

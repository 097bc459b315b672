"""``DatasetRepository``: uploaded datasets, their inferred schema and where their CSV is kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select

from modelbeacon.inputs import FeatureSpec
from modelbeacon.storage.database import Database
from modelbeacon.storage.records import DatasetRecord
from modelbeacon.storage.tables import datasets


def _dataset(row: Row[Any]) -> DatasetRecord:
    m = row._mapping
    return DatasetRecord(
        id=m["id"],
        name=m["name"],
        target=m["target"],
        rows=m["rows"],
        dropped_rows=m["dropped_rows"],
        classes=tuple(m["classes"]),
        features=tuple(FeatureSpec.from_dict(f) for f in m["features"]),
        filename=m["filename"],
        size_bytes=m["size_bytes"],
        artifact_path=m["artifact_path"],
        artifact_sha256=m["artifact_sha256"],
        created_at=m["created_at"],
    )


class DatasetRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, record: DatasetRecord) -> DatasetRecord:
        """Insert ``record`` (its ``id`` is ignored); a taken name raises ``ConflictError``."""
        with self._db.transaction() as conn:
            dataset_id = conn.execute(
                insert(datasets)
                .values(
                    name=record.name,
                    target=record.target,
                    rows=record.rows,
                    dropped_rows=record.dropped_rows,
                    classes=list(record.classes),
                    features=[f.as_dict() for f in record.features],
                    filename=record.filename,
                    size_bytes=record.size_bytes,
                    artifact_path=record.artifact_path,
                    artifact_sha256=record.artifact_sha256,
                    created_at=record.created_at,
                )
                .returning(datasets.c.id)
            ).scalar_one()
            return _dataset(conn.execute(select(datasets).where(datasets.c.id == dataset_id)).one())

    def get(self, name: str) -> DatasetRecord | None:
        with self._db.transaction() as conn:
            row = conn.execute(select(datasets).where(datasets.c.name == name)).one_or_none()
        return _dataset(row) if row else None

    def list(self) -> list[DatasetRecord]:
        with self._db.transaction() as conn:
            return [_dataset(r) for r in conn.execute(select(datasets).order_by(datasets.c.id))]

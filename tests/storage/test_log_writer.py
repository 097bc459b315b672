"""The write-behind log writer against a real database, including an outage."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from modelbeacon.prediction import PredictionRecord
from modelbeacon.storage.database import Database
from modelbeacon.storage.log_writer import LogWriter
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.storage.records import LabelUpdate


def _row(i: int, model_id: int) -> PredictionRecord:
    return PredictionRecord(
        prediction_id=f"p{i}",
        model_id=model_id,
        model_version=1,
        timestamp=float(i),
        features=(float(i),),
        prediction=0,
        latency_ms=0.1,
    )


async def test_rows_are_written_in_batches_and_flushed_on_exit(database: Database) -> None:
    model, _ = ModelRepository(database).create_for_training("m", "iris", "sgd", {}, 0.0)
    repo = PredictionRepository(database)
    writer = LogWriter(repo, flush_interval=60.0, flush_rows=50)
    async with writer.running():
        for i in range(120):
            writer.append(_row(i, model.id))
        writer.append_label(LabelUpdate("p119", 0, 200.0, True))
        for _ in range(100):  # the size trigger flushes without waiting for the 60 s timer
            if writer.stats().written_rows >= 100:
                break
            await asyncio.sleep(0.02)
        assert writer.stats().written_rows >= 100
    stats = writer.stats()
    assert stats.pending_rows == 0 and stats.written_rows == 120 and stats.written_labels == 1
    assert repo.total_predictions(model.id) == 120
    assert [r.prediction_id for r in repo.recent(model.id, 3)] == ["p119", "p118", "p117"]
    assert repo.get("p119").label == 0  # type: ignore[union-attr]


async def test_an_outage_delays_rows_but_loses_none(database: Database) -> None:
    model, _ = ModelRepository(database).create_for_training("m", "iris", "sgd", {}, 0.0)
    repo = PredictionRepository(database)
    writer = LogWriter(repo, flush_interval=0.02, flush_rows=10)
    with database.transaction() as conn:  # a real failure: the table is gone for a while
        conn.execute(text("alter table predictions rename to predictions_away"))
    async with writer.running():
        for i in range(25):
            writer.append(_row(i, model.id))
        for _ in range(200):
            if writer.stats().failures >= 2:
                break
            await asyncio.sleep(0.02)
        stats = writer.stats()
        assert stats.failures >= 2 and stats.pending_rows == 25 and stats.last_error
        with database.transaction() as conn:
            conn.execute(text("alter table predictions_away rename to predictions"))
        for _ in range(400):
            if writer.stats().pending_rows == 0:
                break
            await asyncio.sleep(0.02)
    assert repo.total_predictions(model.id) == 25
    ids = [r.prediction_id for r in reversed(repo.recent(model.id, 100))]
    assert ids == [f"p{i}" for i in range(25)], "arrival order survives the retries"

"""Repositories and migrations against real SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from modelbeacon.errors import ConflictError
from modelbeacon.prediction import PredictionRecord
from modelbeacon.storage.database import Database, create_db_engine, migrate
from modelbeacon.storage.job_repository import JobRepository
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.storage.records import LabelUpdate, TrainedFields


def _trained() -> TrainedFields:
    return TrainedFields(
        validation_accuracy=0.9,
        feature_names=("a", "b"),
        classes=(0, 1),
        feature_means=(0.0, 1.0),
        feature_stds=(1.0, 2.0),
        artifact_path="m.skops",
        artifact_sha256="0" * 64,
        artifact_trusted_types=(),
    )


def _row(prediction_id: str, model_id: int, ts: float, **extra: object) -> PredictionRecord:
    values: dict[str, object] = dict(
        prediction_id=prediction_id,
        model_id=model_id,
        model_version=1,
        timestamp=ts,
        features=(1.0, 2.0),
        prediction=1,
        probabilities={"0": 0.2, "1": 0.8},
        top_probability=0.8,
        latency_ms=0.5,
    )
    values.update(extra)
    return PredictionRecord(**values)  # type: ignore[arg-type]


def test_migrate_is_idempotent_and_creates_every_table(database_url: str) -> None:
    engine = create_db_engine(database_url)
    migrate(engine)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"models", "training_jobs", "deployments", "predictions", "alembic_version"} <= tables
    engine.dispose()


def test_versions_count_up_per_name(database: Database) -> None:
    models = ModelRepository(database)
    a1, job = models.create_for_training("a", "iris", "sgd", {}, 1.0)
    a2, _ = models.create_for_training("a", "iris", "sgd", {}, 2.0)
    b1, _ = models.create_for_training("b", "iris", "sgd", {}, 3.0)
    assert (a1.version, a2.version, b1.version) == (1, 2, 1)
    assert a1.status == "training" and job.state == "queued" and job.model_id == a1.id


def test_deploy_swaps_the_active_model_and_records_history(database: Database) -> None:
    models = ModelRepository(database)
    first, _ = models.create_for_training("a", "iris", "sgd", {}, 1.0)
    second, _ = models.create_for_training("b", "iris", "sgd", {}, 1.0)
    for m in (first, second):
        models.mark_ready(m.id, _trained(), 2.0)
    assert models.deploy(first.id, 10.0) is None
    assert models.deploy(second.id, 20.0) == first.id
    by_id = {m.id: m for m in models.list()}
    assert by_id[first.id].status == "inactive" and by_id[second.id].status == "active"
    assert by_id[second.id].deployed_at == 20.0
    with database.transaction() as conn:
        history = conn.execute(
            text("select model_id, deployed_at, replaced_at from deployments order by id")
        ).all()
    assert [tuple(r) for r in history] == [(first.id, 10.0, 20.0), (second.id, 20.0, None)]


def test_the_database_refuses_a_second_active_model(database: Database) -> None:
    models = ModelRepository(database)
    first, _ = models.create_for_training("a", "iris", "sgd", {}, 1.0)
    second, _ = models.create_for_training("b", "iris", "sgd", {}, 1.0)
    models.deploy(first.id, 1.0)
    with pytest.raises(ConflictError), database.transaction() as conn:
        conn.execute(text("update models set status = 'active' where id = :i"), {"i": second.id})


def test_fail_interrupted_marks_unfinished_jobs_failed(database: Database) -> None:
    models = ModelRepository(database)
    model, job = models.create_for_training("a", "iris", "sgd", {}, 1.0)
    assert models.fail_interrupted(5.0) == 1
    stored = JobRepository(database).get(job.id)
    assert stored is not None and stored.state == "failed" and "interrupted" in (stored.error or "")
    assert models.get(model.id).status == "failed"  # type: ignore[union-attr]


def test_prediction_rows_round_trip_exactly(database: Database) -> None:
    models = ModelRepository(database)
    model, _ = models.create_for_training("a", "iris", "sgd", {}, 1.0)
    repo = PredictionRepository(database)
    ts = 1_764_000_000.123456789
    repo.write([_row("p1", model.id, ts), _row("p2", model.id, ts + 1, error="boom")], [])
    repo.write([], [LabelUpdate("p1", 1, ts + 5, True)])
    stored = repo.get("p1")
    assert stored is not None and stored.timestamp == ts and stored.label == 1 and stored.correct
    assert stored.probabilities == {"0": 0.2, "1": 0.8}
    assert repo.total_predictions(model.id) == 1
    assert [r.prediction_id for r in repo.recent(model.id, 10)] == ["p2", "p1"]
    labelled = repo.recent_labelled(model.id, 100)
    assert [(r.timestamp, r.prediction_id, r.label, r.labelled_at) for r in labelled] == [
        (ts, "p1", 1, ts + 5)
    ]
    assert repo.timestamps_since(model.id, ts - 1) == [ts]


def test_a_failed_write_writes_nothing(database: Database) -> None:
    models = ModelRepository(database)
    model, _ = models.create_for_training("a", "iris", "sgd", {}, 1.0)
    repo = PredictionRepository(database)
    with pytest.raises(ConflictError):
        repo.write([_row("same", model.id, 1.0), _row("same", model.id, 2.0)], [])
    assert repo.recent(model.id, 10) == []


def test_delete_older_than_removes_in_batches(database: Database) -> None:
    models = ModelRepository(database)
    model, _ = models.create_for_training("a", "iris", "sgd", {}, 1.0)
    repo = PredictionRepository(database)
    repo.write([_row(f"p{i}", model.id, float(i)) for i in range(10)], [])
    repo.write([_row("failed", model.id, 0.5, error="boom")], [])
    assert repo.delete_older_than(7.0, batch_size=4) == 4
    assert repo.delete_older_than(7.0, batch_size=4) == 4
    assert repo.delete_older_than(7.0, batch_size=4) == 0
    assert sorted(r.timestamp for r in repo.recent(model.id, 100)) == [7.0, 8.0, 9.0]
    # The 7 purged successes still count (the failed call never did).
    assert repo.total_predictions(model.id) == 10


def test_restore_window_reaches_back_past_errors_for_enough_successes(database: Database) -> None:
    models = ModelRepository(database)
    model, _ = models.create_for_training("a", "iris", "sgd", {}, 1.0)
    repo = PredictionRepository(database)
    rows = [_row(f"s{i}", model.id, float(i)) for i in range(5)]
    rows += [_row(f"e{i}", model.id, 5.0 + i, error="boom") for i in range(3)]
    repo.write(rows, [])
    window = repo.restore_window(model.id, 3)
    # The newest 3 calls are all errors; the newest 3 successes start at s2.
    assert [r.prediction_id for r in window] == ["s2", "s3", "s4", "e0", "e1", "e2"]
    assert repo.restore_window(model.id + 1, 3) == []

"""Repositories and migrations against real SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from modelbeacon.errors import ConflictError
from modelbeacon.metrics.calibration import Calibration
from modelbeacon.metrics.psi import CategoricalReference, DriftReference, NumericReference
from modelbeacon.prediction import PredictionRecord
from modelbeacon.storage.database import MIGRATIONS_DIR, Database, create_db_engine, migrate
from modelbeacon.storage.job_repository import JobRepository
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.storage.prediction_repository import PredictionRepository
from modelbeacon.storage.records import LabelUpdate, TrainedFields

# Floats that only round-trip if stored exactly (a subnormal, 0.1 + 0.2, a third).
REFERENCE = DriftReference(
    (
        NumericReference("a", (5e-324, 0.1 + 0.2, 1 / 3), (0.25, 0.25, 0.25, 0.25)),
        CategoricalReference("b", ("red", 7), (0.5, 0.3, 0.2)),
    )
)
CALIBRATION = Calibration(
    "isotonic", x=(0.4, 2 / 3, 1.0), y=(0.1, 0.7, 0.97), error=0.021, raw_error=1 / 7
)


def _trained() -> TrainedFields:
    return TrainedFields(
        validation_accuracy=0.9,
        feature_names=("a", "b"),
        classes=(0, 1),
        artifact_path="m.skops",
        artifact_sha256="0" * 64,
        artifact_trusted_types=(),
        reference=REFERENCE,
        calibration=CALIBRATION,
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


def _alembic(engine: Engine, action: str, revision: str) -> None:
    """``alembic upgrade|downgrade <revision>`` on ``engine``, configured as ``migrate`` is."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def test_migration_0003_keeps_existing_models_without_reference(database_url: str) -> None:
    engine = create_db_engine(database_url)
    _alembic(engine, "upgrade", "0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into models (name, version, algorithm, dataset, params, status,"
                " created_at, last_trained_at, validation_accuracy, feature_names, classes,"
                " feature_means, feature_stds, artifact_path, artifact_sha256,"
                " artifact_trusted_types)"
                " values ('old', 1, 'sgd', 'iris', '{}', 'active', 1.0, 2.0, 0.9,"
                " '[\"a\", \"b\"]', '[0, 1]', '[0.0, 1.0]', '[1.0, 2.0]', 'm.skops',"
                " :sha, '[]')"
            ),
            {"sha": "0" * 64},
        )

    migrate(engine)

    columns = {c["name"]: c for c in inspect(engine).get_columns("models")}
    assert columns["drift_reference"]["nullable"] and columns["calibration"]["nullable"]
    assert not columns.keys() & {"feature_means", "feature_stds"}  # replaced by the PSI bins
    indexes = {index["name"] for index in inspect(engine).get_indexes("models")}
    assert "uq_models_one_active" in indexes  # batch mode kept the one-active guard
    with engine.begin() as conn:
        stored = conn.execute(text("select drift_reference, calibration from models")).one()
    assert tuple(stored) == (None, None)
    (old,) = ModelRepository(Database(engine)).list()
    assert (old.name, old.status, old.feature_names, old.validation_accuracy) == (
        "old",
        "active",
        ("a", "b"),
        0.9,
    )
    assert old.reference is None and old.calibration is None
    engine.dispose()


def test_migration_0003_downgrades_to_the_schema_before_it(database_url: str) -> None:
    engine = create_db_engine(database_url)
    migrate(engine)

    _alembic(engine, "downgrade", "0002")

    columns = {c["name"] for c in inspect(engine).get_columns("models")}
    assert "purged_predictions" in columns and {"feature_means", "feature_stds"} <= columns
    assert not columns & {"drift_reference", "calibration"}
    engine.dispose()


def test_reference_and_calibration_round_trip_exactly(database: Database) -> None:
    models = ModelRepository(database)
    with_both, _ = models.create_for_training("a", "iris", "sgd", {}, 1.0)
    without_proba, _ = models.create_for_training("b", "iris", "sgd", {"loss": "hinge"}, 1.0)
    assert with_both.reference is None and with_both.calibration is None  # still training

    ready = models.mark_ready(with_both.id, _trained(), 2.0)
    models.mark_ready(without_proba.id, replace(_trained(), calibration=None), 2.0)

    assert ready.reference == REFERENCE and ready.calibration == CALIBRATION
    stored = models.get(with_both.id)
    assert stored is not None
    assert stored.reference == REFERENCE and stored.calibration == CALIBRATION
    bare = models.get(without_proba.id)
    assert bare is not None and bare.reference == REFERENCE and bare.calibration is None
    with database.transaction() as conn:
        # no calibration is SQL NULL, as for rows from before revision 0003, not JSON null
        nulls = conn.execute(
            text("select count(*) from models where calibration is null")
        ).scalar_one()
    assert nulls == 1


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

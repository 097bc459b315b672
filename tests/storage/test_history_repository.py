"""``MetricsHistoryRepository`` and its migration against real SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import inspect

from modelbeacon.metrics.history_point import HistoryPoint
from modelbeacon.storage.database import Database, create_db_engine, migrate
from modelbeacon.storage.history_repository import MetricsHistoryRepository
from modelbeacon.storage.model_repository import ModelRepository


def _model(database: Database, name: str = "m") -> int:
    record, _ = ModelRepository(database).create_for_training(name, "iris", "sgd", {}, 1.0)
    return record.id


def _point(at: float, **changes: object) -> HistoryPoint:
    point = HistoryPoint(
        at=at,
        predictions_per_minute=27,
        current_accuracy=0.1 + 0.2,  # a float that only round-trips if stored exactly
        accuracy_interval=(0.767, 0.907),
        estimated_accuracy=0.91,
        latency_p95_ms=0.9,
        error_rate=0.0,
        drift_score=0.12,
        model_health="healthy",
    )
    return replace(point, **changes)  # type: ignore[arg-type]


def test_history_migration_creates_the_table_with_its_unique_step_index(database_url: str) -> None:
    engine = create_db_engine(database_url)
    migrate(engine)
    schema = inspect(engine)
    assert "metrics_history" in schema.get_table_names()
    indexes = {ix["name"]: ix for ix in schema.get_indexes("metrics_history")}
    step = indexes["uq_metrics_history_model_ts"]
    assert step["column_names"] == ["model_id", "ts"] and step["unique"]
    engine.dispose()


def test_history_points_round_trip_exactly_oldest_first(database: Database) -> None:
    history = MetricsHistoryRepository(database)
    model = _model(database)
    unlabelled = _point(1000.5, current_accuracy=None, accuracy_interval=None)
    empty = _point(
        1001.0,
        current_accuracy=None,
        accuracy_interval=None,
        estimated_accuracy=None,
        latency_p95_ms=None,
        error_rate=None,
        drift_score=None,
        model_health="unknown",
        predictions_per_minute=0,
    )
    history.append([(model, _point(1002.0)), (model, empty), (model, unlabelled)])
    assert history.between(model, 0.0, 2000.0) == [unlabelled, empty, _point(1002.0)]


def test_history_between_is_open_below_closed_above_and_per_model(database: Database) -> None:
    history = MetricsHistoryRepository(database)
    first, second = _model(database, "a"), _model(database, "b")
    history.append([(first, _point(float(t))) for t in range(10, 15)])
    history.append([(second, _point(12.0, predictions_per_minute=1))])
    assert [p.at for p in history.between(first, 10.0, 13.0)] == [11.0, 12.0, 13.0]
    assert history.between(second, 0.0, 100.0) == [_point(12.0, predictions_per_minute=1)]
    assert history.between(first, 14.0, 100.0) == []


def test_history_a_step_stored_twice_keeps_the_first_point(database: Database) -> None:
    history = MetricsHistoryRepository(database)
    model = _model(database)
    history.append([(model, _point(5.0))])
    # The same step again (a restart within the step, another replica), beside a new one.
    history.append([(model, _point(5.0, predictions_per_minute=99)), (model, _point(10.0))])
    assert history.between(model, 0.0, 100.0) == [_point(5.0), _point(10.0)]


def test_history_delete_older_than_removes_in_batches_only_older_points(
    database: Database,
) -> None:
    history = MetricsHistoryRepository(database)
    first, second = _model(database, "a"), _model(database, "b")
    history.append([(model, _point(float(t))) for t in range(100) for model in (first, second)])
    assert history.delete_older_than(40.0, batch_size=30) == 30
    assert history.delete_older_than(40.0, batch_size=30) == 30
    assert history.delete_older_than(40.0, batch_size=30) == 20
    assert history.delete_older_than(40.0, batch_size=30) == 0
    for model in (first, second):
        assert [p.at for p in history.between(model, -1.0, 1000.0)] == [
            float(t) for t in range(40, 100)
        ]

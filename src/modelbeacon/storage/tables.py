"""SQLAlchemy table definitions: the one schema for SQLite and PostgreSQL.

Times are stored as unix seconds in double-precision columns so that a number recomputed after a
restart is bit-for-bit the number served before it (both SQLite REAL and PostgreSQL DOUBLE
PRECISION round-trip a Python float exactly).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

models = Table(
    "models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("algorithm", String(50), nullable=False),
    Column("dataset", String(50), nullable=False),
    Column("params", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("last_trained_at", Float, nullable=True),
    Column("deployed_at", Float, nullable=True),
    Column("validation_accuracy", Float, nullable=True),
    Column("feature_names", JSON, nullable=True),
    Column("classes", JSON, nullable=True),
    Column("artifact_path", String(255), nullable=True),
    Column("artifact_sha256", String(64), nullable=True),
    Column("artifact_trusted_types", JSON, nullable=True),
    # DriftReference.as_dict() and Calibration.as_dict(); NULL for models trained before they
    # were recorded (revision 0003), calibration also NULL for a model without probabilities.
    Column("drift_reference", JSON(none_as_null=True), nullable=True),
    Column("calibration", JSON(none_as_null=True), nullable=True),
    # Successful prediction rows retention deleted: total_predictions counts them still.
    Column("purged_predictions", Integer, nullable=False, server_default="0"),
    # FeatureSpec.as_dict() of each input; NULL for models stored before revision 0005, whose
    # inputs are feature_names, all numeric.
    Column("features", JSON(none_as_null=True), nullable=True),
    Column("accepts_missing", Boolean, nullable=False, server_default=text("false")),
    # "trained" here, "imported" from a user's skops/ONNX file, or "registered": served
    # elsewhere and only monitored here (no artifact)
    Column("source", String(20), nullable=False, server_default="trained"),
    # what runs the artifact: "sklearn" or "onnxruntime"; "external" for a registered model
    Column("runtime", String(20), nullable=False, server_default="sklearn"),
    # an imported model's own outputs on a few rows, checked again at every load
    Column("parity", JSON(none_as_null=True), nullable=True),
    UniqueConstraint("name", "version", name="uq_models_name_version"),
    # At most one row may be active: the database itself refuses a second one.
    Index(
        "uq_models_one_active",
        "status",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
)

training_jobs = Table(
    "training_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("models.id"), nullable=False, index=True),
    Column("state", String(20), nullable=False),
    Column("stage", String(30), nullable=False),
    Column("progress", Float, nullable=False),
    Column("details", Text, nullable=False),
    Column("error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("models.id"), nullable=False, index=True),
    Column("deployed_at", Float, nullable=False),
    Column("replaced_at", Float, nullable=True),
)

predictions = Table(
    "predictions",
    metadata,
    # id is the arrival order, which the ring buffers are rebuilt in after a restart.
    Column("id", Integer, primary_key=True, autoincrement=True),
    # A uuid4 hex for predictions served here; a caller's own id (up to 128 characters) for
    # predictions logged by a model served elsewhere.
    Column("prediction_id", String(128), nullable=False, unique=True),
    Column("model_id", Integer, ForeignKey("models.id"), nullable=False),
    Column("model_version", Integer, nullable=False),
    Column("ts", Float, nullable=False),
    Column("input_hash", String(32), nullable=True),
    Column("features", JSON, nullable=True),
    Column("prediction", JSON, nullable=True),
    Column("probabilities", JSON, nullable=True),
    Column("top_probability", Float, nullable=True),
    # NULL only for a prediction logged from elsewhere without the caller's measured latency
    Column("latency_ms", Float, nullable=True),
    Column("label", JSON, nullable=True),
    Column("labelled_at", Float, nullable=True),
    Column("correct", Boolean, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_predictions_model_ts", "model_id", "ts"),
    Index("ix_predictions_model_id_id", "model_id", "id"),
)

metrics_history = Table(
    "metrics_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("models.id"), nullable=False),
    # On the step grid (a multiple of the step), so a step taken twice, by a process restarted
    # within one step or by two replicas, is the same (model_id, ts): the unique index keeps
    # the first and the repository skips the other.
    Column("ts", Float, nullable=False),
    # One column per number rather than a JSON document: the numbers stay typed, and a later
    # downsampling (a day of 0.1 s steps is 864,000 rows) can aggregate them in SQL.
    Column("predictions_per_minute", Integer, nullable=False),
    Column("current_accuracy", Float, nullable=True),
    Column("accuracy_low", Float, nullable=True),
    Column("accuracy_high", Float, nullable=True),
    Column("estimated_accuracy", Float, nullable=True),
    Column("latency_p95_ms", Float, nullable=True),
    Column("error_rate", Float, nullable=True),
    Column("drift_score", Float, nullable=True),
    Column("model_health", String(10), nullable=False),
    Index("uq_metrics_history_model_ts", "model_id", "ts", unique=True),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False, unique=True),
    Column("target", String(255), nullable=False),
    Column("rows", Integer, nullable=False),
    # rows of the file without a target value, left out of training
    Column("dropped_rows", Integer, nullable=False),
    Column("classes", JSON, nullable=False),
    Column("features", JSON, nullable=False),
    Column("filename", String(255), nullable=True),
    Column("size_bytes", BigInteger, nullable=False),
    # the uploaded CSV itself, kept in the artifact store and checksummed
    Column("artifact_path", String(255), nullable=False),
    Column("artifact_sha256", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
)

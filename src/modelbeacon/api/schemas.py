"""Request and response bodies of the REST contract (DESIGN.md section 4, docs/PAYLOADS.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
)

# Ids are the database's 32-bit integer keys: a larger number names nothing and is a 422
# here instead of an overflow in the database driver.
MAX_ID = 2**31 - 1
ModelId = Annotated[int, Path(ge=1, le=MAX_ID, description="a model id from GET /api/models")]
JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="the job_id POST /api/models/train gave")]

FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
# A number, a category, or null for a missing value: which one a feature takes is the model's
# to say (GET /api/models/{id} lists its features), so the service checks it and names the
# feature (true/false is let through to be refused there, by name).
FeatureValue = FiniteFloat | StrictStr | StrictBool | None
Features = list[FeatureValue] | dict[str, FeatureValue]
Label = StrictInt | StrictStr


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainRequest(_Strict):
    name: str = Field(min_length=1, max_length=100, examples=["iris-lr"])
    dataset: str = Field(examples=["iris"])
    algorithm: str = Field(examples=["logistic_regression"])
    params: dict[str, Any] = Field(default_factory=dict)


class TrainAccepted(BaseModel):
    job_id: str
    model_id: str


class PredictRequest(_Strict):
    features: Features = Field(examples=[[5.1, 3.5, 1.4, 0.2]])
    label: Label | None = None


class BatchPredictRequest(_Strict):
    instances: list[Features] = Field(min_length=1)
    labels: list[Label | None] | None = None


def _predict_kind(body: Any) -> str:
    return "batch" if isinstance(body, dict) and "instances" in body else "single"


PredictBody = Annotated[
    Annotated[PredictRequest, Tag("single")] | Annotated[BatchPredictRequest, Tag("batch")],
    Discriminator(_predict_kind),
]


class FeedbackRequest(_Strict):
    label: Label


class Prediction(BaseModel):
    prediction_id: str
    prediction: Any
    probabilities: dict[str, float] | None = None
    model_id: str
    model_version: int
    latency_ms: float
    timestamp: str
    label: Any = None


class BatchPrediction(BaseModel):
    predictions: list[Prediction]


class Feedback(BaseModel):
    prediction_id: str
    model_id: str
    label: Any
    prediction: Any
    correct: bool
    created: bool


class RawCalibration(BaseModel):
    method: Literal["raw"]
    error: float | None
    raw_error: float | None


class IsotonicCalibration(BaseModel):
    method: Literal["isotonic"]
    error: float | None
    raw_error: float | None
    x: list[float]
    y: list[float]


class SigmoidCalibration(BaseModel):
    method: Literal["sigmoid"]
    error: float | None
    raw_error: float | None
    a: float
    b: float


CalibrationMap = Annotated[
    RawCalibration | IsotonicCalibration | SigmoidCalibration, Field(discriminator="method")
]


class Model(BaseModel):
    id: str
    name: str
    version: int
    algorithm: str
    dataset: str | None
    params: dict[str, Any]
    status: str
    health: str
    created_at: str
    last_trained_at: str | None
    deployed_at: str | None
    validation_accuracy: float | None
    total_predictions: int
    feature_names: list[str]
    features: list[FeatureDescription]
    accepts_missing: bool
    classes: list[Any]
    source: Literal["trained", "imported", "registered"]
    runtime: Literal["sklearn", "onnxruntime", "external"]
    calibration: CalibrationMap | None
    error: str | None


class NumericFeatureReference(BaseModel):
    name: str
    kind: Literal["numeric"]
    edges: list[float]
    proportions: list[float]
    missing: bool = Field(
        False, description="true: one more proportion, last, is the share of missing values"
    )


class CategoricalFeatureReference(BaseModel):
    name: str
    kind: Literal["categorical"]
    categories: list[Any]
    proportions: list[float]


class Reference(BaseModel):
    features: list[
        Annotated[
            NumericFeatureReference | CategoricalFeatureReference, Field(discriminator="kind")
        ]
    ]


class Job(BaseModel):
    job_id: str
    model_id: str
    state: Literal["queued", "running", "completed", "failed"]
    stage: str
    progress: float
    details: str
    error: str | None
    created_at: str
    finished_at: str | None


class Latency(BaseModel):
    p50: float | None
    p95: float | None
    p99: float | None


class Interval(BaseModel):
    low: float
    high: float


class ConfusionMatrix(BaseModel):
    classes: list[Any]
    matrix: list[list[int]]


class LabelDelaySeconds(BaseModel):
    p50: float
    p95: float


class FeatureDriftOut(BaseModel):
    name: str
    kind: Literal["numeric", "categorical"]
    psi: float
    level: Literal["none", "moderate", "significant"]


class Drift(BaseModel):
    score: float
    features: list[FeatureDriftOut]


class RealtimeMetrics(BaseModel):
    model_id: str
    status: str
    model_health: str
    total_predictions: int
    predictions_per_minute: int
    current_accuracy: float | None
    accuracy_window: int
    accuracy_interval: Interval | None
    estimated_accuracy: float | None
    estimate_gap: float | None
    confusion: ConfusionMatrix | None
    label_coverage: float | None
    label_delay_seconds: LabelDelaySeconds | None
    latency_ms: Latency
    error_rate: float | None
    drift_score: float | None
    drift: Drift | None
    health_reason: str
    uptime_seconds: float | None
    trend: dict[str, Literal["up", "down", "flat"]]
    computed_at: str
    stale: bool


class HistoryPoint(BaseModel):
    timestamp: str
    predictions_per_minute: int
    current_accuracy: float | None
    accuracy_interval: Interval | None
    estimated_accuracy: float | None
    latency_p95_ms: float | None
    error_rate: float | None
    drift_score: float | None
    model_health: Literal["unknown", "healthy", "warning", "critical"]


class MetricsHistory(BaseModel):
    model_id: str
    step_seconds: float
    points: list[HistoryPoint]


class LoggedPrediction(BaseModel):
    prediction_id: str
    model_id: str
    model_version: int
    timestamp: str
    input_hash: str | None
    features: list[FeatureValue] | None
    prediction: Any
    probabilities: dict[str, float] | None
    latency_ms: float | None
    label: Any
    labelled_at: str | None
    error: str | None


class PredictionHistory(BaseModel):
    model_id: str
    predictions: list[LoggedPrediction]


class ActiveStatus(BaseModel):
    active_model: Model | None
    status: str | None
    health: str | None
    uptime_seconds: float | None
    metrics: RealtimeMetrics | None


class SystemStatus(BaseModel):
    cpu_percent: float
    memory_percent: float
    disk_percent: float
    active_connections: int
    system_health: str


class RealTimeSummary(BaseModel):
    predictions_per_minute: int
    live_accuracy: float | None
    accuracy_window: int
    estimated_accuracy: float | None
    latency_ms: Latency | None
    error_rate: float | None
    total_predictions: int
    model_health: str | None
    model_uptime: str | None
    stale: bool


class SystemOverview(BaseModel):
    active_model: Model | None
    system_status: SystemStatus
    real_time_metrics: RealTimeSummary
    pipeline: dict[str, Any]
    timestamp: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: str
    bus: str
    version: str


class NumericFeature(BaseModel):
    """A numeric input of a model or column of a dataset."""

    name: str
    kind: Literal["numeric"]


class CategoricalFeature(BaseModel):
    """A categorical input: ``categories`` are the values seen in training (``null`` for an
    imported model that does not carry them)."""

    name: str
    kind: Literal["categorical"]
    categories: list[StrictInt | StrictStr] | None = None


FeatureDescription = Annotated[NumericFeature | CategoricalFeature, Field(discriminator="kind")]


class Dataset(BaseModel):
    name: str
    source: Literal["builtin", "upload"]
    rows: int
    target: str
    classes: list[StrictInt | StrictStr]
    features: list[FeatureDescription]
    dropped_rows: int
    created_at: str | None


class DatasetRows(BaseModel):
    name: str
    feature_names: list[str]
    rows: list[list[FiniteFloat | StrictStr | None]]
    labels: list[StrictInt | StrictStr]


class RegisterRequest(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", examples=["churn-prod"])
    features: list[StrictStr | FeatureDescription] | None = Field(
        None,
        min_length=1,
        description="the model's inputs: names (numeric) or {name, kind, categories?}; "
        "taken from reference_dataset when left out",
        examples=[[{"name": "tenure", "kind": "numeric"}, {"name": "plan", "kind": "categorical"}]],
    )
    classes: list[Label] | None = Field(
        None,
        min_length=2,
        description="the labels the model predicts; taken from reference_dataset when left out",
        examples=[["churn", "stay"]],
    )
    reference_dataset: str | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="a dataset (GET /api/datasets) whose rows are the drift reference",
        examples=["iris"],
    )


PREDICTION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"


class LoggedRecordIn(_Strict):
    """One prediction made elsewhere."""

    features: Features = Field(examples=[{"tenure": 12.0, "plan": "basic"}])
    prediction: Label
    probabilities: dict[str, Annotated[FiniteFloat, Field(ge=0.0, le=1.0)]] | None = Field(
        None,
        description="keyed by class, as predict responses are",
        examples=[{"churn": 0.2, "stay": 0.8}],
    )
    latency_ms: Annotated[FiniteFloat, Field(ge=0.0)] | None = Field(
        None, description="what the caller measured around its model call"
    )
    label: Label | None = None
    prediction_id: str | None = Field(
        None,
        pattern=PREDICTION_ID_PATTERN,
        description="the caller's own id (default: generated); the same id again is a no-op",
    )
    timestamp: datetime | None = Field(
        None,
        description="when the prediction was made: ISO-8601 (UTC when no offset is given) or "
        "unix seconds; default now; at most 5 minutes ahead, no older than the retention",
    )


class LogPredictionsRequest(_Strict):
    records: list[LoggedRecordIn] = Field(min_length=1, max_length=1000)


class LoggedIds(BaseModel):
    prediction_ids: list[str]
    logged: int = Field(description="how many records were new (the rest were logged before)")


class FeedbackItem(_Strict):
    prediction_id: str = Field(min_length=1, max_length=128)
    label: Any = Field(description="one of the model's classes (anything else is `invalid`)")


class BatchFeedbackRequest(_Strict):
    labels: list[FeedbackItem] = Field(min_length=1, max_length=1000)


class FeedbackItemResult(BaseModel):
    prediction_id: str
    status: Literal["accepted", "unchanged", "conflict", "not_found", "invalid"]
    message: str | None = None


class BatchFeedback(BaseModel):
    results: list[FeedbackItemResult]

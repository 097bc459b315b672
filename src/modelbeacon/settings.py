"""Typed configuration, read once from the environment (prefix ``MODELBEACON_``) and ``.env``.

No other module reads ``os.environ``: the app factory takes a ``Settings`` and hands the
values down, so tests build as many differently-configured apps as they like.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from modelbeacon.metrics import HealthPolicy


@dataclass(frozen=True, slots=True)
class ClientConfig(HealthPolicy):
    """What ``/api/config`` and the ``snapshot`` event serve: the health policy plus every other
    threshold and interval the dashboard judges and schedules by."""

    resource_warning_percent: float
    resource_critical_percent: float
    system_interval: float
    metrics_interval: float
    prediction_interval: float


_Policy = TypeVar("_Policy", bound=HealthPolicy)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Every knob of a modelbeacon process. Field names are the environment names, lower-cased,
    except where a field names its unit and the environment name (fixed by the contract) does
    not: ``history_step_seconds`` is ``MODELBEACON_HISTORY_STEP``. Both names are accepted.

    This is the one definition of every threshold and its default: the health policy is built
    from it (``health_policy``), and the dashboard receives the same values through
    ``/api/config`` (``client_config``).
    """

    model_config = SettingsConfigDict(
        env_prefix="MODELBEACON_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        # A field with an alias must still be settable by its name: with extra="ignore",
        # Settings(history_step_seconds=...) would otherwise be dropped without a word.
        validate_by_name=True,
    )

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    database_url: str = "sqlite:///./modelbeacon.db"
    redis_url: str | None = None
    artifact_dir: Path = Path("./artifacts")

    system_interval: float = Field(5.0, gt=0)
    metrics_interval: float = Field(5.0, ge=0.1)
    prediction_interval: float = Field(0.5, ge=0.05)

    accuracy_warning: float = Field(0.85, gt=0, le=1)
    accuracy_critical: float = Field(0.80, gt=0, le=1)
    min_labelled: int = Field(20, ge=1, le=100)
    latency_p95_warning_ms: float = Field(250.0, gt=0)
    latency_p95_critical_ms: float = Field(1000.0, gt=0)
    error_rate_warning: float = Field(0.05, gt=0, le=1)
    error_rate_critical: float = Field(0.20, gt=0, le=1)
    resource_warning_percent: float = Field(85.0, gt=0, le=100)
    resource_critical_percent: float = Field(95.0, gt=0, le=100)

    retention_days: int = Field(30, ge=1)
    # One metrics-history point per step per deployed model, kept history_hours. The step is
    # at most 5 s (DESIGN.md section 4): a 15-minute chart opens with 180 points or more.
    history_step_seconds: float = Field(
        5.0, ge=0.1, le=5.0, validation_alias="MODELBEACON_HISTORY_STEP"
    )
    history_hours: int = Field(24, ge=1)
    api_keys: Annotated[frozenset[str], NoDecode] = frozenset()

    max_batch_size: int = Field(1000, ge=1)
    max_body_bytes: int = Field(1_048_576, ge=1024)
    # uploaded CSVs and imported model files (POST /api/datasets, POST /api/models/import)
    max_upload_bytes: int = Field(50 * 1_048_576, ge=1024)
    log_flush_interval: float = Field(0.1, gt=0)
    log_flush_rows: int = Field(500, ge=1)
    training_workers: int = Field(1, ge=1)
    predict_workers: int = Field(4, ge=1, le=64)

    ws_send_timeout: float = Field(5.0, gt=0)
    ws_queue_size: int = Field(256, ge=16)
    upkeep_interval: float = Field(30.0, gt=0)
    retention_interval: float = Field(3600.0, gt=0)
    memory_limit_mb: int = Field(2048, ge=64)

    feature_realtime_metrics: bool = True
    feature_prediction_events: bool = True

    @model_validator(mode="before")
    @classmethod
    def _split_api_keys(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("api_keys"), str):
            raw: str = data["api_keys"]
            data = {**data, "api_keys": frozenset(k.strip() for k in raw.split(",") if k.strip())}
        return data

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        self.health_policy()  # HealthPolicy refuses thresholds in the wrong order
        if self.resource_critical_percent < self.resource_warning_percent:
            raise ValueError(
                "MODELBEACON_RESOURCE_CRITICAL_PERCENT must not be below "
                "MODELBEACON_RESOURCE_WARNING_PERCENT"
            )
        if not _is_loopback(self.host) and not self.api_keys:
            raise ValueError(
                f"refusing to bind {self.host!r} without MODELBEACON_API_KEYS: "
                "set API keys or bind 127.0.0.1"
            )
        return self

    def health_policy(self) -> HealthPolicy:
        """The model health policy these settings configure (one field per policy field)."""
        return self._fill(HealthPolicy)

    def client_config(self) -> ClientConfig:
        """The dashboard's copy of the thresholds and intervals, so it colours a number exactly
        where the server changes its verdict."""
        return self._fill(ClientConfig)

    def _fill(self, kind: type[_Policy]) -> _Policy:
        """``kind`` built from the settings of the same names as its fields."""
        return kind(**{field.name: getattr(self, field.name) for field in dataclasses.fields(kind)})

"""Live metrics of deployed models: pure Python, no I/O, no asyncio.

The hot path is ``ModelMonitor.record_call`` (a few O(1) updates per prediction); everything
that sorts or scans runs in ``ModelMonitor.evaluate``/``snapshot``. Definitions of every
number: DESIGN.md section 3 and ``modelbeacon.metrics.trend``.
"""

from modelbeacon.metrics.calibration import Calibration
from modelbeacon.metrics.health import Health, HealthPolicy
from modelbeacon.metrics.latency import LatencyPercentiles
from modelbeacon.metrics.monitor import ModelMonitor
from modelbeacon.metrics.psi import DriftReference
from modelbeacon.metrics.records import LabelledOutcome, StatusTransition
from modelbeacon.metrics.snapshot import MetricsSnapshot
from modelbeacon.metrics.trend import TREND_METRICS, Trend
from modelbeacon.prediction import PredictionRecord

__all__ = [
    "TREND_METRICS",
    "Calibration",
    "DriftReference",
    "Health",
    "HealthPolicy",
    "LabelledOutcome",
    "LatencyPercentiles",
    "MetricsSnapshot",
    "ModelMonitor",
    "PredictionRecord",
    "StatusTransition",
    "Trend",
]

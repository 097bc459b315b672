"""Live numbers for readers: per-model snapshots, the active model, the machine.

``StatusAnnouncer`` is the one place a ``StatusTransition`` becomes a ``model_status_change``
event, so each transition is announced exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import psutil

from modelbeacon.events.types import MODEL_STATUS_CHANGE
from modelbeacon.metrics import MetricsSnapshot, StatusTransition
from modelbeacon.services.catalog import LiveModel, ModelCatalog
from modelbeacon.services.clock import Clock, format_uptime, iso
from modelbeacon.services.notify import EventSink
from modelbeacon.services.views import model_view

logger = logging.getLogger(__name__)


class StatusAnnouncer:
    def __init__(self, sink: EventSink) -> None:
        self._sink = sink

    def announce(self, transitions: Iterable[StatusTransition]) -> None:
        for t in transitions:
            logger.info(
                "model %s: %s/%s -> %s/%s (%s)",
                t.model_id,
                t.old_status,
                t.old_health,
                t.new_status,
                t.new_health,
                t.reason,
            )
            self._sink.emit(
                MODEL_STATUS_CHANGE,
                {
                    "model_id": t.model_id,
                    "old_status": t.old_status,
                    "new_status": t.new_status,
                    "old_health": t.old_health,
                    "new_health": t.new_health,
                    "reason": t.reason,
                },
                model_id=t.model_id,
            )


def _existing_ancestor(path: Path) -> Path:
    """The disk holding ``path``, even before the folder has been created."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


class SystemProbe:
    """CPU, memory and disk of the machine, with a coarse health verdict."""

    WARNING_PERCENT = 85.0
    CRITICAL_PERCENT = 95.0

    def __init__(self, disk_path: Path) -> None:
        self._disk_path = disk_path
        # The first cpu_percent(None) call only starts the measurement interval.
        psutil.cpu_percent(interval=None)

    def read(self, active_connections: int) -> dict[str, Any]:
        cpu = psutil.cpu_percent(interval=None)
        memory = psutil.virtual_memory().percent
        disk = psutil.disk_usage(str(_existing_ancestor(self._disk_path))).percent
        worst = max(cpu, memory, disk)
        if worst >= self.CRITICAL_PERCENT:
            health = "critical"
        elif worst >= self.WARNING_PERCENT:
            health = "warning"
        else:
            health = "healthy"
        return {
            "cpu_percent": cpu,
            "memory_percent": memory,
            "disk_percent": disk,
            "active_connections": active_connections,
            "system_health": health,
        }


class MonitoringService:
    def __init__(
        self,
        catalog: ModelCatalog,
        announcer: StatusAnnouncer,
        probe: SystemProbe,
        clock: Clock,
        connection_count: Callable[[], int],
    ) -> None:
        self._catalog = catalog
        self._announcer = announcer
        self._probe = probe
        self._clock = clock
        self._connection_count = connection_count

    def snapshot(self, live: LiveModel) -> MetricsSnapshot:
        """Fresh numbers for one model; announces any transition the evaluation found."""
        snapshot, transitions = live.monitor.evaluate(self._clock())
        self._announcer.announce(transitions)
        return snapshot

    def realtime(self, model_id: int) -> dict[str, Any]:
        return self.snapshot(self._catalog.get(model_id)).as_dict()

    def active_status(self) -> dict[str, Any]:
        if self._catalog.active_id is None:
            return {
                "active_model": None,
                "status": None,
                "health": None,
                "uptime_seconds": None,
                "metrics": None,
            }
        live = self._catalog.active()
        metrics = self.snapshot(live).as_dict()
        return {
            "active_model": model_view(live),
            "status": metrics["status"],
            "health": metrics["model_health"],
            "uptime_seconds": metrics["uptime_seconds"],
            "metrics": metrics,
        }

    def system(self) -> dict[str, Any]:
        status = self._probe.read(self._connection_count())
        active = None
        real_time: dict[str, Any] = {
            "predictions_per_minute": 0,
            "live_accuracy": None,
            "accuracy_window": 0,
            "estimated_accuracy": None,
            "latency_ms": None,
            "error_rate": None,
            "total_predictions": 0,
            "model_health": None,
            "model_uptime": None,
        }
        if self._catalog.active_id is not None:
            live = self._catalog.active()
            metrics = self.snapshot(live).as_dict()
            active = model_view(live)
            real_time = {
                "predictions_per_minute": metrics["predictions_per_minute"],
                "live_accuracy": metrics["current_accuracy"],
                "accuracy_window": metrics["accuracy_window"],
                "estimated_accuracy": metrics["estimated_accuracy"],
                "latency_ms": metrics["latency_ms"],
                "error_rate": metrics["error_rate"],
                "total_predictions": metrics["total_predictions"],
                "model_health": metrics["model_health"],
                "model_uptime": format_uptime(metrics["uptime_seconds"]),
            }
        return {
            "active_model": active,
            "system_status": status,
            "real_time_metrics": real_time,
            "timestamp": iso(self._clock()),
        }

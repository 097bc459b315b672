"""Self-monitoring of the live pipeline, reported under ``pipeline`` in
``/api/monitoring/system``: how long metric computation takes, what the WebSocket hub sends
(per type, per minute), what it drops or coalesces, queue depths, and the write-behind backlog.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from modelbeacon.events import BusPublisher, EventHub, HubStats
from modelbeacon.services.monitoring import MonitoringService
from modelbeacon.services.upkeep import Upkeep
from modelbeacon.storage.log_writer import LogWriter

RATE_WINDOW_SECONDS = 60.0


def _per_minute(
    now: Mapping[str, int], then: Mapping[str, int], elapsed: float
) -> dict[str, float]:
    return {k: round((v - then.get(k, 0)) * 60.0 / elapsed, 2) for k, v in now.items()}


class PipelineReporter:
    def __init__(
        self,
        monitoring: MonitoringService,
        hub: EventHub,
        publisher: BusPublisher,
        writer: LogWriter,
        upkeep: Upkeep,
    ) -> None:
        self._monitoring = monitoring
        self._hub = hub
        self._publisher = publisher
        self._writer = writer
        self._upkeep = upkeep
        self._samples: deque[tuple[float, HubStats]] = deque()

    def _rates(self, stats: HubStats) -> tuple[dict[str, float], dict[str, float]]:
        """Messages and bytes per minute per type, over (up to) the last minute."""
        now = time.monotonic()
        self._samples.append((now, stats))
        while len(self._samples) > 1 and now - self._samples[1][0] >= RATE_WINDOW_SECONDS:
            self._samples.popleft()
        since, base = self._samples[0]
        elapsed = now - since
        if elapsed < 1.0:
            return {}, {}
        return (
            _per_minute(stats.messages_sent, base.messages_sent, elapsed),
            _per_minute(stats.bytes_sent, base.bytes_sent, elapsed),
        )

    def report(self) -> dict[str, Any]:
        compute = self._monitoring.compute_stats()
        hub = self._hub.stats()
        messages_per_minute, bytes_per_minute = self._rates(hub)
        writer = self._writer.stats()
        return {
            "metric_computation": {
                "last_ms": compute.last_ms,
                "p95_ms": compute.p95_ms,
                "computations": compute.computations,
                "failures": compute.failures,
                "stale": compute.degraded,
            },
            "websocket": {
                "active_connections": hub.active_connections,
                "messages_sent": dict(hub.messages_sent),
                "bytes_sent": dict(hub.bytes_sent),
                "messages_per_minute": messages_per_minute,
                "bytes_per_minute": bytes_per_minute,
                "coalesced": hub.messages_coalesced,
                "dropped": hub.messages_dropped,
                "clients_dropped_slow": hub.clients_dropped_slow,
                "clients_dropped_overflow": hub.clients_dropped_overflow,
                "queue_depth_total": hub.total_queue_depth,
                "queue_depth_max": hub.max_queue_depth,
            },
            "event_bus": {
                "pending": self._publisher.pending,
                "published": self._publisher.published,
                "dropped": self._publisher.dropped,
                "failed": self._publisher.failed,
            },
            "prediction_log": {
                "pending_rows": writer.pending_rows,
                "pending_labels": writer.pending_labels,
                "written_rows": writer.written_rows,
                "failures": writer.failures,
                "last_error": writer.last_error,
            },
            "upkeep": {
                "recompute_mismatches": self._upkeep.recompute_mismatches,
                "rows_deleted": self._upkeep.rows_deleted,
                "memory_trims": self._upkeep.memory_trims,
            },
        }

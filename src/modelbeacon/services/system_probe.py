"""``SystemProbe``: the machine under the server, as the ``system_metrics`` event reports it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil


def _existing_ancestor(path: Path) -> Path:
    """The disk holding ``path``, even before the folder has been created."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


class SystemProbe:
    """CPU, memory and disk of the machine, the process RSS, and a coarse health verdict.

    ``system_health`` is ``critical`` when the worst of CPU, memory and disk is above
    ``critical_percent``, ``warning`` above ``warning_percent`` or while the process RSS is
    over ``memory_limit_mb``, else ``healthy``. Like every threshold of the health policy, a
    value exactly at a threshold is on the good side (the dashboard's ``resourceLevel`` makes
    the same comparison, with the thresholds ``/api/config`` serves).
    """

    def __init__(
        self,
        disk_path: Path,
        memory_limit_mb: int,
        *,
        warning_percent: float,
        critical_percent: float,
    ) -> None:
        self._disk_path = disk_path
        self._memory_limit_bytes = memory_limit_mb * 1024 * 1024
        self._warning_percent = warning_percent
        self._critical_percent = critical_percent
        self._process = psutil.Process()
        # The first cpu_percent(None) call only starts the measurement interval.
        psutil.cpu_percent(interval=None)

    def over_memory_limit(self) -> bool:
        return bool(self._process.memory_info().rss > self._memory_limit_bytes)

    def read(self, active_connections: int) -> dict[str, Any]:
        cpu = psutil.cpu_percent(interval=None)
        memory = psutil.virtual_memory().percent
        disk = psutil.disk_usage(str(_existing_ancestor(self._disk_path))).percent
        worst = max(cpu, memory, disk)
        if worst > self._critical_percent:
            health = "critical"
        elif worst > self._warning_percent or self.over_memory_limit():
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

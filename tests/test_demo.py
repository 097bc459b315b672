"""``modelbeacon demo`` as a new user runs it: live numbers within seconds for the deployed
model and the one served elsewhere beside it, clean Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

pytestmark = pytest.mark.slow


def test_demo_shows_live_numbers_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELBEACON_")}
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "modelbeacon", "demo", "--port", str(port),
             "--data-dir", str(tmp_path / "demo-data"), "--rate", "600", "--seed", "3"],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            live: dict[str, object] = {}
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                try:
                    body = httpx.get(f"http://127.0.0.1:{port}/api/monitoring/system").json()
                except httpx.TransportError:
                    time.sleep(0.2)
                    continue
                live = body["real_time_metrics"]
                models = httpx.get(f"http://127.0.0.1:{port}/api/models").json()
                elsewhere = [m for m in models if m["name"] == "iris-elsewhere"]
                if (
                    body["active_model"] is not None
                    and body["active_model"]["status"] in ("active", "degraded")
                    and live["predictions_per_minute"]
                    and live["live_accuracy"] is not None
                    and elsewhere
                    and elsewhere[0]["total_predictions"] > 0
                ):
                    break
                time.sleep(0.5)
            else:
                raise AssertionError(f"no live numbers within 90 s: {live}\n{log.read_text()}")
            # The model served elsewhere beside the deployed one, both with traffic.
            assert len(models) == 2, models
            served = next(m for m in models if m["source"] == "trained")
            assert served["status"] in ("active", "degraded") and served["total_predictions"] > 0
            assert elsewhere[0]["source"] == "registered"
            assert elsewhere[0]["status"] in ("monitored", "degraded")
            page = httpx.get(f"http://127.0.0.1:{port}/")
            assert page.status_code == 200 and "Live System Status" in page.text

            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"no exit 60 s after Ctrl-C:\n{log.read_text()}") from None
            assert code == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log.read_text()
    assert f"http://127.0.0.1:{port}/" in output
    assert "summary" in output and "predictions ok" in output
    assert "summary of iris-elsewhere" in output and "predictions logged" in output
    assert "Traceback" not in output, output
    # Everything the demo served was flushed to its SQLite database.
    assert (tmp_path / "demo-data" / "modelbeacon.db").stat().st_size > 0

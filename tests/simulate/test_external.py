"""The simulated model served elsewhere against a real ``modelbeacon serve``: registered once,
its local predictions logged in batches with its own latencies, its labels batched later."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from modelbeacon.cli import app
from modelbeacon.client import AsyncClient
from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.external import run_external_simulation
from tests.support import ServerProcess
from tests.tables import SPECIES, penguins_csv

pytestmark = pytest.mark.slow


def _quick(url: str, **overrides: Any) -> SimulationConfig:
    values: dict[str, Any] = {
        "url": url,
        "rate": 900.0,
        "drift_every": 0.0,
        "label_share": 1.0,
        "min_label_delay": 0.2,
        "max_label_delay": 1.0,
        "seed": 5,
    }
    values.update(overrides)
    return SimulationConfig(**values)


def _model_named(url: str, name: str) -> list[dict[str, Any]]:
    return [m for m in httpx.get(f"{url}/api/models").json() if m["name"] == name]


async def test_external_logs_local_predictions_and_their_labels(
    shared_server: ServerProcess,
) -> None:
    url = shared_server.url
    out = io.StringIO()
    config = _quick(url, duration=4.0, external_name="iris-elsewhere-logged")
    summary = await run_external_simulation(config, console=Console(file=out, width=200))

    text = out.getvalue()
    assert summary.external_model is not None and summary.error_total == 0, text
    assert summary.requests_sent >= 20 and summary.abandoned == 0, summary
    assert summary.predictions_ok == summary.requests_sent
    labelled = summary.labels_inline + summary.labels_feedback
    assert labelled + summary.labels_dropped == summary.predictions_ok
    assert summary.labels_feedback > 0 and summary.labels_inline > 0
    assert sum(summary.label_errors.values()) == 0
    assert "predictions logged" in "\n".join(summary.lines())
    [model] = _model_named(url, "iris-elsewhere-logged")
    assert model["status"] == "monitored" and model["source"] == "registered"
    assert model["dataset"] == "iris" and model["total_predictions"] == summary.predictions_ok
    assert "registered iris-elsewhere-logged v1" in text

    async with httpx.AsyncClient(base_url=url) as http:
        mid = model["id"]
        realtime = (await http.get(f"/api/models/{mid}/metrics/realtime")).json()
        history = (await http.get(f"/api/models/{mid}/predictions", params={"limit": 1000})).json()[
            "predictions"
        ]
    assert realtime["error_rate"] is None
    assert realtime["accuracy_window"] == min(100, labelled) > 0
    assert realtime["current_accuracy"] > 0.8
    latencies = [row["latency_ms"] for row in history]
    assert len(latencies) == summary.predictions_ok and all(v > 0 for v in latencies)
    assert min(latencies) <= realtime["latency_ms"]["p50"] <= max(latencies)
    assert {str(c) for c in history[0]["probabilities"]} == {"0", "1", "2"}

    # A second run logs to the same model instead of registering another version.
    again = await run_external_simulation(
        _quick(url, max_requests=10, external_name="iris-elsewhere-logged")
    )
    assert again.predictions_ok == 10
    [model] = _model_named(url, "iris-elsewhere-logged")
    assert model["version"] == 1
    assert model["total_predictions"] == summary.predictions_ok + 10


async def test_external_on_an_uploaded_mixed_dataset(
    shared_server: ServerProcess, tmp_path: Path
) -> None:
    url = shared_server.url
    async with AsyncClient(url, timeout=30) as client:
        csv = penguins_csv(tmp_path / "penguins.csv")
        await client.upload_dataset(csv, "species", name="penguins_elsewhere")
    # Drift every second: swapped categories and shifted numbers go to the local model too.
    config = _quick(
        url, dataset="penguins_elsewhere", max_requests=80, drift_every=1.0, drift_duration=0.5
    )
    out = io.StringIO()
    summary = await run_external_simulation(config, console=Console(file=out, width=200))

    assert summary.predictions_ok == summary.requests_sent == 80, out.getvalue()
    assert summary.error_total == 0 and sum(summary.label_errors.values()) == 0
    assert "island, sex swapped to the rarest category" in out.getvalue()
    [model] = _model_named(url, "penguins_elsewhere-elsewhere")
    history = httpx.get(
        f"{url}/api/models/{model['id']}/predictions", params={"limit": 100}
    ).json()["predictions"]
    assert len(history) == 80 and {row["prediction"] for row in history} <= set(SPECIES)
    assert {row["label"] for row in history} <= set(SPECIES)


def test_cli_with_external_drives_both_models(shared_server: ServerProcess) -> None:
    args = [
        *("simulate", "--url", shared_server.url, "--with-external", "--rate", "1200"),
        *("--max-requests", "30", "--external-name", "iris-beside", "--retrain-every", "0"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "predictions ok     30" in result.output
    assert "summary of iris-beside" in result.output
    assert "predictions logged 15" in result.output  # half the traffic beside the served one
    [model] = _model_named(shared_server.url, "iris-beside")
    assert model["status"] == "monitored" and model["total_predictions"] == 15

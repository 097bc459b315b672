"""The external run's counts when a log batch fails, against a fake server (httpx
``MockTransport``) that refuses the first batch of logged predictions."""

from __future__ import annotations

import json
from typing import Any

import httpx

from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.external import run_external_simulation
from tests.support import IRIS_ROWS


class FakeServer:
    """The five routes an external run calls; ``failing_batches`` log batches get a 503."""

    def __init__(self, failing_batches: int) -> None:
        self.failing_batches = failing_batches
        self.logged: dict[str, dict[str, Any]] = {}
        self.feedback: dict[str, Any] = {}
        self.statuses: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if (method, path) == ("GET", "/api/datasets/iris/rows"):
            return httpx.Response(200, json=_rows())
        if (method, path) == ("GET", "/api/models"):
            return httpx.Response(200, json=[])
        if (method, path) == ("POST", "/api/models/register"):
            return httpx.Response(201, json={"id": "7", "version": 1, "status": "monitored"})
        if (method, path) == ("POST", "/api/models/7/predictions"):
            if self.failing_batches:
                self.failing_batches -= 1
                error = {"code": "unavailable", "message": "database is down"}
                return httpx.Response(503, json={"error": error})
            records = json.loads(request.content)["records"]
            self.logged.update((r["prediction_id"], r) for r in records)
            return httpx.Response(201, json={"logged": len(records)})
        if (method, path) == ("POST", "/api/feedback"):
            results = []
            for item in json.loads(request.content)["labels"]:
                known = item["prediction_id"] in self.logged
                status = "accepted" if known else "not_found"
                if known:
                    self.feedback[item["prediction_id"]] = item["label"]
                self.statuses.append(status)
                results.append({"prediction_id": item["prediction_id"], "status": status})
            return httpx.Response(200, json={"results": results})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})


def _rows() -> dict[str, Any]:
    return {
        "name": "iris",
        "feature_names": ["sl", "sw", "pl", "pw"],
        "rows": [row for row, _ in IRIS_ROWS],
        "labels": [label for _, label in IRIS_ROWS],
    }


async def test_external_counts_a_refused_batch_and_drops_the_labels_of_its_records() -> None:
    server = FakeServer(failing_batches=1)
    config = SimulationConfig(
        url="http://fake",
        rate=3000.0,
        max_requests=60,
        drift_every=0.0,
        label_share=1.0,
        inline_share=0.3,
        min_label_delay=0.1,
        max_label_delay=0.3,
        seed=1,
    )
    summary = await run_external_simulation(config, transport=httpx.MockTransport(server))

    refused = summary.errors["5xx"]
    assert refused > 0 and summary.error_total == refused, summary
    assert summary.predictions_ok == len(server.logged) == 60 - refused
    assert summary.abandoned == 0
    # Every label went with a logged record or after it; none of a refused record was sent.
    inline = [r for r in server.logged.values() if "label" in r]
    assert summary.labels_inline == len(inline)
    assert summary.labels_feedback == len(server.feedback) and "not_found" not in server.statuses
    # Each label was logged, refused with its record (inline), or dropped with it (later).
    label_errors = summary.label_errors["5xx"]
    assert label_errors == sum(summary.label_errors.values()) and label_errors > 0
    assert summary.labels_dropped == refused - label_errors
    sent = summary.labels_inline + summary.labels_feedback
    assert sent + label_errors + summary.labels_dropped == 60
    record = next(iter(server.logged.values()))
    assert set(record["probabilities"]) == {"0", "1", "2"} and record["latency_ms"] > 0
    assert isinstance(record["prediction"], int) and "timestamp" in record

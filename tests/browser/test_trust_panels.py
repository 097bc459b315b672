"""The dashboard's trust panels against a real ``modelbeacon serve``: what the page draws is
what the REST API says (history, interval, estimate gap, confusion, coverage, delay, drift,
recent predictions), and a drift episode shows on the page without a reload."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.async_api import Page, expect

from modelbeacon.registry import load_dataset
from tests.browser.conftest import screenshot
from tests.support import IRIS_ROWS, ServerProcess, running_server, train_on_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    # Fast pushes and a short history step so the charts have points within seconds.
    with running_server(
        tmp_path,
        metrics_interval=0.2,
        prediction_interval=0.1,
        system_interval=0.5,
        history_step=0.5,
    ) as process:
        yield process


def _predict(
    url: str,
    count: int,
    *,
    wrong_every: int = 0,
    shift: float = 0.0,
    rows: list[tuple[list[float], int]] = IRIS_ROWS,
) -> None:
    """``count`` predictions of ``rows`` in turn with inline labels; every ``wrong_every``-th
    label is wrong; ``shift`` is added to the petal length and width (iris' last two
    features)."""
    with httpx.Client(base_url=url) as client:
        for i in range(count):
            features, truth = rows[i % len(rows)]
            features = [*features[:2], features[2] + shift, features[3] + shift]
            wrong = wrong_every and i % wrong_every == 0
            label = (truth + 1) % 3 if wrong else truth
            response = client.post("/api/predict", json={"features": features, "label": label})
            assert response.status_code == 200, response.text


async def _attribute(page: Page, selector: str, name: str = "data-value") -> str:
    value = await page.locator(selector).first.get_attribute(name)
    assert value is not None, f"{selector} has no {name}"
    return value


async def _wait_value(page: Page, selector: str, expected: Any, name: str = "value") -> None:
    await page.wait_for_function(
        """([selector, name, expected]) => {
            const el = document.querySelector(selector);
            return el !== null && el.dataset[name] !== "" && Number(el.dataset[name]) === expected;
        }""",
        arg=[selector, name, expected],
        timeout=15_000,
    )


async def test_charts_open_drawn_from_the_server_history(page: Page, server: ServerProcess) -> None:
    model_id = train_on_server(server.url, deploy=True)["id"]
    _predict(server.url, 40)
    time.sleep(3)  # several history steps
    history = httpx.get(f"{server.url}/api/models/{model_id}/metrics/history?seconds=900").json()
    assert len(history["points"]) >= 3
    await page.goto(server.url)
    for name in ("accuracy", "ppm", "latency", "drift"):
        # Drawn from the history at once, then one more per pushed step.
        await page.wait_for_function(
            "([n, least]) => Number(document.querySelector(`[data-chart='${n}']`)"
            ".dataset.points) >= least",
            arg=[name, len(history["points"])],
            timeout=10_000,
        )
    # The recent-predictions table opens from the log too, with no new traffic.
    logged = httpx.get(f"{server.url}/api/models/{model_id}/predictions?limit=20").json()
    rows = page.locator('[data-testid="recent-predictions"] tbody tr')
    await expect(rows).to_have_count(20)
    ids = await rows.evaluate_all("rows => rows.map(r => r.dataset.predictionId)")
    assert ids == [p["prediction_id"] for p in logged["predictions"]]
    await screenshot(page, "live-history")


async def test_page_evidence_equals_the_rest_numbers(page: Page, server: ServerProcess) -> None:
    model_id = train_on_server(server.url, deploy=True)["id"]
    await page.goto(server.url)
    await expect(page.get_by_test_id("connection-indicator")).to_have_attribute(
        "data-state", "open"
    )
    _predict(server.url, 150, wrong_every=5)
    time.sleep(0.5)  # the last pushes go out; the numbers are stable from here on
    rest = httpx.get(f"{server.url}/api/models/{model_id}/metrics/realtime").json()

    interval = rest["accuracy_interval"]
    await _wait_value(page, '[data-testid="metric-accuracy-interval"]', interval["low"], "low")
    await _wait_value(page, '[data-testid="metric-accuracy-interval"]', interval["high"], "high")
    await _wait_value(page, '[data-testid="metric-estimate-gap"]', rest["estimate_gap"])
    await _wait_value(page, '[data-testid="metric-label-coverage"]', rest["label_coverage"])
    delay = rest["label_delay_seconds"]
    await _wait_value(page, '[data-testid="metric-label-delay-p50"]', delay["p50"])
    await _wait_value(page, '[data-testid="metric-label-delay-p95"]', delay["p95"])

    await expect(page.get_by_test_id("health-reason")).to_have_attribute(
        "data-value", rest["health_reason"]
    )
    assert rest["health_reason"].startswith(f"accuracy {rest['current_accuracy']:.3f} [")

    cells = await page.locator('[data-testid="confusion-table"] td[data-predicted]').evaluate_all(
        "cells => cells.map(c => Number(c.dataset.value))"
    )
    assert cells == [count for row in rest["confusion"]["matrix"] for count in row]

    drift = rest["drift"]
    assert drift is not None, "150 predictions and a training reference give drift"
    expected = sorted(drift["features"], key=lambda f: (-f["psi"], f["name"]))
    rows = page.locator('[data-panel="drift"] tr[data-feature]')
    await expect(rows).to_have_count(len(expected))
    shown = await rows.evaluate_all("rows => rows.map(r => [r.dataset.feature, r.dataset.level])")
    assert shown == [[f["name"], f["level"]] for f in expected]
    await _wait_value(page, '[data-testid="drift-score"]', drift["score"])

    logged = httpx.get(f"{server.url}/api/models/{model_id}/predictions?limit=20").json()
    items = logged if isinstance(logged, list) else logged["predictions"]
    ids = await page.locator('[data-testid="recent-predictions"] tbody tr').evaluate_all(
        "rows => rows.map(r => r.dataset.predictionId)"
    )
    assert ids == [str(item["prediction_id"]) for item in items]
    await screenshot(page, "live-evidence")


async def test_a_gap_the_labels_contradict_is_said_in_words(
    page: Page, server: ServerProcess
) -> None:
    train_on_server(server.url, deploy=True)
    await page.goto(server.url)
    # Labels that contradict a confident model: accuracy far below its calibrated estimate.
    _predict(server.url, 100, wrong_every=2)
    verdict = page.get_by_test_id("estimate-verdict")
    await expect(verdict).to_have_attribute("data-level", "bad", timeout=15_000)
    await expect(verdict).to_contain_text("not to be trusted now")
    await expect(page.locator('[data-metric="estimated-accuracy"]')).to_have_class(
        re.compile(r"\bis-untrusted\b")
    )


async def test_a_drift_episode_turns_the_drifted_features_significant_live(
    page: Page, server: ServerProcess
) -> None:
    model_id = train_on_server(server.url, deploy=True)["id"]
    await page.goto(server.url)
    await expect(page.get_by_test_id("connection-indicator")).to_have_attribute(
        "data-state", "open"
    )
    # The whole dataset in a seeded order: inputs spread like the training split's.
    iris = load_dataset("iris")
    order = np.random.default_rng(7).permutation(iris.n_samples)
    inputs = [(iris.X[i].tolist(), int(iris.y[i])) for i in order]
    _predict(server.url, 150, rows=inputs)
    drifted = ("petal length (cm)", "petal width (cm)")
    rows = page.locator('[data-panel="drift"] tr[data-feature]')
    await expect(rows).to_have_count(4, timeout=15_000)
    for name in drifted:
        row = page.locator(f'[data-panel="drift"] tr[data-feature="{name}"]')
        await expect(row).not_to_have_attribute("data-level", "significant")

    _predict(server.url, 450, shift=3.0, rows=inputs)  # the window is then 3/4 drifted

    for name in drifted:
        row = page.locator(f'[data-panel="drift"] tr[data-feature="{name}"]')
        await expect(row).to_have_attribute("data-level", "significant", timeout=15_000)
    rest = httpx.get(f"{server.url}/api/models/{model_id}/metrics/realtime").json()
    levels = {f["name"]: f["level"] for f in rest["drift"]["features"]}
    assert [levels[name] for name in drifted] == ["significant", "significant"]
    # the top movers come first
    first = await rows.first.get_attribute("data-feature")
    assert first in drifted
    await screenshot(page, "live-drift-episode")

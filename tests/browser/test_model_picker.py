"""The model picker against a real ``modelbeacon serve``: it lists the deployed model and a
model served elsewhere, every panel follows the one chosen (numbers equal to REST, "served
elsewhere" where a served model shows its uptime), the choice survives a reload, and the
other model's events never overwrite the chosen model's numbers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot
from tests.support import IRIS_ROWS, ServerProcess, running_server, train_on_server

pytestmark = pytest.mark.slow

PICKER = 'select[data-role="model-picker"]'


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, dict[str, Any]]]:
    """One server with a deployed iris model for the module: starting a server and training
    take most of these tests' time. Each test registers its own model served elsewhere."""
    # Fast pushes and a short history step so the numbers and charts follow within a second.
    with running_server(
        tmp_path_factory.mktemp("picker"),
        metrics_interval=0.2,
        prediction_interval=0.1,
        system_interval=0.5,
        history_step=0.5,
    ) as process:
        yield process, train_on_server(process.url, deploy=True)


def _register(url: str, name: str) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/api/models/register", json={"name": name, "reference_dataset": "iris"}
    )
    assert response.status_code == 201, response.text
    model: dict[str, Any] = response.json()
    assert model["status"] == "monitored" and model["source"] == "registered"
    return model


def _realtime(url: str, model_id: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{url}/api/models/{model_id}/metrics/realtime").json()
    return body


def _serve(url: str, count: int) -> None:
    """``count`` predictions of the deployed model, all labelled right."""
    with httpx.Client(base_url=url) as client:
        for i in range(count):
            features, truth = IRIS_ROWS[i % len(IRIS_ROWS)]
            response = client.post("/api/predict", json={"features": features, "label": truth})
            assert response.status_code == 200, response.text


def _log_elsewhere(url: str, model_id: str, count: int, *, wrong_every: int) -> list[str]:
    """Log ``count`` predictions made elsewhere (every ``wrong_every``-th one wrong) with the
    latencies the caller measured, then label them with one feedback call."""
    records = []
    for i in range(count):
        features, truth = IRIS_ROWS[i % len(IRIS_ROWS)]
        prediction = (truth + 1) % 3 if i % wrong_every == 0 else truth
        probabilities = {str(c): 0.9 if c == prediction else 0.05 for c in range(3)}
        records.append(
            {
                "features": features,
                "prediction": prediction,
                "probabilities": probabilities,
                "latency_ms": 20.0 + i % 7,
            }
        )
    with httpx.Client(base_url=url) as client:
        logged = client.post(f"/api/models/{model_id}/predictions", json={"records": records})
        assert logged.status_code == 201, logged.text
        ids: list[str] = logged.json()["prediction_ids"]
        labels = [
            {"prediction_id": pid, "label": IRIS_ROWS[i % len(IRIS_ROWS)][1]}
            for i, pid in enumerate(ids)
        ]
        labelled = client.post("/api/feedback", json={"labels": labels})
        assert labelled.status_code == 200, labelled.text
        assert {r["status"] for r in labelled.json()["results"]} == {"accepted"}
    return ids


async def _value_equals(page: Page, test_id: str, expected: Any) -> None:
    """Wait until the element's raw data-value equals the REST number."""
    await page.wait_for_function(
        """([id, expected]) => {
            const el = document.querySelector(`[data-testid="${id}"]`);
            return el !== null && el.dataset.value !== "" && Number(el.dataset.value) === expected;
        }""",
        arg=[test_id, expected],
        timeout=10_000,
    )


async def test_the_picker_switches_every_panel_to_a_model_served_elsewhere_and_back(
    page: Page, deployed: tuple[ServerProcess, dict[str, Any]]
) -> None:
    server, served = deployed
    elsewhere = _register(server.url, "iris-elsewhere")
    _serve(server.url, 30)
    logged = _log_elsewhere(server.url, elsewhere["id"], 40, wrong_every=10)
    served_total = _realtime(server.url, served["id"])["total_predictions"]

    await page.goto(server.url)
    await expect(page.get_by_test_id("connection-indicator")).to_have_attribute(
        "data-state", "open"
    )
    picker = page.locator(PICKER)
    # Both listed, the deployed model shown by default.
    await expect(picker).to_have_attribute("data-value", served["id"])
    options = picker.locator("option")
    await expect(options).to_have_count(2)
    listed = await options.evaluate_all("os => os.map(o => [o.value, o.dataset.served])")
    assert listed == [[served["id"], "here"], [elsewhere["id"], "elsewhere"]]
    await expect(page.get_by_test_id("model-name")).to_have_text(served["name"])
    await _value_equals(page, "predictions-total", served_total)

    # Switch to the model served elsewhere: every panel follows it.
    await picker.select_option(elsewhere["id"])
    assert f"model={elsewhere['id']}" in page.url
    rest = _realtime(server.url, elsewhere["id"])
    assert rest["total_predictions"] == 40 and rest["error_rate"] is None
    await expect(page.get_by_test_id("model-name")).to_have_text("iris-elsewhere")
    await expect(page.get_by_test_id("model-served")).to_be_visible()
    await expect(page.get_by_test_id("model-uptime")).to_have_text("served elsewhere")
    await expect(page.get_by_test_id("model-status")).to_have_attribute(
        "data-value", rest["status"]
    )
    assert rest["status"] in ("monitored", "degraded")
    await _value_equals(page, "predictions-total", rest["total_predictions"])
    await _value_equals(page, "metric-accuracy", rest["current_accuracy"])
    await _value_equals(page, "metric-accuracy-window", rest["accuracy_window"])
    await _value_equals(page, "metric-latency-p95", rest["latency_ms"]["p95"])
    await expect(page.get_by_test_id("metric-error-rate")).to_have_attribute("data-value", "")
    await expect(page.locator('[data-metric="error-rate"] [data-role="sub"]')).to_contain_text(
        "served elsewhere"
    )
    await expect(page.locator('[data-metric="latency"] [data-role="sub"]')).to_contain_text(
        "measured by the caller"
    )
    cells = page.locator('[data-testid="confusion-table"] td[data-predicted]')
    await expect(cells).to_have_count(9)
    counts = await cells.evaluate_all("cs => cs.map(c => Number(c.dataset.value))")
    assert counts == [n for row in rest["confusion"]["matrix"] for n in row]
    rows = page.locator('[data-testid="recent-predictions"] tbody tr')
    await expect(rows).to_have_count(20)
    shown_ids = set(await rows.evaluate_all("rs => rs.map(r => r.dataset.predictionId)"))
    assert shown_ids <= set(logged)
    history = httpx.get(
        f"{server.url}/api/models/{elsewhere['id']}/metrics/history?seconds=900"
    ).json()
    assert history["points"], "a monitored model with traffic has history"
    await page.wait_for_function(
        "least => Number(document.querySelector(`[data-chart='accuracy']`).dataset.points)"
        " >= least",
        arg=len(history["points"]),
        timeout=10_000,
    )

    # The served model's traffic does not touch the numbers shown.
    _serve(server.url, 12)
    time.sleep(0.6)  # several metrics pushes of the served model
    await _value_equals(page, "predictions-total", 40)
    await _value_equals(page, "metric-accuracy", rest["current_accuracy"])
    await screenshot(page, "picker-served-elsewhere")
    await page.screenshot(path="/tmp/picker.png", full_page=True)

    # The choice survives a reload.
    await page.reload()
    await expect(page.locator(PICKER)).to_have_attribute("data-value", elsewhere["id"])
    await expect(page.get_by_test_id("model-uptime")).to_have_text("served elsewhere")
    await _value_equals(page, "predictions-total", 40)

    # And back to the served model, with its own numbers.
    await page.locator(PICKER).select_option(served["id"])
    served_rest = _realtime(server.url, served["id"])
    assert served_rest["total_predictions"] == served_total + 12
    await expect(page.get_by_test_id("model-name")).to_have_text(served["name"])
    await expect(page.get_by_test_id("model-served")).to_be_hidden()
    await expect(page.get_by_test_id("model-uptime")).not_to_have_text("served elsewhere")
    await _value_equals(page, "predictions-total", served_rest["total_predictions"])
    await _value_equals(page, "metric-accuracy", served_rest["current_accuracy"])
    await _value_equals(page, "metric-error-rate", served_rest["error_rate"])
    await expect(page.get_by_test_id("model-status")).to_have_attribute("data-value", "active")


async def test_a_model_registered_while_the_page_is_open_joins_the_picker_at_once(
    page: Page, deployed: tuple[ServerProcess, dict[str, Any]]
) -> None:
    server, served = deployed
    await page.goto(server.url)
    picker = page.locator(PICKER)
    await expect(picker).to_have_attribute("data-value", served["id"])
    await expect(picker).not_to_have_attribute("data-count", "0")
    model_id = _register(server.url, "late-arrival")["id"]
    # Registering is announced (model_registered): the page lists the model before any of its
    # predictions is logged (the periodic refresh is 30 s away), and keeps showing the
    # deployed model.
    await expect(picker.locator(f'option[value="{model_id}"]')).to_have_attribute(
        "data-served", "elsewhere", timeout=10_000
    )
    await expect(picker).to_have_attribute("data-value", served["id"])
    await expect(page.get_by_test_id("model-name")).to_have_text(served["name"])

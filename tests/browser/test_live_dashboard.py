"""The dashboard against a real ``modelbeacon serve``: every number is the server's, pushed live."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot
from tests.support import IRIS_ROWS, ServerProcess, server_environment, train_on_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    # Fast pushes so the page follows the server within a fraction of a second.
    return server_environment(
        tmp_path, metrics_interval=0.2, prediction_interval=0.1, system_interval=0.5
    )


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(server_env, tmp_path, tmp_path / "server.log")
    yield process
    process.stop(signal.SIGKILL)


def _predict(url: str, count: int, *, wrong: bool) -> None:
    with httpx.Client(base_url=url) as client:
        for i in range(count):
            features, truth = IRIS_ROWS[i % len(IRIS_ROWS)]
            label = (truth + 1) % 3 if wrong else truth
            response = client.post("/api/predict", json={"features": features, "label": label})
            assert response.status_code == 200, response.text


async def _value_equals(page: Page, test_id: str, expected: Any) -> None:
    """Wait until the element's raw data-value equals the REST number."""
    await page.wait_for_function(
        """([id, expected]) => {
            const el = document.querySelector(`[data-testid="${id}"]`);
            return el !== null && el.dataset.value !== "" && Number(el.dataset.value) === expected;
        }""",
        arg=[test_id, expected],
        timeout=15_000,
    )


async def test_page_numbers_equal_the_rest_numbers(page: Page, server: ServerProcess) -> None:
    await page.goto(server.url)
    await expect(page.get_by_test_id("connection-indicator")).to_have_attribute(
        "data-state", "open"
    )
    model_id = train_on_server(server.url, deploy=True)["id"]
    await expect(page.get_by_test_id("training-stage")).to_have_attribute("data-value", "ready")
    await expect(page.get_by_test_id("model-name")).to_have_text("iris-lr")
    _predict(server.url, 60, wrong=False)

    time.sleep(0.3)  # let the last pushes go out; the numbers are stable from here on
    rest = httpx.get(f"{server.url}/api/models/{model_id}/metrics/realtime").json()
    assert rest["total_predictions"] == 60
    await _value_equals(page, "predictions-total", rest["total_predictions"])
    await _value_equals(page, "metric-ppm", rest["predictions_per_minute"])
    await _value_equals(page, "metric-accuracy", rest["current_accuracy"])
    await _value_equals(page, "metric-accuracy-window", rest["accuracy_window"])
    await expect(page.get_by_test_id("model-status")).to_have_attribute("data-value", "active")
    await screenshot(page, "live-healthy")


async def test_accuracy_below_80_turns_the_badge_degraded_without_a_reload(
    page: Page, server: ServerProcess
) -> None:
    model_id = train_on_server(server.url, deploy=True)["id"]
    _predict(server.url, 30, wrong=False)
    await page.goto(server.url)
    await page.evaluate("window.__noReload = true")
    badge = page.get_by_test_id("model-status")
    await expect(badge).to_have_attribute("data-value", "active")

    _predict(server.url, 12, wrong=True)  # 30 right, 12 wrong: 71% < 80%
    time.sleep(0.2)  # past the contract's 100 ms read-after-write bound
    status = httpx.get(f"{server.url}/api/models/{model_id}/metrics/realtime").json()
    assert status["status"] == "degraded" and status["model_health"] == "critical"
    await expect(badge).to_have_attribute("data-value", "degraded", timeout=15_000)
    accuracy = page.get_by_test_id("metric-accuracy")
    await expect(accuracy).to_have_attribute("data-level", "bad")
    colour = await badge.evaluate("el => getComputedStyle(el).color")
    red, green = (int(c) for c in colour[colour.index("(") + 1 :].split(",")[:2])
    assert red > 150 and red > 2 * green, f"degraded badge is not red: {colour}"
    assert await page.evaluate("window.__noReload === true"), "the page reloaded"
    await screenshot(page, "live-degraded")


async def test_losing_the_server_shows_a_notice_that_clears_on_recovery(
    page: Page, server: ServerProcess, server_env: dict[str, str], tmp_path: Path
) -> None:
    train_on_server(server.url, deploy=True)
    await page.goto(server.url)
    notice = page.get_by_test_id("connection-notice")
    await expect(page.get_by_test_id("connection-indicator")).to_have_attribute(
        "data-state", "open"
    )
    await expect(notice).to_be_hidden()

    assert server.stop() == 0
    await expect(notice).to_be_visible(timeout=15_000)
    await expect(page.get_by_test_id("metrics-grid")).to_have_class(re.compile("is-disconnected"))
    await screenshot(page, "live-disconnected")

    restarted = ServerProcess(server_env, tmp_path, tmp_path / "server2.log", port=server.port)
    try:
        await expect(notice).to_be_hidden(timeout=45_000)
        await expect(page.get_by_test_id("connection-indicator")).to_have_attribute(
            "data-state", "open"
        )
        await screenshot(page, "live-recovered")
    finally:
        restarted.stop()

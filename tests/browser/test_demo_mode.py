"""``/?demo=1`` renders every section with no backend at all."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from modelbeacon.app import WEB_DIR
from tests.browser.conftest import screenshot


@pytest.fixture
def static_only(tmp_path: Path) -> Iterator[str]:
    """A plain file server with the page's files and nothing else: no /api, no /ws."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "static").symlink_to(WEB_DIR, target_is_directory=True)
    shutil.copy(WEB_DIR / "index.html", root / "index.html")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


async def test_demo_mode_renders_every_section_without_a_server(
    page: Page, static_only: str
) -> None:
    api_calls: list[str] = []
    page.on("request", lambda r: api_calls.append(r.url) if "/api/" in r.url else None)
    await page.goto(f"{static_only}/?demo=1&seed=7&speed=20")
    indicator = page.get_by_test_id("connection-indicator")
    await expect(indicator).to_have_attribute("data-state", "demo")
    for test_id in ("model-name", "model-version", "last-trained", "predictions-total"):
        await expect(page.get_by_test_id(test_id)).not_to_be_empty()
    await expect(page.get_by_test_id("model-status")).to_have_attribute(
        "data-value", "active", timeout=15_000
    )
    for test_id in (
        "metric-accuracy",
        "metric-estimated-accuracy",
        "metric-ppm",
        "metric-latency-p95",
        "metric-error-rate",
        "metric-cpu",
        "metric-memory",
        "metric-disk",
        "metric-connections",
    ):
        await expect(page.get_by_test_id(test_id)).not_to_have_attribute("data-value", "")
    await expect(page.get_by_test_id("training-stage")).not_to_be_empty()
    await expect(page.get_by_test_id("chart-status")).to_have_attribute("data-state", "ready")
    await expect(page.get_by_test_id("model-row").first).to_be_visible()
    stats = page.get_by_test_id("render-stats")
    await expect(stats).not_to_have_attribute("data-count", "0")
    await screenshot(page, "demo-mode")
    assert api_calls == [], "demo mode must not call the API"


# The interval's separator on the page: an en dash, as in "[76.7%\u201390.7%]".
DASH = "\u2013"


async def _number(page: Page, selector: str, attribute: str = "data-value") -> float:
    value = await page.locator(selector).first.get_attribute(attribute)
    assert value not in (None, ""), f"{selector} has no {attribute}"
    return float(value)


async def test_demo_mode_opens_with_the_evidence_behind_the_accuracy(
    page: Page, static_only: str
) -> None:
    """The demo opens in its drift episode: every chart drawn from 15 minutes of history, the
    accuracy's interval, the estimate flagged, drifted features, confusion, labels, predictions."""
    await page.goto(f"{static_only}/?demo=1&seed=42")
    for name in ("accuracy", "ppm", "latency", "drift"):
        # 15 minutes of 5 s points, drawn before any live update arrives.
        await page.wait_for_function(
            "n => Number(document.querySelector(`[data-chart='${n}']`).dataset.points) >= 170",
            arg=name,
        )
    await expect(page.locator('[data-chart="accuracy"] .u-legend')).to_contain_text("95% interval")

    interval = page.get_by_test_id("metric-accuracy-interval")
    await expect(interval).to_have_text(re.compile(rf"^\[\d+\.\d%{DASH}\d+\.\d%\]$"))
    low = await _number(page, '[data-testid="metric-accuracy-interval"]', "data-low")
    high = await _number(page, '[data-testid="metric-accuracy-interval"]', "data-high")
    accuracy = await _number(page, '[data-testid="metric-accuracy"]')
    assert low <= accuracy <= high
    assert await interval.text_content() == f"[{low * 100:.1f}%{DASH}{high * 100:.1f}%]"

    verdict = page.get_by_test_id("estimate-verdict")
    await expect(verdict).to_have_attribute("data-level", "bad")
    await expect(verdict).to_contain_text("points above realised accuracy")
    await expect(verdict).to_contain_text("not to be trusted now")
    assert await _number(page, '[data-testid="metric-estimate-gap"]') > 0.05

    rows = page.locator('[data-panel="drift"] tr[data-feature]')
    await expect(rows).to_have_count(4)
    levels = [await row.get_attribute("data-level") for row in await rows.all()]
    assert set(levels) <= {"none", "moderate", "significant"} and "significant" in levels
    psi = [
        float(v)
        for v in await rows.locator('[data-col="psi"]').evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
    ]
    assert psi == sorted(psi, reverse=True), "top movers first"
    assert await _number(page, '[data-testid="drift-score"]') == psi[0]
    await expect(page.get_by_test_id("drift-score")).to_have_attribute("data-level", levels[0])

    counts = await page.locator('[data-testid="confusion-table"] td[data-predicted]').evaluate_all(
        "cells => cells.map(c => Number(c.dataset.value))"
    )
    assert len(counts) == 9
    assert sum(counts) == await _number(page, '[data-testid="metric-accuracy-window"]')

    assert 0 < await _number(page, '[data-testid="metric-label-coverage"]') <= 1
    p50 = await _number(page, '[data-testid="metric-label-delay-p50"]')
    assert 0 < p50 <= await _number(page, '[data-testid="metric-label-delay-p95"]')

    recent = page.locator('[data-testid="recent-predictions"] tbody tr')
    await expect(recent).to_have_count(20)
    times = await recent.locator('[data-col="time"]').evaluate_all(
        "cells => cells.map(c => Date.parse(c.dataset.value))"
    )
    assert times == sorted(times, reverse=True), "newest first"
    await screenshot(page, "demo-evidence")

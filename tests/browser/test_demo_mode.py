"""``/?demo=1`` renders every section with no backend at all."""

from __future__ import annotations

import functools
import http.server
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

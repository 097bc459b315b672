"""``/?demo=1``: the picker lists the simulated served model and the simulated model served
elsewhere, and switching shows the latter's own numbers, with no backend at all."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.test_demo_mode import static_only

__all__ = ["static_only"]  # the fixture, shared with the other demo-mode tests

PICKER = 'select[data-role="model-picker"]'


async def test_demo_mode_switches_between_the_served_and_the_monitored_model(
    page: Page, static_only: str
) -> None:
    await page.goto(f"{static_only}/?demo=1&seed=42")
    picker = page.locator(PICKER)
    options = picker.locator("option")
    await expect(options).to_have_count(2)
    served, elsewhere = await options.evaluate_all(
        "os => os.map(o => ({id: o.value, served: o.dataset.served}))"
    )
    assert [served["served"], elsewhere["served"]] == ["here", "elsewhere"]
    await expect(picker).to_have_attribute("data-value", served["id"])
    await expect(page.get_by_test_id("model-uptime")).not_to_have_text("served elsewhere")

    await picker.select_option(elsewhere["id"])
    await expect(page.get_by_test_id("model-name")).to_have_text("iris-kserve")
    await expect(page.get_by_test_id("model-uptime")).to_have_text("served elsewhere")
    await expect(page.get_by_test_id("metric-error-rate")).to_have_attribute("data-value", "")
    latency = float(await _value(page, "metric-latency-p95"))
    assert latency > 5, "the caller's measured latency, a network hop away"
    shown = await page.evaluate("window.__modelbeacon.shownModelId()")
    assert shown == elsewhere["id"]
    # Its own history and log, not the served model's.
    await page.wait_for_function(
        "() => Number(document.querySelector(`[data-chart='accuracy']`).dataset.points) >= 170"
    )
    rows = page.locator('[data-testid="recent-predictions"] tbody tr')
    await expect(rows).to_have_count(20)
    ids = await rows.evaluate_all("rs => rs.map(r => r.dataset.predictionId)")
    assert all(i.startswith(f"{elsewhere['id']}-") for i in ids)

    await picker.select_option(served["id"])
    await expect(page.get_by_test_id("model-uptime")).not_to_have_text("served elsewhere")
    await expect(page.get_by_test_id("metric-error-rate")).not_to_have_attribute("data-value", "")


async def _value(page: Page, test_id: str) -> str:
    locator = page.get_by_test_id(test_id)
    await expect(locator).not_to_have_attribute("data-value", "")
    value = await locator.get_attribute("data-value")
    assert value is not None
    return value

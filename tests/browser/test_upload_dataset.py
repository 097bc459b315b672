"""Bring your own data from the dashboard: upload a CSV, see what was kept, train on it.

Against a real ``modelbeacon serve`` (the upload and the training are the server's), and once
in demo mode, where the page inspects the file itself.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.support import ServerProcess, running_server

pytestmark = pytest.mark.slow

SPECIES = ("Adelie", "Chinstrap", "Gentoo")
ISLANDS = ("Biscoe", "Dream", "Torgersen")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(tmp_path, metrics_interval=0.2, system_interval=0.5) as process:
        yield process


def penguins_csv(path: Path) -> Path:
    """60 rows, 20 of each species (string labels): two numeric columns, two categorical ones,
    and empty cells in one of each."""
    rng = random.Random(7)
    lines = ["bill_mm,island,mass_g,sex,species"]
    for i in range(60):
        k = i % 3
        bill = "" if i % 11 == 4 else f"{38 + 5 * k + rng.uniform(-2, 2):.1f}"
        island = ISLANDS[k] if rng.random() < 0.8 else rng.choice(ISLANDS)
        mass = round(3500 + 600 * k + rng.uniform(-200, 200))
        sex = rng.choice(("male", "female", ""))
        lines.append(f"{bill},{island},{mass},{sex},{SPECIES[k]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def upload(page: Page, csv: Path, target: str, name: str = "") -> None:
    await page.get_by_test_id("upload-file").set_input_files(str(csv))
    await page.get_by_test_id("upload-target").fill(target)
    await page.get_by_test_id("upload-name").fill(name)
    await page.get_by_test_id("upload-submit").click()


async def test_an_uploaded_csv_is_offered_to_the_train_form_and_trains(
    page: Page, server: ServerProcess, tmp_path: Path
) -> None:
    csv = penguins_csv(tmp_path / "penguins.csv")
    await page.goto(server.url)
    await expect(page.get_by_test_id("connection-indicator")).to_have_attribute(
        "data-state", "open"
    )
    dataset = page.get_by_test_id("train-dataset")
    # The list is the server's: built-in datasets with their row counts.
    await expect(dataset.locator("option")).to_have_text(
        ["Iris (150 rows)", "Wine (178 rows)", "Breast cancer (569 rows)", "Digits (1797 rows)"]
    )

    await upload(page, csv, "species", "penguins")
    message = page.get_by_test_id("upload-message")
    await expect(message).to_have_text(
        "penguins: 60 rows, 3 classes, 4 features (2 categorical)", timeout=15_000
    )
    await expect(message).to_have_attribute("data-kind", "info")
    await expect(page.get_by_test_id("upload-submit")).to_be_enabled()
    await expect(dataset.locator('option[value="penguins"]')).to_have_text(
        "penguins (uploaded, 60 rows)"
    )
    await expect(dataset).to_have_value("penguins")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.locator('[data-panel="models"]').screenshot(
        path=str(SCREENSHOTS / "upload-dataset-panel.png")
    )

    await page.get_by_test_id("train-name").fill("penguins-lr")
    await page.get_by_test_id("train-algorithm").select_option("logistic_regression")
    await page.get_by_test_id("train-submit").click()
    row = page.get_by_test_id("model-row").filter(has_text="penguins-lr")
    await expect(row.get_by_test_id("model-row-status")).to_have_attribute(
        "data-value", "ready", timeout=60_000
    )
    await expect(row.locator('[data-col="dataset"]')).to_have_text("penguins")
    await screenshot(page, "upload-dataset-trained")
    await expect(page.get_by_test_id("models-message")).not_to_have_attribute("data-kind", "error")


async def test_an_upload_without_the_target_column_shows_the_server_message(
    page: Page, server: ServerProcess, tmp_path: Path
) -> None:
    csv = penguins_csv(tmp_path / "penguins.csv")
    await page.goto(server.url)
    await upload(page, csv, "label")
    message = page.get_by_test_id("upload-message")
    await expect(message).to_have_text(
        "no column named 'label' to use as the target; the columns are: "
        "'bill_mm', 'island', 'mass_g', 'sex', 'species'",
        timeout=15_000,
    )
    await expect(message).to_have_attribute("data-kind", "error")
    await expect(page.get_by_test_id("train-dataset").locator("option")).to_have_count(4)


async def test_demo_mode_inspects_an_upload_in_the_page_and_trains_on_it(
    page: Page, server: ServerProcess, tmp_path: Path
) -> None:
    csv = penguins_csv(tmp_path / "penguins.csv")
    await page.goto(f"{server.url}/?demo=1&speed=4")
    await expect(page.get_by_test_id("mode")).to_have_attribute("data-value", "demo")
    await upload(page, csv, "species")
    await expect(page.get_by_test_id("upload-message")).to_have_text(
        "penguins: 60 rows, 3 classes, 4 features (2 categorical)"
    )
    dataset = page.get_by_test_id("train-dataset")
    await expect(dataset).to_have_value("penguins")
    await page.get_by_test_id("train-name").fill("demo-penguins")
    await page.get_by_test_id("train-submit").click()
    row = page.get_by_test_id("model-row").filter(has_text="demo-penguins")
    await expect(row.get_by_test_id("model-row-status")).to_have_attribute(
        "data-value", "ready", timeout=30_000
    )
    await upload(page, csv, "label", "other")
    await expect(page.get_by_test_id("upload-message")).to_have_text(
        "no column named 'label' to use as the target; the columns are: "
        "'bill_mm', 'island', 'mass_g', 'sex', 'species'"
    )

"""Small real tables for the bring-your-own-data tests: a penguins-like CSV with numeric and
categorical columns, missing values and string class labels, written by the test itself."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

SPECIES = ("Adelie", "Chinstrap", "Gentoo")
ISLANDS = ("Biscoe", "Dream", "Torgersen")
PENGUIN_COLUMNS = (
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
    "island",
    "sex",
    "species",
)
# (bill length, bill depth, flipper length, body mass) means per species, as in the real data
_MEANS = {
    "Adelie": (38.8, 18.3, 190.0, 3700.0),
    "Chinstrap": (48.8, 18.4, 196.0, 3730.0),
    "Gentoo": (47.5, 15.0, 217.0, 5076.0),
}
_HOME = {"Adelie": ISLANDS, "Chinstrap": ("Dream",), "Gentoo": ("Biscoe",)}


def penguin_rows(n: int = 180, seed: int = 0, missing: float = 0.05) -> list[list[Any]]:
    """``n`` rows in ``PENGUIN_COLUMNS`` order; about ``missing`` of the feature cells are
    ``None`` (an empty cell in the CSV)."""
    rng = np.random.default_rng(seed)
    rows: list[list[Any]] = []
    for i in range(n):
        species = SPECIES[i % len(SPECIES)]
        means = _MEANS[species]
        numbers = [round(float(rng.normal(m, m * 0.04)), 1) for m in means]
        island = str(rng.choice(_HOME[species]))
        sex = str(rng.choice(("male", "female")))
        features: list[Any] = [*numbers, island, sex]
        features = [None if rng.random() < missing else v for v in features]
        rows.append([*features, species])
    return rows


def write_csv(path: Path, header: tuple[str, ...] | list[str], rows: list[list[Any]]) -> Path:
    """Write ``rows`` under ``header``; ``None`` becomes an empty cell."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def penguins_csv(path: Path, n: int = 180, seed: int = 0) -> Path:
    return write_csv(path, PENGUIN_COLUMNS, penguin_rows(n, seed))


def features_of(row: list[Any]) -> dict[str, Any]:
    """A penguin row's features keyed by name, as a predict request sends them."""
    return dict(zip(PENGUIN_COLUMNS[:-1], row[:-1], strict=True))

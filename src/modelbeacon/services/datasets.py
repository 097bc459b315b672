"""The datasets models train on, as clients see them: today the built-in ones."""

from __future__ import annotations

import asyncio
from typing import Any

from modelbeacon.errors import DatasetNotFoundError
from modelbeacon.registry import DATASET_NAMES, Dataset, load_dataset

# scikit-learn's bunches carry no name for the label column; its ``as_frame`` calls it this.
_BUILTIN_TARGET = "target"


class DatasetService:
    """Describes datasets and hands out their rows, loading them in a worker thread.

    Loading a built-in dataset reads and parses files inside the scikit-learn wheel (tens of
    milliseconds for ``digits``), so it never runs on the event loop. Every method raises
    ``DatasetNotFoundError`` for a name that is not a known dataset.
    """

    async def all(self) -> list[dict[str, Any]]:
        """Every dataset's description, in ``DATASET_NAMES`` order."""
        return [await self.get(name) for name in DATASET_NAMES]

    async def get(self, name: str) -> dict[str, Any]:
        """``{name, source, rows, target, classes, features, created_at}`` of ``name``."""
        dataset = await self._load(name)
        return {
            "name": dataset.name,
            "source": "builtin",
            "rows": dataset.n_samples,
            "target": _BUILTIN_TARGET,
            "classes": list(dataset.classes),
            "features": [{"name": f, "kind": "numeric"} for f in dataset.feature_names],
            "created_at": None,
        }

    async def rows(self, name: str) -> dict[str, Any]:
        """``{name, feature_names, rows, labels}``: every row of ``name`` with its label, in
        the dataset's own order; each row lists its values in ``feature_names`` order."""
        dataset = await self._load(name)
        return {
            "name": dataset.name,
            "feature_names": list(dataset.feature_names),
            "rows": dataset.X.tolist(),
            "labels": dataset.y.tolist(),
        }

    async def _load(self, name: str) -> Dataset:
        if name not in DATASET_NAMES:
            known = ", ".join(DATASET_NAMES)
            raise DatasetNotFoundError(
                f"unknown dataset {name!r}; known datasets: {known}",
                details={"dataset": name, "known_datasets": list(DATASET_NAMES)},
            )
        return await asyncio.to_thread(load_dataset, name)

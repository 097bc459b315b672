"""Datasets through the HTTP API: the built-in ones described, their rows, unknown names."""

from __future__ import annotations

import httpx

from modelbeacon.registry import DATASET_NAMES, load_dataset
from tests.support import assert_error

IRIS_FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


async def test_datasets_list_describes_every_builtin_dataset(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/datasets")
    assert response.status_code == 200
    datasets = response.json()
    assert [d["name"] for d in datasets] == list(DATASET_NAMES)
    for dataset in datasets:
        assert dataset["source"] == "builtin" and dataset["created_at"] is None
        assert dataset["target"] == "target"
        assert all(f["kind"] == "numeric" for f in dataset["features"])
    sizes = {d["name"]: (d["rows"], len(d["features"]), len(d["classes"])) for d in datasets}
    assert sizes == {
        "iris": (150, 4, 3),
        "wine": (178, 13, 3),
        "breast_cancer": (569, 30, 2),
        "digits": (1797, 64, 10),
    }


async def test_dataset_describes_one_dataset(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/datasets/iris")
    assert response.status_code == 200
    assert response.json() == {
        "name": "iris",
        "source": "builtin",
        "rows": 150,
        "target": "target",
        "classes": [0, 1, 2],
        "features": [{"name": name, "kind": "numeric"} for name in IRIS_FEATURES],
        "dropped_rows": 0,
        "created_at": None,
    }


async def test_dataset_rows_are_every_row_with_its_label_unchanged(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/datasets/wine/rows")
    assert response.status_code == 200
    body = response.json()
    wine = load_dataset("wine")
    assert body["name"] == "wine"
    assert body["feature_names"] == list(wine.feature_names)
    # JSON floats round-trip exactly, so a client sees the very values the server trains on.
    assert body["rows"] == wine.X.tolist()
    assert body["labels"] == wine.y.tolist()


async def test_unknown_dataset_is_a_404_naming_the_known_ones(client: httpx.AsyncClient) -> None:
    for path in ("/api/datasets/nope", "/api/datasets/nope/rows"):
        error = assert_error(await client.get(path), 404, "dataset_not_found")
        assert "nope" in error["message"] and "iris" in error["message"]
        assert error["details"]["known_datasets"] == list(DATASET_NAMES)

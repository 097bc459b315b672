"""Bring your own data through the HTTP API: upload a mixed-type CSV, train on it, predict with
strings and nulls, label with strings; and every bad upload refused with nothing kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import assert_error, train
from tests.tables import (
    ISLANDS,
    PENGUIN_COLUMNS,
    SPECIES,
    features_of,
    penguin_rows,
    penguins_csv,
    write_csv,
)


async def upload(
    client: httpx.AsyncClient, path: Path, target: str = "species", **form: str
) -> httpx.Response:
    with open(path, "rb") as file:
        return await client.post(
            "/api/datasets",
            files={"file": (path.name, file, "text/csv")},
            data={"target": target, **form},
        )


def artifact_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "artifacts"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_upload_describes_the_columns_and_lists_the_dataset(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    response = await upload(client, penguins_csv(tmp_path / "penguins.csv"))
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert dataset["name"] == "penguins" and dataset["source"] == "upload"
    assert dataset["rows"] == 180 and dataset["dropped_rows"] == 0
    assert dataset["target"] == "species"
    assert dataset["classes"] == list(SPECIES)
    kinds = {f["name"]: f["kind"] for f in dataset["features"]}
    assert kinds == {
        "bill_length_mm": "numeric",
        "bill_depth_mm": "numeric",
        "flipper_length_mm": "numeric",
        "body_mass_g": "numeric",
        "island": "categorical",
        "sex": "categorical",
    }
    island = next(f for f in dataset["features"] if f["name"] == "island")
    assert island["categories"] == list(ISLANDS)

    listed = (await client.get("/api/datasets")).json()
    assert [d["name"] for d in listed][-1] == "penguins"
    assert (await client.get("/api/datasets/penguins")).json() == dataset
    rows = (await client.get("/api/datasets/penguins/rows")).json()
    assert rows["feature_names"] == list(PENGUIN_COLUMNS[:-1])
    assert rows["labels"][:3] == list(SPECIES)
    expected = penguin_rows(180)
    assert rows["rows"][0] == expected[0][:-1]
    assert any(v is None for row in rows["rows"] for v in row)


async def test_rows_without_a_target_are_dropped_and_counted(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    rows = penguin_rows(60)
    rows[5][-1] = None
    rows[9][-1] = None
    response = await upload(client, write_csv(tmp_path / "gaps.csv", PENGUIN_COLUMNS, rows))
    assert response.status_code == 201, response.text
    assert (response.json()["rows"], response.json()["dropped_rows"]) == (58, 2)


async def test_train_deploy_predict_and_label_on_an_uploaded_dataset(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    assert (await upload(client, penguins_csv(tmp_path / "penguins.csv"))).status_code == 201
    model = await train(client, "penguins-rf", "penguins", "random_forest", {"n_estimators": 30})
    assert model["dataset"] == "penguins" and model["status"] == "ready"
    assert model["classes"] == list(SPECIES)
    assert model["accepts_missing"] is True
    assert [f["kind"] for f in model["features"]] == ["numeric"] * 4 + ["categorical"] * 2
    assert model["validation_accuracy"] > 0.8
    assert model["calibration"] is not None
    reference = (await client.get(f"/api/models/{model['id']}/reference")).json()
    assert [f["kind"] for f in reference["features"]][-2:] == ["categorical", "categorical"]
    deployed = await client.post(f"/api/models/{model['id']}/deploy")
    assert deployed.status_code == 200, deployed.text

    features = {
        "bill_length_mm": 47.9,
        "bill_depth_mm": None,
        "flipper_length_mm": 218.0,
        "body_mass_g": 5100.0,
        "island": "Biscoe",
        "sex": None,
    }
    response = await client.post("/api/predict", json={"features": features})
    assert response.status_code == 200, response.text
    served = response.json()
    assert served["prediction"] == "Gentoo"
    assert set(served["probabilities"]) == set(SPECIES)

    # an island never seen in training is not an error: the encoder ignores it
    unseen = await client.post("/api/predict", json={"features": {**features, "island": "Anvers"}})
    assert unseen.status_code == 200, unseen.text

    feedback = await client.post(
        f"/api/predictions/{served['prediction_id']}/feedback", json={"label": "Gentoo"}
    )
    assert feedback.status_code == 200, feedback.text
    assert feedback.json()["correct"] is True and feedback.json()["label"] == "Gentoo"
    wrong = await client.post(
        f"/api/predictions/{unseen.json()['prediction_id']}/feedback", json={"label": "Macaroni"}
    )
    assert_error(wrong, 422)

    instances = [features_of(row) for row in penguin_rows(120, seed=3)]
    labels = [row[-1] for row in penguin_rows(120, seed=3)]
    batch = await client.post("/api/predict", json={"instances": instances, "labels": labels})
    assert batch.status_code == 200, batch.text
    metrics = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
    assert metrics["total_predictions"] == 122
    assert metrics["current_accuracy"] > 0.8
    assert metrics["confusion"]["classes"] == list(SPECIES)
    drift = {f["name"]: f for f in metrics["drift"]["features"]}
    assert drift["island"]["kind"] == "categorical" and drift["sex"]["kind"] == "categorical"
    logged = (await client.get(f"/api/models/{model['id']}/predictions?limit=200")).json()
    first = logged["predictions"][-1]
    assert first["features"] == [47.9, None, 218.0, 5100.0, "Biscoe", None]
    assert first["label"] == "Gentoo" and first["prediction"] == "Gentoo"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bill_length_mm": "long"}, "bill_length_mm"),
        ({"island": 3}, "island"),
        ({"sex": True}, "sex"),
    ],
)
async def test_a_wrong_type_is_a_422_naming_the_feature(
    client: httpx.AsyncClient, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    assert (await upload(client, penguins_csv(tmp_path / "penguins.csv"))).status_code == 201
    model = await train(client, "penguins-lr", "penguins", "logistic_regression")
    row = features_of(penguin_rows(3)[0])
    response = await client.post(
        f"/api/models/{model['id']}/predict", json={"features": {**row, **change}}
    )
    body = assert_error(response, 422)
    assert message in body["message"]
    as_list = await client.post(
        f"/api/models/{model['id']}/predict", json={"features": list(row.values())}
    )
    assert "keyed by feature name" in assert_error(as_list, 422)["message"]
    metrics = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
    assert metrics["total_predictions"] == 0


async def test_a_null_for_a_model_without_an_imputer_is_a_422(client: httpx.AsyncClient) -> None:
    model = await train(client)
    response = await client.post(
        f"/api/models/{model['id']}/predict", json={"features": [5.1, None, 1.4, 0.2]}
    )
    assert "no imputer" in assert_error(response, 422)["message"]
    text = await client.post(
        f"/api/models/{model['id']}/predict", json={"features": [5.1, "3.5", 1.4, 0.2]}
    )
    assert "numeric" in assert_error(text, 422)["message"]


def _one_class(path: Path) -> Path:
    rows = [[*row[:-1], "Adelie"] for row in penguin_rows(30)]
    return write_csv(path, PENGUIN_COLUMNS, rows)


def _too_few(path: Path) -> Path:
    rows = penguin_rows(60)
    rows = [r for r in rows if r[-1] != "Chinstrap"] + [r for r in rows if r[-1] == "Chinstrap"][:2]
    return write_csv(path, PENGUIN_COLUMNS, rows)


def _ragged(path: Path) -> Path:
    penguins_csv(path, n=30)
    lines = path.read_text().splitlines()
    lines[6] += ",extra"  # file line 7 (the header is line 1)
    path.write_text("\n".join(lines) + "\n")
    return path


def _latin1(path: Path) -> Path:
    penguins_csv(path, n=30)
    path.write_bytes(path.read_bytes().replace(b"Dream", "Dr\u00e9am".encode("latin-1")))
    return path


def _png(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return path


BAD_UPLOADS: list[tuple[str, Callable[[Path], Path], str, int, str]] = [
    ("no_target", lambda p: penguins_csv(p, n=30), "label", 422, "label"),
    ("one_class", _one_class, "species", 422, "class"),
    ("too_few", _too_few, "species", 422, "Chinstrap"),
    ("ragged", _ragged, "species", 422, "line 7"),
    ("latin1", _latin1, "species", 422, "UTF-8"),
    ("png", _png, "species", 415, "CSV"),
]


@pytest.mark.parametrize(
    ("case", "make", "target", "status", "words"), BAD_UPLOADS, ids=[c[0] for c in BAD_UPLOADS]
)
async def test_a_bad_upload_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient,
    tmp_path: Path,
    case: str,
    make: Callable[[Path], Path],
    target: str,
    status: int,
    words: str,
) -> None:
    before = (await client.get("/api/datasets")).json()
    response = await upload(client, make(tmp_path / f"{case}.csv"), target)
    body = assert_error(response, status)
    assert words.lower() in body["message"].lower(), body
    assert (await client.get("/api/datasets")).json() == before
    assert artifact_files(tmp_path) == []


async def test_an_upload_over_the_limit_is_a_413_and_nothing_is_kept(
    client_factory: Any, tmp_path: Path
) -> None:
    path = penguins_csv(tmp_path / "big.csv", n=400)
    async with client_factory(max_upload_bytes=4096) as client:
        body = assert_error(await upload(client, path), 413)
        assert "MODELBEACON_MAX_UPLOAD_BYTES" in body["message"]
        assert [d["source"] for d in (await client.get("/api/datasets")).json()] == ["builtin"] * 4
    assert artifact_files(tmp_path) == []


async def test_a_taken_or_builtin_name_is_a_409(client: httpx.AsyncClient, tmp_path: Path) -> None:
    path = penguins_csv(tmp_path / "penguins.csv", n=30)
    assert (await upload(client, path)).status_code == 201
    assert_error(await upload(client, path), 409)
    assert_error(await upload(client, path, name="iris"), 409)
    assert len(artifact_files(tmp_path)) == 1


async def test_uploaded_datasets_and_their_models_survive_a_restart(
    client_factory: Any, tmp_path: Path
) -> None:
    rows = penguin_rows(60, seed=5)
    async with client_factory() as client:
        assert (await upload(client, penguins_csv(tmp_path / "penguins.csv"))).status_code == 201
        model = await train(client, "penguins-lr", "penguins", "logistic_regression")
        await client.post(f"/api/models/{model['id']}/deploy")
        batch = await client.post(
            "/api/predict",
            json={"instances": [features_of(r) for r in rows], "labels": [r[-1] for r in rows]},
        )
        assert batch.status_code == 200, batch.text
        before = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
        dataset = (await client.get("/api/datasets/penguins")).json()
    async with client_factory() as client:
        assert (await client.get("/api/datasets/penguins")).json() == dataset
        after = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
        for key in ("total_predictions", "current_accuracy", "confusion", "drift"):
            assert after[key] == before[key], key
        again = await client.post("/api/predict", json={"features": features_of(rows[0])})
        assert again.status_code == 200 and again.json()["prediction"] in SPECIES

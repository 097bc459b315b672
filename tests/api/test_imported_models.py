"""Models trained elsewhere, through the HTTP API: a skops Pipeline and an ONNX model imported,
deployed and served with the outputs they give locally; unsafe files refused with nothing run
and nothing kept; imported models and their numbers kept across a restart."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import httpx
import joblib  # type: ignore[import-untyped]
import numpy as np
import pandas as pd
import skops.io  # type: ignore[import-untyped]
from skl2onnx import to_onnx  # type: ignore[import-untyped]
from sklearn.base import BaseEstimator, TransformerMixin  # type: ignore[import-untyped]
from sklearn.compose import ColumnTransformer  # type: ignore[import-untyped]
from sklearn.datasets import load_iris  # type: ignore[import-untyped]
from sklearn.ensemble import RandomForestClassifier  # type: ignore[import-untyped]
from sklearn.impute import SimpleImputer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline, make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import (  # type: ignore[import-untyped]
    FunctionTransformer,
    OneHotEncoder,
    StandardScaler,
)

from tests.support import assert_error
from tests.tables import PENGUIN_COLUMNS, SPECIES, features_of, penguin_rows, write_csv

NUMERIC = list(PENGUIN_COLUMNS[:4])
CATEGORICAL = ["island", "sex"]
IRIS_NAMES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def penguin_frame(rows: list[list[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame([r[:-1] for r in rows], columns=list(PENGUIN_COLUMNS[:-1]), dtype=object)
    frame[NUMERIC] = frame[NUMERIC].astype(np.float64)
    frame[CATEGORICAL] = frame[CATEGORICAL].where(frame[CATEGORICAL].notna(), np.nan)
    return frame


def penguin_pipeline() -> Pipeline:
    rows = penguin_rows(240, seed=1)
    prepare = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                CATEGORICAL,
            ),
        ]
    )
    model = Pipeline([("prepare", prepare), ("model", LogisticRegression(max_iter=500))])
    return model.fit(penguin_frame(rows), np.array([r[-1] for r in rows], dtype=object))


async def import_file(
    client: httpx.AsyncClient,
    path: Path,
    name: str = "churn",
    reference: Path | None = None,
    **form: str,
) -> httpx.Response:
    files: dict[str, Any] = {"file": (path.name, path.read_bytes())}
    if reference is not None:
        files["reference"] = (reference.name, reference.read_bytes())
    return await client.post("/api/models/import", files=files, data={"name": name, **form})


def artifact_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "artifacts"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_a_skops_pipeline_is_served_with_its_own_outputs(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    pipeline = penguin_pipeline()
    path = tmp_path / "penguins.skops"
    skops.io.dump(pipeline, path)
    response = await import_file(client, path, "penguins-imported")
    assert response.status_code == 201, response.text
    model = response.json()
    assert (model["status"], model["source"], model["runtime"]) == ("ready", "imported", "sklearn")
    assert model["classes"] == list(SPECIES)
    assert model["feature_names"] == list(PENGUIN_COLUMNS[:-1])
    kinds = {f["name"]: f for f in model["features"]}
    assert kinds["island"]["kind"] == "categorical"
    assert kinds["island"]["categories"] == ["Biscoe", "Dream", "Torgersen"]
    assert kinds["body_mass_g"] == {"name": "body_mass_g", "kind": "numeric"}
    assert model["accepts_missing"] is True
    assert (await client.post(f"/api/models/{model['id']}/deploy")).status_code == 200

    rows = penguin_rows(40, seed=9, missing=0.15)
    rows[0][4] = "Anvers"  # a category the encoder never saw
    served = await client.post("/api/predict", json={"instances": [features_of(r) for r in rows]})
    assert served.status_code == 200, served.text
    expected = pipeline.predict_proba(penguin_frame(rows))
    for got, want in zip(served.json()["predictions"], expected, strict=True):
        probabilities = [got["probabilities"][c] for c in SPECIES]
        np.testing.assert_allclose(probabilities, want, rtol=0, atol=1e-9)
        assert got["prediction"] == SPECIES[int(np.argmax(want))]


async def test_an_onnx_model_runs_under_onnxruntime_with_its_own_outputs(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    X, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    path = tmp_path / "iris.onnx"
    path.write_bytes(to_onnx(forest, X[:1].astype(np.float32)).SerializeToString())
    response = await import_file(client, path, "iris-onnx", features=json.dumps(IRIS_NAMES))
    assert response.status_code == 201, response.text
    model = response.json()
    assert model["runtime"] == "onnxruntime" and model["classes"] == [0, 1, 2]
    assert model["feature_names"] == IRIS_NAMES and model["accepts_missing"] is False
    served = await client.post(
        f"/api/models/{model['id']}/predict", json={"instances": X[::10].tolist()}
    )
    assert served.status_code == 200, served.text
    expected = forest.predict_proba(X[::10].astype(np.float32))
    for got, want in zip(served.json()["predictions"], expected, strict=True):
        np.testing.assert_allclose(
            [got["probabilities"][str(c)] for c in range(3)], want, rtol=0, atol=1e-5
        )
    named = await client.post(
        f"/api/models/{model['id']}/predict",
        json={"features": dict(zip(IRIS_NAMES, X[0].tolist(), strict=True))},
    )
    assert named.status_code == 200 and named.json()["prediction"] == 0


async def test_an_onnx_model_without_feature_names_needs_them(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    X, y = load_iris(return_X_y=True)
    path = tmp_path / "iris.onnx"
    model = LogisticRegression(max_iter=500).fit(X, y)
    path.write_bytes(to_onnx(model, X[:1].astype(np.float32)).SerializeToString())
    error = assert_error(await import_file(client, path), 422)
    assert "features" in error["message"]
    assert (await client.get("/api/models")).json() == []
    assert artifact_files(tmp_path) == []


async def test_a_skops_file_calling_os_system_is_refused_and_nothing_runs(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    payload = Pipeline([("run", FunctionTransformer(func=os.system))])
    path = tmp_path / "evil.skops"
    skops.io.dump(payload, path)
    error = assert_error(await import_file(client, path, "evil"), 422, "untrusted_type")
    assert "posix.system" in error["message"]
    assert not marker.exists()
    assert (await client.get("/api/models")).json() == []
    assert artifact_files(tmp_path) == []
    # the payload is real: loaded by someone trusting everything, it runs the command
    loaded = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    loaded.transform(f"touch {marker}")
    assert marker.exists()


class Doubler(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """A class of the uploader's own: never imported by the server."""

    def fit(self, X: Any, y: Any = None) -> Doubler:
        return self

    def transform(self, X: Any) -> Any:
        return X * 2


async def test_a_skops_file_with_the_uploaders_own_class_is_refused(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "custom.skops"
    X, y = load_iris(return_X_y=True)
    skops.io.dump(make_pipeline(Doubler(), LogisticRegression(max_iter=500)).fit(X, y), path)
    error = assert_error(await import_file(client, path, "custom"), 422, "untrusted_type")
    assert "Doubler" in error["message"]
    assert (await client.get("/api/models")).json() == []


async def test_pickle_and_joblib_files_are_refused_with_why(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    fitted = LogisticRegression(max_iter=500).fit(*load_iris(return_X_y=True))
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps(fitted))
    disguised = tmp_path / "model.skops"
    disguised.write_bytes(pickle.dumps(fitted))
    dumped = tmp_path / "model.joblib"
    joblib.dump(fitted, dumped, compress=3)
    for path in (pickled, disguised, dumped):
        error = assert_error(await import_file(client, path), 415)
        assert "pickle" in error["message"].lower(), error
    assert (await client.get("/api/models")).json() == []
    assert artifact_files(tmp_path) == []


async def test_a_corrupt_model_file_is_a_4xx(client: httpx.AsyncClient, tmp_path: Path) -> None:
    good = tmp_path / "good.skops"
    skops.io.dump(penguin_pipeline(), good)
    truncated = tmp_path / "truncated.skops"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    noise = tmp_path / "noise.onnx"
    noise.write_bytes(np.random.default_rng(0).bytes(2048))
    for path in (truncated, noise):
        response = await import_file(client, path)
        assert 400 <= response.status_code < 500, response.text
        assert_error(response, response.status_code)
    assert (await client.get("/api/models")).json() == []


async def test_a_reference_csv_gives_drift_accuracy_and_calibration(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "penguins.skops"
    skops.io.dump(penguin_pipeline(), path)
    reference = write_csv(tmp_path / "reference.csv", PENGUIN_COLUMNS, penguin_rows(150, seed=4))
    response = await import_file(client, path, reference=reference, target="species")
    assert response.status_code == 201, response.text
    model = response.json()
    assert model["validation_accuracy"] > 0.8 and model["calibration"] is not None
    drift = (await client.get(f"/api/models/{model['id']}/reference")).json()
    assert [f["name"] for f in drift["features"]] == list(PENGUIN_COLUMNS[:-1])


async def test_imported_models_and_their_numbers_survive_a_restart(
    client_factory: Any, tmp_path: Path
) -> None:
    pipeline = penguin_pipeline()
    path = tmp_path / "penguins.skops"
    skops.io.dump(pipeline, path)
    rows = penguin_rows(50, seed=2)
    async with client_factory() as client:
        model = (await import_file(client, path, "penguins-imported")).json()
        await client.post(f"/api/models/{model['id']}/deploy")
        body = {"instances": [features_of(r) for r in rows], "labels": [r[-1] for r in rows]}
        assert (await client.post("/api/predict", json=body)).status_code == 200
        before = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
    async with client_factory() as client:
        again = (await client.get(f"/api/models/{model['id']}")).json()
        assert again["features"] == model["features"] and again["status"] == "active"
        after = (await client.get(f"/api/models/{model['id']}/metrics/realtime")).json()
        for key in ("total_predictions", "current_accuracy", "confusion"):
            assert after[key] == before[key], key
        served = await client.post("/api/predict", json={"features": features_of(rows[0])})
        assert served.status_code == 200, served.text
        want = pipeline.predict_proba(penguin_frame(rows[:1]))[0]
        got = [served.json()["probabilities"][c] for c in SPECIES]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


async def test_an_imported_model_without_a_reference_says_how_to_get_one(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "penguins.skops"
    skops.io.dump(penguin_pipeline(), path)
    model = (await import_file(client, path)).json()
    error = assert_error(await client.get(f"/api/models/{model['id']}/reference"), 404)
    assert "reference CSV" in error["message"]

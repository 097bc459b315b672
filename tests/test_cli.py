"""The ``modelbeacon`` command as a user runs it (subprocesses, real SQLite)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from skl2onnx import to_onnx  # type: ignore[import-untyped]
from sklearn.datasets import load_iris  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from tests.tables import penguins_csv

pytestmark = pytest.mark.slow


def run_cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MODELBEACON_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "modelbeacon", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_train_shows_progress_and_registers_the_model(tmp_path: Path) -> None:
    result = run_cli(
        [
            "train",
            "--name",
            "iris-rf",
            "--dataset",
            "iris",
            "--algorithm",
            "random_forest",
            "--params",
            '{"n_estimators": 60}',
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "fitting" in result.stderr and "trees" in result.stderr
    assert "validation accuracy" in result.stderr
    # The default SQLite database in the working directory holds the ready model.
    assert (tmp_path / "modelbeacon.db").exists()
    again = run_cli(["train", "--name", "iris-rf", "--algorithm", "sgd"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "(model 2" in again.stderr


def test_train_refuses_bad_input_with_a_message_and_exit_code(tmp_path: Path) -> None:
    bad_algorithm = run_cli(["train", "--name", "x", "--algorithm", "xgboost"], tmp_path)
    assert bad_algorithm.returncode == 1
    assert "xgboost" in bad_algorithm.stderr and "logistic_regression" in bad_algorithm.stderr
    bad_json = run_cli(["train", "--name", "x", "--params", "{oops"], tmp_path)
    assert bad_json.returncode == 2 and "--params" in bad_json.stderr
    bad_setting = run_cli(["serve"], tmp_path, MODELBEACON_PORT="99999")
    assert bad_setting.returncode == 2 and "port" in bad_setting.stderr


def test_serve_refuses_a_public_bind_without_api_keys(tmp_path: Path) -> None:
    result = run_cli(["serve", "--host", "0.0.0.0"], tmp_path)
    assert result.returncode == 2
    assert "API_KEYS" in result.stderr
    with pytest.raises(httpx.TransportError):
        httpx.get("http://127.0.0.1:1/", timeout=0.5)


def test_train_and_deploy_talk_to_a_running_server_with_url(
    tmp_path: Path, start_server: Any
) -> None:
    server = start_server()
    trained = run_cli(
        ["train", "--name", "remote", "--algorithm", "sgd", "--url", server.url], tmp_path
    )
    assert trained.returncode == 0, trained.stderr
    # Polled progress: each change once (a fit faster than a poll may skip stages), ending ready.
    lines = [line for line in trained.stderr.splitlines() if "%" in line]
    assert lines and len(lines) == len(set(lines)), trained.stderr
    assert "ready" in lines[-1] and "validation accuracy" in trained.stderr
    models = httpx.get(f"{server.url}/api/models").json()
    assert [(m["name"], m["status"]) for m in models] == [("remote", "ready")]

    deployed = run_cli(["deploy", models[0]["id"], "--url", server.url], tmp_path)
    assert deployed.returncode == 0, deployed.stderr
    assert "deployed remote v1" in deployed.stderr
    assert httpx.get(f"{server.url}/api/models/active/status").json()["status"] == "active"

    unknown = run_cli(["deploy", "999", "--url", server.url], tmp_path)
    assert unknown.returncode == 1 and "no model with id 999" in unknown.stderr
    unreachable = run_cli(["deploy", "1", "--url", "http://127.0.0.1:1"], tmp_path)
    assert unreachable.returncode == 1 and "cannot reach" in unreachable.stderr


def test_deploy_without_url_uses_the_local_database(tmp_path: Path) -> None:
    assert run_cli(["train", "--name", "local"], tmp_path).returncode == 0
    deployed = run_cli(["deploy", "1"], tmp_path)
    assert deployed.returncode == 0, deployed.stderr
    assert "deployed local v1 (model 1)" in deployed.stderr
    assert run_cli(["deploy", "7"], tmp_path).returncode == 1
    assert run_cli(["deploy", "x"], tmp_path).returncode == 2


def test_datasets_upload_and_import_locally_and_through_a_server(
    tmp_path: Path, start_server: Any
) -> None:
    csv_path = penguins_csv(tmp_path / "penguins.csv", n=90)
    uploaded = run_cli(["datasets", "upload", str(csv_path), "--target", "species"], tmp_path)
    assert uploaded.returncode == 0, uploaded.stderr
    assert "uploaded dataset penguins: 90 rows" in uploaded.stderr
    assert "island (categorical)" in uploaded.stderr
    trained = run_cli(["train", "--name", "p", "--dataset", "penguins"], tmp_path)
    assert trained.returncode == 0, trained.stderr
    refused = run_cli(
        ["datasets", "upload", str(csv_path), "--target", "nope", "--name", "other"], tmp_path
    )
    assert refused.returncode == 1 and "no column named 'nope'" in refused.stderr

    X, y = load_iris(return_X_y=True)
    onnx_path = tmp_path / "iris.onnx"
    model = LogisticRegression(max_iter=500).fit(X, y)
    onnx_path.write_bytes(to_onnx(model, X[:1].astype(np.float32)).SerializeToString())
    names = '["a", "b", "c", "d"]'
    imported = run_cli(
        ["import", str(onnx_path), "--name", "iris-onnx", "--features", names], tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    assert "imported iris-onnx v1 (model 2, runs on onnxruntime)" in imported.stderr

    server = start_server()
    remote = run_cli(
        ["import", str(onnx_path), "--name", "iris-onnx", "--features", names, "--url", server.url],
        tmp_path,
    )
    assert remote.returncode == 0, remote.stderr
    newest = httpx.get(f"{server.url}/api/models").json()[-1]
    assert (newest["name"], newest["runtime"], newest["status"]) == (
        "iris-onnx",
        "onnxruntime",
        "ready",
    )
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps(model))
    refused_pickle = run_cli(["import", str(pickled), "--name", "x", "--url", server.url], tmp_path)
    assert refused_pickle.returncode == 1 and "415" in refused_pickle.stderr
    bad_json = run_cli(["import", str(onnx_path), "--name", "x", "--features", "[oops"], tmp_path)
    assert bad_json.returncode == 2 and "--features" in bad_json.stderr


def test_register_a_model_served_elsewhere_locally_and_through_a_server(
    tmp_path: Path, start_server: Any
) -> None:
    local = run_cli(["register", "wine-prod", "--reference-dataset", "wine"], tmp_path)
    assert local.returncode == 0, local.stderr
    assert "registered wine-prod v1 (model 1, monitored)" in local.stderr
    refused = run_cli(["register", "x", "--features", '["a"]'], tmp_path)
    assert refused.returncode == 1 and "classes are required" in refused.stderr
    bad_json = run_cli(["register", "x", "--classes", "[0,"], tmp_path)
    assert bad_json.returncode == 2 and "--classes" in bad_json.stderr

    server = start_server()
    remote = run_cli(
        ["register", "shop", "--features", '["price", {"name": "plan", "kind": "categorical"}]',
         "--classes", '["buy", "leave"]', "--url", server.url],
        tmp_path,
    )  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    model = httpx.get(f"{server.url}/api/models").json()[-1]
    assert (model["name"], model["status"], model["source"]) == ("shop", "monitored", "registered")
    assert model["features"] == [
        {"name": "price", "kind": "numeric"},
        {"name": "plan", "kind": "categorical", "categories": None},
    ]
    assert model["classes"] == ["buy", "leave"]

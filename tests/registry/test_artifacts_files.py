"""Tests for ``ArtifactStore`` with files written elsewhere: imported models, uploaded CSVs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import skops.io
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression

from modelbeacon.errors import ArtifactIntegrityError, InvalidInputError
from modelbeacon.registry.artifacts import ArtifactStore, StoredArtifact
from modelbeacon.registry.importing import import_model
from modelbeacon.registry.onnx_runtime import OnnxPredictor
from modelbeacon.registry.predictor import SklearnPredictor
from tests.registry.models import MIXED_ROWS, iris, mixed_frame_of, mixed_pipeline


def test_save_file_copies_atomically_and_hashes_the_bytes(tmp_path: Path) -> None:
    source = tmp_path / "upload.tmp"
    source.write_bytes(b"a,b,target\n1,x,yes\n" * 100_000)  # more than one chunk
    store = ArtifactStore(tmp_path / "store")

    artifact = store.save_file("iris-data", ".csv", source)

    assert artifact == StoredArtifact(
        "iris-data.csv", hashlib.sha256(source.read_bytes()).hexdigest(), ()
    )
    assert sorted(p.name for p in store.root.iterdir()) == ["iris-data.csv"]
    assert source.exists()  # the caller's to remove
    assert store.verified_path(artifact) == store.root / "iris-data.csv"


def test_save_file_refuses_unknown_suffixes_and_unsafe_keys(tmp_path: Path) -> None:
    source = tmp_path / "x"
    source.write_bytes(b"x")
    store = ArtifactStore(tmp_path / "store")

    with pytest.raises(InvalidInputError, match=r"not '\.pkl'"):
        store.save_file("model", ".pkl", source)
    with pytest.raises(InvalidInputError, match="invalid artifact key"):
        store.save_file("../model", ".csv", source)
    assert not store.root.exists() or list(store.root.iterdir()) == []


def test_verified_path_refuses_a_changed_file(tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    source.write_text("a,target\n1,x\n")
    store = ArtifactStore(tmp_path / "store")
    artifact = store.save_file("data", ".csv", source)
    (store.root / "data.csv").write_text("a,target\n2,x\n")

    with pytest.raises(ArtifactIntegrityError, match="does not match its recorded sha256"):
        store.verified_path(artifact)
    with pytest.raises(ArtifactIntegrityError, match="is not a model"):
        store.load(artifact)


def test_imported_skops_model_loads_with_its_features_and_trusted_types(tmp_path: Path) -> None:
    pipeline = mixed_pipeline()
    skops.io.dump(pipeline, tmp_path / "upload.skops")
    imported = import_model(tmp_path / "upload.skops", "upload.skops", None, None)
    store = ArtifactStore(tmp_path / "store")

    artifact = store.save_file("mixed", ".skops", tmp_path / "upload.skops", imported.trusted_types)
    predictor = store.load(artifact, imported.features)

    assert artifact.trusted_types == ("numpy.dtype",)
    assert isinstance(predictor, SklearnPredictor)
    assert predictor.features == imported.features
    np.testing.assert_array_equal(
        predictor.predict_proba(np.array(MIXED_ROWS, dtype=object)),
        pipeline.predict_proba(mixed_frame_of(MIXED_ROWS)),
    )
    with pytest.raises(ArtifactIntegrityError, match="cannot be loaded"):
        store.load(StoredArtifact(artifact.path, artifact.sha256, ()), imported.features)


def test_onnx_model_loads_with_the_classes_it_was_given(tmp_path: Path) -> None:
    X, y = iris()
    estimator = LogisticRegression(max_iter=500).fit(X, y)
    source = tmp_path / "upload.onnx"
    source.write_bytes(to_onnx(estimator, X[:1]).SerializeToString())
    store = ArtifactStore(tmp_path / "store")

    artifact = store.save_file("iris-onnx", ".onnx", source)
    predictor = store.load(artifact, classes=[0, 1, 2])

    assert isinstance(predictor, OnnxPredictor)
    assert predictor.classes == (0, 1, 2)
    np.testing.assert_allclose(
        predictor.predict_proba(X), estimator.predict_proba(X), rtol=0, atol=1e-5
    )
    (store.root / "iris-onnx.onnx").write_bytes(source.read_bytes()[:-1])
    with pytest.raises(ArtifactIntegrityError, match="sha256"):
        store.load(artifact)

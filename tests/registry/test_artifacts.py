"""Tests for ``ArtifactStore``: skops round trips, sha256 checks, trusted types, safe keys."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from modelbeacon.errors import ArtifactIntegrityError, InvalidInputError
from modelbeacon.registry.artifacts import (
    MAX_KEY_LENGTH,
    ArtifactStore,
    StoredArtifact,
    check_artifact_key,
    make_artifact_key,
)
from modelbeacon.registry.datasets import load_dataset
from modelbeacon.registry.training import ALGORITHM_NAMES, TrainingSpec, train

SMALL = {"random_forest": {"n_estimators": 10}, "gradient_boosting": {"n_estimators": 10}}


def _fitted(algorithm: str) -> Any:
    spec = TrainingSpec("iris", algorithm, SMALL.get(algorithm, {"max_iter": 10}))
    if algorithm == "logistic_regression":
        spec = TrainingSpec("iris", algorithm, {})
    return train(spec, lambda _: None).estimator


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_artifact_store_round_trip_predicts_identically(tmp_path: Path, algorithm: str) -> None:
    iris = load_dataset("iris")
    estimator = _fitted(algorithm)
    store = ArtifactStore(tmp_path / "artifacts")

    artifact = store.save(f"iris-{algorithm}-v1", estimator)
    predictor = store.load(artifact)

    assert artifact.path == f"iris-{algorithm}-v1.skops"
    np.testing.assert_array_equal(predictor.predict(iris.X), estimator.predict(iris.X))
    np.testing.assert_array_equal(predictor.predict_proba(iris.X), estimator.predict_proba(iris.X))
    assert predictor.classes == (0, 1, 2)
    assert predictor.n_features == 4


def test_artifact_store_creates_root_lazily(tmp_path: Path) -> None:
    root = tmp_path / "not" / "yet"
    store = ArtifactStore(root)

    assert not root.exists()
    store.save("model", _fitted("logistic_regression"))
    assert sorted(p.name for p in root.iterdir()) == ["model.skops"]  # no temp file left


def test_artifact_store_records_sha256_of_the_file(tmp_path: Path) -> None:
    artifact = ArtifactStore(tmp_path).save("m", _fitted("sgd"))

    assert artifact.sha256 == hashlib.sha256((tmp_path / "m.skops").read_bytes()).hexdigest()


def test_artifact_store_writes_skops_not_pickle(tmp_path: Path) -> None:
    ArtifactStore(tmp_path).save("m", _fitted("sgd"))

    data = (tmp_path / "m.skops").read_bytes()
    assert data[:2] == b"PK"  # skops files are zip archives; a pickle starts with 0x80
    assert skops.io.get_untrusted_types(data=data) == []


def test_artifact_store_records_exactly_the_untrusted_types_saved(tmp_path: Path) -> None:
    estimator = _fitted("random_forest")

    artifact = ArtifactStore(tmp_path).save("forest", estimator)

    assert artifact.trusted_types == ("sklearn.tree._tree.Tree",)
    assert list(artifact.trusted_types) == skops.io.get_untrusted_types(
        file=tmp_path / "forest.skops"
    )


def test_artifact_store_load_trusts_only_the_recorded_types(tmp_path: Path) -> None:
    """A forest's trees are a type skops does not trust by default (a scaled SGD or LR
    pipeline needs none, so it could not show this). With the recorded list emptied, loading
    must fail: the store passes what was recorded, never ``trusted=True``."""
    store = ArtifactStore(tmp_path)
    artifact = store.save("forest", _fitted("random_forest"))
    untrusting = dataclasses.replace(artifact, trusted_types=())

    with pytest.raises(ArtifactIntegrityError, match="cannot be loaded") as info:
        store.load(untrusting)

    assert "sklearn.tree._tree.Tree" in info.value.message
    assert isinstance(info.value.__cause__, Exception)
    assert info.value.details["path"] == str(tmp_path / "forest.skops")
    store.load(artifact)  # the same bytes load with the recorded list


def test_artifact_store_tampered_byte_is_integrity_error(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    artifact = store.save("m", _fitted("logistic_regression"))
    path = tmp_path / "m.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(ArtifactIntegrityError, match="does not match its recorded sha256") as info:
        store.load(artifact)

    assert info.value.details["path"] == str(path)
    assert info.value.details["expected_sha256"] == artifact.sha256


def test_artifact_store_missing_file_is_integrity_error(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    artifact = store.save("m", _fitted("logistic_regression"))
    (tmp_path / "m.skops").unlink()

    with pytest.raises(ArtifactIntegrityError, match="cannot be read") as info:
        store.load(artifact)

    assert info.value.details["path"] == str(tmp_path / "m.skops")


def test_artifact_store_unloadable_bytes_with_matching_hash_is_integrity_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "junk.skops").write_bytes(b"not a zip archive")
    artifact = StoredArtifact(
        path="junk.skops",
        sha256=hashlib.sha256(b"not a zip archive").hexdigest(),
        trusted_types=(),
    )

    with pytest.raises(ArtifactIntegrityError, match="cannot be loaded"):
        ArtifactStore(tmp_path).load(artifact)


def test_artifact_store_object_that_is_not_a_classifier_is_integrity_error(
    tmp_path: Path,
) -> None:
    store = ArtifactStore(tmp_path)
    artifact = store.save("unfitted", LogisticRegression())

    with pytest.raises(ArtifactIntegrityError, match="not a fitted classifier"):
        store.load(artifact)


def test_artifact_store_save_replaces_existing_key(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    first = store.save("m", _fitted("sgd"))

    second = store.save("m", _fitted("random_forest"))

    assert second.sha256 != first.sha256
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.skops"]
    with pytest.raises(ArtifactIntegrityError):
        store.load(first)
    store.load(second)


def test_artifact_store_delete_removes_the_file_and_is_idempotent(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    artifact = store.save("m", _fitted("sgd"))

    store.delete(artifact)
    store.delete(artifact)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../escape",
        "a/b",
        "a\\b",
        "..",
        "a..b",
        ".hidden",
        "-flag",
        "/abs",
        "x" * 201,
        "a b",
        "naïve",
        "a\x00b",
    ],
)
def test_artifact_store_rejects_unsafe_keys(tmp_path: Path, key: str) -> None:
    store = ArtifactStore(tmp_path / "store")

    with pytest.raises(InvalidInputError, match="invalid artifact key"):
        store.save(key, LogisticRegression())

    assert not (tmp_path / "store").exists()


def test_artifact_store_accepts_typical_keys(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)

    artifact = store.save("iris-lr-v1-3f2a9c.b_7", LogisticRegression())

    assert artifact.path == "iris-lr-v1-3f2a9c.b_7.skops"


@pytest.mark.parametrize("path", ["../outside.skops", "sub/m.skops", "m.pkl", "..skops"])
def test_artifact_store_refuses_paths_outside_the_store(tmp_path: Path, path: str) -> None:
    artifact = StoredArtifact(path=path, sha256="0" * 64, trusted_types=())

    with pytest.raises(ArtifactIntegrityError, match=r"artifact path"):
        ArtifactStore(tmp_path).load(artifact)
    with pytest.raises(ArtifactIntegrityError):
        ArtifactStore(tmp_path).delete(artifact)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("iris-lr", "v1", 3), "iris-lr-v1-3"),
        (("My model", "v2", 17), "My_model-v2-17"),
        (("../../etc/passwd", "v1", 1), "etc_passwd-v1-1"),
        (("a..b",), "a_b"),
        (("-lead", 1), "lead-1"),
        (("",), "model"),
        ((), "model"),
    ],
)
def test_make_artifact_key_turns_any_name_into_a_safe_key(
    parts: tuple[object, ...], expected: str
) -> None:
    assert make_artifact_key(*parts) == expected


def test_make_artifact_key_keeps_the_unique_tail_of_long_names() -> None:
    key = make_artifact_key("x" * 500, "v1", "id42")

    assert len(key) == MAX_KEY_LENGTH
    assert key.endswith("x-id42")


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.one_of(st.text(), st.integers()), max_size=4),
    model_id=st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True),
)
def test_make_artifact_key_output_is_always_accepted_and_ends_with_the_id(
    parts: list[object], model_id: str
) -> None:
    key = make_artifact_key(*parts, model_id)

    assert key.endswith(model_id)
    assert len(key) <= MAX_KEY_LENGTH
    check_artifact_key(key)  # the check save applies: raises InvalidInputError if unsafe

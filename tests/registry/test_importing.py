"""Tests for ``registry.importing``: what a model file is, what loads, what the model takes."""

from __future__ import annotations

import os
import pickle
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import skops.io
from skl2onnx import to_onnx
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from modelbeacon.errors import (
    ArtifactIntegrityError,
    InvalidInputError,
    UnsupportedMediaError,
    UntrustedTypeError,
)
from modelbeacon.inputs import FeatureSpec, numeric_features
from modelbeacon.registry.importing import (
    check_parity,
    describe_estimator,
    import_model,
    sniff_model_file,
)
from modelbeacon.registry.onnx_runtime import OnnxPredictor
from modelbeacon.registry.predictor import SklearnPredictor
from tests.registry.models import MIXED_ROWS, iris, mixed_frame_of, mixed_pipeline

IRIS_FEATURES = numeric_features(["sepal_length", "sepal_width", "petal_length", "petal_width"])


class MyTransformer(TransformerMixin, BaseEstimator):
    """A class of the uploader's own: it must never be trusted."""

    def fit(self, X: Any, y: Any = None) -> MyTransformer:
        return self

    def transform(self, X: Any) -> Any:
        return X


def _skops_file(tmp_path: Path, model: Any, name: str = "model.skops") -> Path:
    path = tmp_path / name
    skops.io.dump(model, path)
    return path


def _iris_logistic() -> LogisticRegression:
    X, y = iris()
    return LogisticRegression(max_iter=500).fit(X, y)


def test_import_skops_pipeline_describes_its_mixed_inputs_and_predicts_like_sklearn(
    tmp_path: Path,
) -> None:
    pipeline = mixed_pipeline()

    imported = import_model(_skops_file(tmp_path, pipeline), "model.skops", None, None)

    assert imported.kind == "skops"
    assert imported.features == (
        FeatureSpec("size"),
        FeatureSpec("colour", "categorical", ("blue", "green", "red")),
    )
    assert imported.classes == ("big", "small")
    assert all(type(label) is str for label in imported.classes)
    assert imported.trusted_types == ("numpy.dtype",)
    assert imported.estimator_name == "LogisticRegression"
    assert imported.predictor.runtime == "sklearn"
    assert imported.predictor.accepts_missing is True
    rows = np.array(MIXED_ROWS, dtype=object)  # strings, None and the unseen "purple"
    expected = pipeline.predict_proba(mixed_frame_of(MIXED_ROWS))
    np.testing.assert_allclose(imported.predictor.predict_proba(rows), expected, rtol=0, atol=1e-9)
    assert (
        imported.predictor.predict(rows).tolist()
        == pipeline.predict(mixed_frame_of(MIXED_ROWS)).tolist()
    )


def test_import_records_parity_on_synthetic_rows_or_the_given_ones(tmp_path: Path) -> None:
    path = _skops_file(tmp_path, mixed_pipeline())

    synthetic = import_model(path, "model.skops", None, None).parity
    given = import_model(path, "model.skops", None, None, sample_rows=MIXED_ROWS[:3]).parity

    assert synthetic["rows"] == [[0.0, "blue"], [1.0, "blue"]]
    assert given["rows"] == MIXED_ROWS[:3]
    assert len(given["predictions"]) == 3
    assert all(label in ("big", "small") for label in given["predictions"])
    assert np.asarray(given["probabilities"]).shape == (3, 2)


def test_import_refuses_os_system_in_a_function_transformer_and_runs_nothing(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "pwned"
    payload = Pipeline([("run", FunctionTransformer(func=os.system)), ("model", _iris_logistic())])
    path = _skops_file(tmp_path, payload)

    with pytest.raises(UntrustedTypeError, match=r"posix\.system") as refused:
        import_model(path, "model.skops", None, None)

    assert refused.value.code == "untrusted_type"
    assert refused.value.details == {"types": ["posix.system"]}
    assert not marker.exists()
    # the payload is live: trusted, its transform runs the command it is given
    loaded = skops.io.load(path, trusted=["posix.system"])
    loaded[0].transform(f"touch {marker}")
    assert marker.exists()


def test_import_refuses_builtins_eval(tmp_path: Path) -> None:
    payload = Pipeline([("run", FunctionTransformer(func=eval)), ("model", _iris_logistic())])

    with pytest.raises(UntrustedTypeError, match=r"builtins\.eval"):
        import_model(_skops_file(tmp_path, payload), "model.skops", None, None)


def test_import_refuses_a_class_of_the_test_module_naming_it(tmp_path: Path) -> None:
    X, y = iris()
    model = Pipeline([("mine", MyTransformer()), ("model", LogisticRegression(max_iter=500))])
    path = _skops_file(tmp_path, model.fit(X, y))

    with pytest.raises(UntrustedTypeError, match=r"test_importing\.MyTransformer") as refused:
        import_model(path, "model.skops", None, None)
    assert refused.value.details["types"] == [f"{__name__}.MyTransformer"]


def test_import_never_imports_the_module_of_a_refused_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported"
    package = tmp_path / "code"
    package.mkdir()
    (package / "uploader_module.py").write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from sklearn.base import BaseEstimator, TransformerMixin
            Path({str(marker)!r}).touch()

            class Custom(TransformerMixin, BaseEstimator):
                def fit(self, X, y=None):
                    return self

                def transform(self, X):
                    return X
            """
        )
    )
    monkeypatch.syspath_prepend(str(package))
    from uploader_module import Custom  # type: ignore[import-not-found]

    X, y = iris()
    model = Pipeline([("custom", Custom()), ("model", LogisticRegression(max_iter=500))])
    path = _skops_file(tmp_path, model.fit(X, y))
    monkeypatch.delitem(sys.modules, "uploader_module")
    marker.unlink()

    with pytest.raises(UntrustedTypeError, match=r"uploader_module\.Custom"):
        import_model(path, "model.skops", None, None)
    assert not marker.exists()
    assert "uploader_module" not in sys.modules


@pytest.mark.parametrize("name", ["model.pkl", "model.skops", "model", "model.pickle"])
def test_a_pickle_is_refused_with_415_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(pickle.dumps(_iris_logistic()))

    with pytest.raises(UnsupportedMediaError, match="can run arbitrary code") as refused:
        import_model(path, name, None, None)
    assert "skops.io.dump" in refused.value.message
    assert "skl2onnx" in refused.value.message


def test_a_protocol_0_pickle_is_refused_with_415(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(pickle.dumps(_iris_logistic(), protocol=0))

    with pytest.raises(UnsupportedMediaError, match="can run arbitrary code"):
        sniff_model_file(path, "model.bin")


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3), ("bz2", 3), ("xz", 3)])
def test_a_joblib_file_is_refused_with_415_compressed_or_not(tmp_path: Path, compress: Any) -> None:
    joblib.dump(_iris_logistic(), tmp_path / "model.joblib", compress=compress)
    (tmp_path / "model.joblib").rename(tmp_path / "model.bin")  # the name says nothing

    with pytest.raises(UnsupportedMediaError, match="can run arbitrary code"):
        import_model(tmp_path / "model.bin", "model.bin", None, None)
    with pytest.raises(UnsupportedMediaError, match="can run arbitrary code"):
        sniff_model_file(tmp_path / "model.bin", "model.joblib")


def test_a_truncated_skops_file_is_422(tmp_path: Path) -> None:
    data = _skops_file(tmp_path, mixed_pipeline()).read_bytes()
    (tmp_path / "half.skops").write_bytes(data[: len(data) // 2])

    with pytest.raises(InvalidInputError, match="cannot read the skops file"):
        import_model(tmp_path / "half.skops", "half.skops", None, None)


@pytest.mark.parametrize("name", ["model.skops", "model.onnx", "model.bin"])
@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_are_422_or_415_never_another_error(
    tmp_path: Path, name: str, seed: int
) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(seed).bytes(2048))

    with pytest.raises((InvalidInputError, UnsupportedMediaError)):
        import_model(path, name, IRIS_FEATURES, [0, 1, 2])


def test_a_zip_that_is_not_skops_is_422(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "model.skops", "w") as archive:
        archive.writestr("model.txt", "hello")

    with pytest.raises(InvalidInputError, match="not a skops file"):
        sniff_model_file(tmp_path / "model.skops", "model.skops")


def test_an_unknown_file_is_415_naming_the_accepted_kinds(tmp_path: Path) -> None:
    (tmp_path / "model.csv").write_text("a,b\n1,2\n")

    with pytest.raises(UnsupportedMediaError, match=r"\.skops file .* \.onnx model"):
        sniff_model_file(tmp_path / "model.csv", "model.csv")


def test_sniff_decides_by_content_before_name(tmp_path: Path) -> None:
    X, _ = iris()
    (tmp_path / "a.bin").write_bytes(to_onnx(_iris_logistic(), X[:1]).SerializeToString())
    skops.io.dump(_iris_logistic(), tmp_path / "b.onnx")

    assert sniff_model_file(tmp_path / "a.bin", "a.bin") == "onnx"
    assert sniff_model_file(tmp_path / "b.onnx", "b.onnx") == "skops"


def test_import_of_what_is_not_a_classifier_is_422(tmp_path: Path) -> None:
    X, y = iris()
    unfitted = Pipeline([("model", LogisticRegression())])

    with pytest.raises(InvalidInputError, match="not a fitted classifier"):
        import_model(_skops_file(tmp_path, unfitted), "model.skops", None, None)
    with pytest.raises(InvalidInputError, match="not a fitted classifier"):
        describe_estimator(FunctionTransformer().fit(X, y))


def test_an_array_model_needs_features_given_in_the_right_number(tmp_path: Path) -> None:
    path = _skops_file(tmp_path, _iris_logistic())

    with pytest.raises(InvalidInputError, match="does not say its feature names: give features"):
        import_model(path, "model.skops", None, None)
    with pytest.raises(InvalidInputError, match="takes 4 features but 3 were given"):
        import_model(path, "model.skops", IRIS_FEATURES[:3], None)
    with pytest.raises(InvalidInputError, match="has 3 classes but 2 were given"):
        import_model(path, "model.skops", IRIS_FEATURES, ["a", "b"])

    imported = import_model(path, "model.skops", IRIS_FEATURES, None)

    assert imported.features == IRIS_FEATURES
    assert imported.classes == (0, 1, 2)
    assert imported.trusted_types == ()
    assert imported.predictor.accepts_missing is False


def test_a_model_carrying_its_features_refuses_a_different_count(tmp_path: Path) -> None:
    path = _skops_file(tmp_path, mixed_pipeline())

    with pytest.raises(InvalidInputError, match="takes 2 features but 4 were given"):
        import_model(path, "model.skops", IRIS_FEATURES, None)


@pytest.mark.parametrize("zipmap", [True, False])
def test_import_onnx_reads_classes_from_the_graph_and_keeps_the_given_features(
    tmp_path: Path, zipmap: bool
) -> None:
    X, y = iris()
    estimator = LogisticRegression(max_iter=500).fit(X, np.array(["setosa", "vc", "vg"])[y])
    path = tmp_path / "model.onnx"
    options = {id(estimator): {"zipmap": zipmap}}
    path.write_bytes(to_onnx(estimator, X[:1], options=options).SerializeToString())

    imported = import_model(path, "model.onnx", IRIS_FEATURES, None)

    assert imported.kind == "onnx"
    assert imported.classes == ("setosa", "vc", "vg")
    assert imported.features == IRIS_FEATURES
    assert imported.trusted_types == ()
    assert imported.estimator_name == "onnx"
    assert isinstance(imported.predictor, OnnxPredictor)
    assert imported.parity["rows"] == [[0.0] * 4, [1.0] * 4]
    check_parity(imported.predictor, imported.parity)


def test_import_onnx_needs_numeric_features(tmp_path: Path) -> None:
    X, _ = iris()
    path = tmp_path / "model.onnx"
    path.write_bytes(to_onnx(_iris_logistic(), X[:1]).SerializeToString())
    categorical = (*IRIS_FEATURES[:3], FeatureSpec("kind", "categorical"))

    with pytest.raises(InvalidInputError, match="give features"):
        import_model(path, "model.onnx", None, None)
    with pytest.raises(InvalidInputError, match="every feature must be numeric"):
        import_model(path, "model.onnx", categorical, None)
    with pytest.raises(InvalidInputError, match="takes 4 features, 3 were given"):
        import_model(path, "model.onnx", IRIS_FEATURES[:3], None)


def test_check_parity_passes_for_the_same_model_and_catches_a_swapped_one(
    tmp_path: Path,
) -> None:
    X, y = iris()
    imported = import_model(
        _skops_file(tmp_path, _iris_logistic()),
        "model.skops",
        IRIS_FEATURES,
        None,
        sample_rows=X[::30].tolist(),
    )
    swapped = SklearnPredictor(LogisticRegression(C=0.01, max_iter=500).fit(X, y))

    check_parity(imported.predictor, imported.parity)
    with pytest.raises(ArtifactIntegrityError, match="differ from those it gave at import"):
        check_parity(swapped, imported.parity)


def test_check_parity_allows_the_runtime_tolerance_only() -> None:
    X, y = iris()
    predictor = SklearnPredictor(LogisticRegression(max_iter=500).fit(X, y))
    rows = X[:2].tolist()
    probabilities = predictor.predict_proba(np.array(rows))
    parity = {
        "rows": rows,
        "predictions": predictor.predict(np.array(rows)).tolist(),
        "probabilities": (probabilities + 1e-7).tolist(),
    }

    check_parity(predictor, parity, tolerance=1e-6)
    with pytest.raises(ArtifactIntegrityError):
        check_parity(predictor, parity)  # scikit-learn's own tolerance: 1e-9

"""Tests for ``OnnxPredictor``: skl2onnx models computed by onnxruntime."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from modelbeacon.errors import InvalidInputError, UncomputableInputError
from modelbeacon.registry.onnx_runtime import OnnxPredictor
from modelbeacon.registry.predictor import Predictor
from tests.registry.models import iris

NAMES = np.array(["setosa", "versicolor", "virginica"])


def _onnx(estimator: Any, zipmap: bool) -> bytes:
    X, _ = iris()
    options = {id(estimator): {"zipmap": zipmap}}
    return bytes(to_onnx(estimator, X[:1], options=options).SerializeToString())


def _fitted(kind: str, string_classes: bool = False) -> Any:
    X, y = iris()
    labels = NAMES[y] if string_classes else y
    if kind == "logistic":
        return LogisticRegression(max_iter=500).fit(X, labels)
    return RandomForestClassifier(n_estimators=10, random_state=0).fit(X, labels)


@pytest.mark.parametrize("zipmap", [True, False])
@pytest.mark.parametrize("kind", ["logistic", "forest"])
def test_onnx_predictor_matches_sklearn_within_1e5(kind: str, zipmap: bool) -> None:
    X, _ = iris()
    estimator = _fitted(kind)

    predictor = OnnxPredictor(_onnx(estimator, zipmap))

    assert isinstance(predictor, Predictor)
    assert predictor.classes == (0, 1, 2)
    assert all(type(c) is int for c in predictor.classes)
    assert predictor.n_features == 4
    assert (predictor.runtime, predictor.has_proba, predictor.accepts_missing) == (
        "onnxruntime",
        True,
        False,
    )
    probabilities = predictor.predict_proba(X)
    assert probabilities.dtype == np.float64
    np.testing.assert_allclose(probabilities, estimator.predict_proba(X), rtol=0, atol=1e-5)
    assert (predictor.predict(X) == estimator.predict(X)).mean() > 0.99


@pytest.mark.parametrize("zipmap", [True, False])
def test_onnx_predictor_with_string_classes(zipmap: bool) -> None:
    X, _ = iris()
    estimator = _fitted("logistic", string_classes=True)

    predictor = OnnxPredictor(_onnx(estimator, zipmap))

    assert predictor.classes == ("setosa", "versicolor", "virginica")
    np.testing.assert_allclose(
        predictor.predict_proba(X[:20]), estimator.predict_proba(X[:20]), rtol=0, atol=1e-5
    )
    assert predictor.predict(X[:20]).tolist() == estimator.predict(X[:20]).tolist()


def test_onnx_predictor_refuses_what_float32_cannot_hold() -> None:
    predictor = OnnxPredictor(_onnx(_fitted("logistic"), zipmap=False))

    with pytest.raises(UncomputableInputError, match="float32"):
        predictor.predict_proba(np.array([[1e39, 3.0, 1.4, 0.2]]))
    with pytest.raises(InvalidInputError, match="finite"):
        predictor.predict(np.array([[np.nan, 3.0, 1.4, 0.2]]))
    with pytest.raises(InvalidInputError, match="4 feature columns"):
        predictor.predict(np.zeros((1, 3)))
    with pytest.raises(InvalidInputError, match="finite numbers"):
        predictor.predict(np.array([[None, 3.0, 1.4, 0.2]], dtype=object))
    with pytest.raises(InvalidInputError, match="must be numbers"):
        predictor.predict(np.array([["x", 3.0, 1.4, 0.2]], dtype=object))


def _argmax_graph(classes_in_graph: bool = False, n: Any = 2) -> bytes:
    """A hand-written classifier: probabilities = softmax(X @ W), label = argmax; it carries
    no class labels."""
    weights = helper.make_tensor("W", TensorProto.FLOAT, [2, 2], [1.0, 0.0, 0.0, 1.0])
    nodes = [
        helper.make_node("MatMul", ["X", "W"], ["scores"]),
        helper.make_node("Softmax", ["scores"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "argmax",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, n])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
        ],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return bytes(model.SerializeToString())


def test_onnx_predictor_takes_classes_given_when_the_graph_has_none() -> None:
    with pytest.raises(InvalidInputError, match="does not say its classes: give classes"):
        OnnxPredictor(_argmax_graph())
    with pytest.raises(InvalidInputError, match="labels are ints"):
        OnnxPredictor(_argmax_graph(), classes=["no", "yes"])
    with pytest.raises(InvalidInputError, match="2 probabilities per row but has 3 classes"):
        OnnxPredictor(_argmax_graph(), classes=[0, 1, 2])

    predictor = OnnxPredictor(_argmax_graph(), classes=[0, 1])

    assert predictor.classes == (0, 1)
    np.testing.assert_allclose(
        predictor.predict_proba(np.array([[0.0, 0.0], [5.0, 0.0]])),
        [[0.5, 0.5], [np.exp(5) / (np.exp(5) + 1), 1 / (np.exp(5) + 1)]],
        rtol=1e-6,
    )
    assert predictor.predict(np.array([[0.0, 3.0]])).tolist() == [1]


def test_onnx_predictor_width_from_the_caller_when_the_graph_does_not_fix_it() -> None:
    with pytest.raises(InvalidInputError, match="does not fix its number of features"):
        OnnxPredictor(_argmax_graph(n="n"), classes=[0, 1])

    assert OnnxPredictor(_argmax_graph(n="n"), classes=[0, 1], n_features=2).n_features == 2


def test_onnx_predictor_refuses_other_signatures_naming_them() -> None:
    two_inputs = helper.make_model(
        helper.make_graph(
            [helper.make_node("Add", ["A", "B"], ["C"])],
            "add",
            [
                helper.make_tensor_value_info("A", TensorProto.FLOAT, [None, 2]),
                helper.make_tensor_value_info("B", TensorProto.FLOAT, [None, 2]),
            ],
            [helper.make_tensor_value_info("C", TensorProto.FLOAT, [None, 2])],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    strings = helper.make_model(
        helper.make_graph(
            [helper.make_node("Identity", ["S"], ["T"])],
            "strings",
            [helper.make_tensor_value_info("S", TensorProto.STRING, [None, 2])],
            [helper.make_tensor_value_info("T", TensorProto.STRING, [None, 2])],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )

    with pytest.raises(InvalidInputError, match=r"one float tensor .*'A: tensor\(float\).*'B: "):
        OnnxPredictor(two_inputs.SerializeToString(), classes=[0, 1])
    with pytest.raises(InvalidInputError, match=r"tensor\(string\)"):
        OnnxPredictor(strings.SerializeToString(), classes=[0, 1])


def test_onnx_predictor_refuses_external_data_and_garbage() -> None:
    model = onnx.load_from_string(_argmax_graph())
    weights = model.graph.initializer[0]
    weights.ClearField("float_data")
    weights.data_location = TensorProto.EXTERNAL
    weights.external_data.add(key="location", value="/etc/passwd")

    with pytest.raises(InvalidInputError, match="external data"):
        OnnxPredictor(model.SerializeToString(), classes=[0, 1])
    with pytest.raises(InvalidInputError, match="ONNX model"):
        OnnxPredictor(b"\x08\x07garbage", classes=[0, 1])


def test_onnx_predictor_is_safe_to_share_between_threads() -> None:
    X, _ = iris()
    predictor = OnnxPredictor(_onnx(_fitted("forest"), zipmap=False))
    expected = predictor.predict_proba(X)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: predictor.predict_proba(X[i : i + 1]), range(150)))

    np.testing.assert_array_equal(np.vstack(results), expected)

"""A ``Predictor`` over an ONNX classifier, computed by onnxruntime.

The contract is the graph skl2onnx writes for a classifier: one float tensor input of shape
[None, n] and two outputs, the label (an int64 or string tensor) then the probabilities, as a
float tensor (``zipmap=False``) or a sequence of class -> probability maps (ZipMap). The
classes are read from the graph (the ZipMap's or the classifier node's ``classlabels_*``
attribute) where it carries them. Any other signature is refused when the predictor is built,
so a model that loads is one the predict path can call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from modelbeacon.errors import InvalidInputError, UncomputableInputError

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_FLOAT_INPUTS = ("tensor(float)", "tensor(double)")
_LABEL_TYPES = {"tensor(int64)": int, "tensor(string)": str}
# attributes holding the class labels, on a ZipMap node then on a *Classifier node
_CLASS_ATTRIBUTES = ("classlabels_int64s", "classlabels_ints", "classlabels_strings")


class OnnxPredictor:
    """A ``Predictor`` over the serialized ONNX model ``model_bytes``.

    ``classes`` are used when the graph does not carry its class labels; ``n_features`` when
    its input does not fix its width. Raises ``InvalidInputError`` when the bytes are not an
    ONNX model onnxruntime can run, its signature is not one float input and label plus
    probability outputs (the message names what was found), its classes are neither in the
    graph nor given (or disagree in number or type with it), or ``n_features`` contradicts the
    graph. ``X`` is cast to float32, the type the graph computes in. onnxruntime's
    ``InferenceSession.run`` is thread-safe, so one predictor serves every thread.
    """

    def __init__(
        self,
        model_bytes: bytes,
        classes: Sequence[Any] | None = None,
        n_features: int | None = None,
    ) -> None:
        # onnx and onnxruntime load on the first ONNX model, not with the registry: they add
        # most of a second to every process that imports it (each training child included)
        import onnxruntime

        model = _parsed(model_bytes)
        options = onnxruntime.SessionOptions()
        # one thread per call: calls already run in parallel on the worker pool
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(
                model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped Fail/InvalidGraph
            raise InvalidInputError(
                f"onnxruntime cannot run this ONNX model: {exc}", details={"reason": str(exc)}
            ) from exc
        self._input, self._n_features = self._input_of(n_features)
        self._label, self._probabilities, label_type, zipmap = self._outputs_of()
        self._zipmap = zipmap
        self._classes = _classes_of(model, classes, label_type)
        shape = self._session.get_outputs()[1].shape
        width = shape[1] if not zipmap and len(shape) == 2 else None
        if isinstance(width, int) and width != len(self._classes):
            raise InvalidInputError(
                f"the model gives {width} probabilities per row but has "
                f"{len(self._classes)} classes",
                details={"probabilities": width, "classes": len(self._classes)},
            )

    @property
    def n_features(self) -> int:
        return self._n_features

    @property
    def classes(self) -> tuple[Any, ...]:
        return self._classes

    @property
    def has_proba(self) -> bool:
        return True

    @property
    def runtime(self) -> str:
        return "onnxruntime"

    @property
    def accepts_missing(self) -> bool:
        return False

    def predict(self, X: np.ndarray) -> np.ndarray:
        (labels,) = self._session.run([self._label], {self._input: self._checked(X)})
        return np.asarray(labels)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        (out,) = self._session.run([self._probabilities], {self._input: self._checked(X)})
        if self._zipmap:
            return np.array([[row[c] for c in self._classes] for row in out], dtype=np.float64)
        return np.asarray(out, dtype=np.float64)

    def _checked(self, X: np.ndarray) -> np.ndarray:
        try:
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(
                "features must be numbers", details={"reason": str(exc)}
            ) from exc
        if values.ndim != 2 or values.shape[1] != self._n_features:
            raise InvalidInputError(
                f"expected a 2-D array with {self._n_features} feature columns, "
                f"got shape {tuple(values.shape)}",
                details={"expected_features": self._n_features, "shape": list(values.shape)},
            )
        if not np.isfinite(values).all():
            raise InvalidInputError("features must be finite numbers (no NaN or infinity)")
        if (np.abs(values) > _FLOAT32_MAX).any():
            raise UncomputableInputError(
                "a feature value is too large for the model to compute with: the ONNX model "
                f"computes in float32, whose largest value is {_FLOAT32_MAX:.4g}"
            )
        return values.astype(np.float32)

    def _input_of(self, n_features: int | None) -> tuple[str, int]:
        inputs = self._session.get_inputs()
        found = [f"{i.name}: {i.type} {i.shape}" for i in inputs]
        shape = inputs[0].shape if len(inputs) == 1 else []
        if len(inputs) != 1 or inputs[0].type not in _FLOAT_INPUTS or len(shape) != 2:
            raise InvalidInputError(
                "an ONNX model must take one float tensor of shape [None, n_features]; "
                f"this one takes {found}",
                details={"inputs": found},
            )
        name = inputs[0].name
        if not isinstance(shape[1], int):  # a symbolic width: the caller says it
            if n_features is None:
                raise InvalidInputError(
                    "the ONNX model does not fix its number of features: give features",
                    details={"inputs": found},
                )
            return name, n_features
        if n_features is not None and shape[1] != n_features:
            raise InvalidInputError(
                f"the model takes {shape[1]} features, {n_features} were given",
                details={"model_features": shape[1], "given_features": n_features},
            )
        return name, shape[1]

    def _outputs_of(self) -> tuple[str, str, str, bool]:
        outputs = self._session.get_outputs()
        found = [f"{o.name}: {o.type}" for o in outputs]
        if len(outputs) == 2 and outputs[0].type in _LABEL_TYPES:
            label, probabilities = outputs
            if probabilities.type in _FLOAT_INPUTS:
                return label.name, probabilities.name, label.type, False
            if probabilities.type.startswith("seq(map(") and "tensor(float)" in probabilities.type:
                return label.name, probabilities.name, label.type, True
        raise InvalidInputError(
            "an ONNX classifier must give a label (int64 or string tensor) and probabilities "
            f"(float tensor or ZipMap), in that order; this one gives {found}",
            details={"outputs": found},
        )


def _parsed(model_bytes: bytes) -> Any:
    """The graph of ``model_bytes``, refused when it reads tensors from outside the bytes."""
    import onnx

    try:
        model = onnx.load_from_string(model_bytes)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise InvalidInputError(
            f"cannot read the ONNX model: {exc}", details={"reason": str(exc)}
        ) from exc
    # external data names a file to read; an uploaded model must not read server files
    if any(
        tensor.data_location == onnx.TensorProto.EXTERNAL for tensor in _tensors_of(model.graph)
    ):
        raise InvalidInputError(
            "the ONNX model refers to external data files: save it with its tensors inside"
        )
    return model


def _tensors_of(graph: Any) -> list[Any]:
    tensors = list(graph.initializer)
    for node in graph.node:
        for attribute in node.attribute:
            tensors.extend([attribute.t] if attribute.HasField("t") else [])
            tensors.extend(attribute.tensors)
            for subgraph in [attribute.g] if attribute.HasField("g") else []:
                tensors.extend(_tensors_of(subgraph))
            for subgraph in attribute.graphs:
                tensors.extend(_tensors_of(subgraph))
    return tensors


def _classes_of(model: Any, given: Sequence[Any] | None, label_type: str) -> tuple[Any, ...]:
    from_graph = _graph_classes(model.graph)
    if from_graph is not None:
        if given is not None and len(given) != len(from_graph):
            raise InvalidInputError(
                f"the model has {len(from_graph)} classes, {len(given)} were given",
                details={"model_classes": list(from_graph), "given_classes": list(given)},
            )
        return from_graph
    if given is None:
        raise InvalidInputError(
            "the ONNX model does not say its classes: give classes (in the order of its "
            "probability columns)"
        )
    kind = _LABEL_TYPES[label_type]
    if not all(isinstance(c, kind) and not isinstance(c, bool) for c in given):
        raise InvalidInputError(
            f"the model's labels are {kind.__name__}s: give classes as {kind.__name__}s",
            details={"given_classes": list(given)},
        )
    return tuple(given)


def _graph_classes(graph: Any) -> tuple[Any, ...] | None:
    import onnx

    nodes = [n for n in graph.node if n.op_type == "ZipMap"]
    nodes += [n for n in graph.node if n.op_type.endswith("Classifier")]
    for node in nodes:
        for attribute in node.attribute:
            if attribute.name in _CLASS_ATTRIBUTES:
                values = onnx.helper.get_attribute_value(attribute)
                return tuple(v.decode("utf-8") if isinstance(v, bytes) else int(v) for v in values)
    return None

"""Importing a user's model file: decide what it is, load it safely, say what it takes.

Security comes first. The kind of file is decided by its content and name, never by the
client's content type. A pickle or joblib file is never loaded (loading one runs whatever code
it names). A skops file is loaded only when every type it holds that skops does not trust by
default is on ``allowlist``; that check reads the file's schema only, so nothing of a refused
file runs. An ONNX model is data for onnxruntime and never touches the Python interpreter.

At import the model's own outputs on a few rows are recorded (``parity``); ``check_parity``
re-runs them each time the model is loaded, so a runtime or library that now computes
something else is caught before the model serves a prediction.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import skops.io  # type: ignore[import-untyped]
from sklearn.compose import ColumnTransformer  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, TargetEncoder  # type: ignore[import-untyped]

from modelbeacon.errors import (
    ArtifactIntegrityError,
    InvalidInputError,
    ModelbeaconError,
    UnsupportedMediaError,
)
from modelbeacon.inputs import FeatureSpec, all_numeric, is_missing
from modelbeacon.registry.allowlist import check_allowlisted
from modelbeacon.registry.onnx_runtime import OnnxPredictor
from modelbeacon.registry.predictor import (
    Predictor,
    SklearnPredictor,
    estimators_within,
    non_finite_rows,
)

ModelKind = Literal["skops", "onnx"]

#: How far probabilities may move between import and a later load, per runtime: scikit-learn
#: recomputes in float64; onnxruntime in float32, whose kernels may differ across versions.
PARITY_TOLERANCE = {"sklearn": 1e-9, "onnxruntime": 1e-5}
#: A skops archive whose members would unpack past this is refused before skops reads it.
MAX_UNPACKED_BYTES = 2 * 1024**3

ACCEPTED = (
    "a .skops file (skops.io.dump of a fitted scikit-learn classifier or Pipeline) or an "
    ".onnx model (skl2onnx's to_onnx)"
)
PICKLE_REFUSAL = (
    "pickle and joblib files can run arbitrary code when they are loaded, so they are never "
    "loaded: save the model with skops.io.dump(model, 'model.skops') or convert it to ONNX "
    "with skl2onnx.to_onnx"
)
_PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".joblib"})
_ZIP = b"PK\x03\x04"
# opcodes a protocol 0/1 pickle starts with (MARK, EMPTY_LIST/DICT/TUPLE, GLOBAL, NONE, INT,
# FLOAT, LONG, STRING, UNICODE); such a pickle always ends with STOP
_OLD_PICKLE_START = b"(])}cNIFLSV"
_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x04\x22\x4d\x18": "lz4",
}
_DECOMPRESSORS: dict[str, Callable[[], Any]] = {
    "zlib": zlib.decompressobj,
    "gzip": lambda: zlib.decompressobj(wbits=31),
    "bz2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
}
_ENCODERS = (OneHotEncoder, OrdinalEncoder, TargetEncoder)


@dataclass(frozen=True)
class LoadedModel:
    """A model file that passed every check, loaded: what it is, its predictor, the features
    and classes it is served with, the skops types its artifact must trust to load again
    (empty for ONNX), and what computes it (the final estimator's class name, ``"onnx"`` for
    an ONNX model)."""

    kind: ModelKind
    predictor: Predictor
    features: tuple[FeatureSpec, ...]
    classes: tuple[Any, ...]
    trusted_types: tuple[str, ...]
    estimator_name: str


@dataclass(frozen=True)
class ImportedModel(LoadedModel):
    """A ``LoadedModel`` with its outputs at import on a few rows (``check_parity``)."""

    parity: dict[str, Any]


def sniff_model_file(path: Path, filename: str) -> ModelKind:
    """What the file at ``path`` (uploaded as ``filename``) holds, from its content and name.

    Raises ``UnsupportedMediaError`` (415) for a pickle or joblib file (by content, compressed
    or not, or by a .pkl/.pickle/.joblib name) and for anything neither skops nor ONNX;
    ``InvalidInputError`` (422) for a zip archive that is not a skops file, or a file named
    .skops that is not a zip archive.
    """
    suffix = Path(filename).suffix.lower()
    with path.open("rb") as file:
        head = file.read(16)
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - 1))
        last = file.read(1)
    if suffix in _PICKLE_SUFFIXES or _is_pickle(head, last):
        raise UnsupportedMediaError(PICKLE_REFUSAL, details={"filename": filename})
    compression = _compression_of(head)
    if compression is not None:
        _refuse_compressed(path, filename, compression)
    if head.startswith(_ZIP):
        return _zip_kind(path)
    if suffix == ".onnx":
        return "onnx"
    if suffix == ".skops":
        raise InvalidInputError(
            "cannot read the skops file: it is not a zip archive", details={"filename": filename}
        )
    # field 1 of a ModelProto (ir_version, a varint) comes first in what onnx writes
    if head[:1] == b"\x08" and _is_onnx(path.read_bytes()):
        return "onnx"
    raise UnsupportedMediaError(
        f"{filename!r} is not a model file modelbeacon accepts: send {ACCEPTED}",
        details={"filename": filename},
    )


def import_model(
    path: Path,
    filename: str,
    features: Sequence[FeatureSpec] | None,
    classes: Sequence[Any] | None,
    sample_rows: Sequence[Sequence[Any]] | None = None,
) -> ImportedModel:
    """Check, load and describe the model file at ``path`` (``load_model_file``), and record
    its ``parity`` (``with_parity``)."""
    return with_parity(load_model_file(path, filename, features, classes), sample_rows)


def load_model_file(
    path: Path,
    filename: str,
    features: Sequence[FeatureSpec] | None,
    classes: Sequence[Any] | None,
) -> LoadedModel:
    """Check, load and describe the model file at ``path``.

    ``features`` and ``classes`` are used where the model does not carry them, and must agree
    in number with it. Raises what ``sniff_model_file`` raises, ``UntrustedTypeError`` for a
    skops file holding a type off the allowlist, and ``InvalidInputError`` for a file that
    cannot be read, a model that is not a fitted classifier, or features or classes missing or
    contradicting it.
    """
    kind = sniff_model_file(path, filename)
    if kind == "skops":
        estimator, trusted = _load_skops(path.read_bytes())
        own_features, own_classes = describe_estimator(estimator)
        agreed = _agreed_features(own_features, features, int(estimator.n_features_in_))
        _check_class_count(own_classes, classes)
        final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        name = type(final).__name__
        try:
            predictor: Predictor = SklearnPredictor(
                estimator, None if own_features is None else agreed
            )
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
    else:
        if features is None:
            raise InvalidInputError("the model does not say its feature names: give features")
        if not all_numeric(features):
            raise InvalidInputError(
                "an ONNX model takes one float tensor: every feature must be numeric"
            )
        agreed, trusted, name = tuple(features), (), "onnx"
        predictor = OnnxPredictor(path.read_bytes(), classes, n_features=len(agreed))
    return LoadedModel(
        kind=kind,
        predictor=predictor,
        features=agreed,
        classes=predictor.classes,
        trusted_types=trusted,
        estimator_name=name,
    )


def with_parity(
    loaded: LoadedModel, sample_rows: Sequence[Sequence[Any]] | None = None
) -> ImportedModel:
    """``loaded`` with its outputs on ``sample_rows`` (rows in feature order, e.g. from a
    reference CSV), or without them on two synthetic rows (numeric features 0.0 then 1.0,
    categorical ones their first category). ``InvalidInputError`` when it cannot compute
    them."""
    rows = sample_rows if sample_rows else _synthetic_rows(loaded.features)
    return ImportedModel(
        **{f.name: getattr(loaded, f.name) for f in fields(LoadedModel)},
        parity=parity_of(loaded.predictor, rows),
    )


def describe_estimator(
    estimator: Any,
) -> tuple[tuple[FeatureSpec, ...] | None, tuple[Any, ...]]:
    """The features (``None`` for a model fitted on an array) and classes ``estimator`` says.

    Feature names come from ``feature_names_in_``. A column a ``ColumnTransformer`` anywhere
    in the model routes through a OneHotEncoder, OrdinalEncoder or TargetEncoder (alone or
    inside a Pipeline) is categorical, with that encoder's categories (NaN dropped); any
    other is numeric. Raises ``InvalidInputError`` unless ``estimator`` is a fitted
    classifier.
    """
    try:
        if not callable(getattr(estimator, "predict", None)):
            raise AttributeError("predict")
        classes = tuple(np.asarray(estimator.classes_).tolist())
        int(estimator.n_features_in_)
    except AttributeError as exc:
        raise InvalidInputError(
            f"the file holds a {type(estimator).__name__}, not a fitted classifier",
            details={"model": type(estimator).__name__},
        ) from exc
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return None, classes
    categorical = _categorical_columns(estimator)
    features = tuple(
        FeatureSpec(str(name), "categorical", categorical[str(name)] or None)
        if str(name) in categorical
        else FeatureSpec(str(name))
        for name in names
    )
    return features, classes


def check_parity(
    predictor: Predictor, parity: dict[str, Any], tolerance: float | None = None
) -> None:
    """Raise ``ArtifactIntegrityError`` unless ``predictor`` gives, on ``parity["rows"]``, the
    predictions recorded at import and probabilities within ``tolerance`` of the recorded
    ones (by default ``PARITY_TOLERANCE`` of its runtime)."""
    limit = PARITY_TOLERANCE.get(predictor.runtime, 1e-9) if tolerance is None else tolerance
    try:
        now = parity_of(predictor, parity["rows"])
    except InvalidInputError as exc:
        raise ArtifactIntegrityError(
            f"the model no longer computes the rows it was checked on at import: {exc.message}",
            details={"reason": exc.message},
        ) from exc
    expected = parity.get("probabilities")
    probabilities_differ = (expected is None) != (now["probabilities"] is None) or (
        expected is not None
        and not np.allclose(now["probabilities"], expected, rtol=0.0, atol=limit)
    )
    if now["predictions"] != parity["predictions"] or probabilities_differ:
        raise ArtifactIntegrityError(
            f"the model's outputs differ from those it gave at import (tolerance {limit}): "
            "the artifact or its runtime changed",
            details={
                "expected_predictions": parity["predictions"],
                "predictions": now["predictions"],
            },
        )


def _load_skops(data: bytes) -> tuple[Any, tuple[str, ...]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
        untrusted = skops.io.get_untrusted_types(data=data)
    except Exception as exc:  # zipfile, json and skops' own errors for a damaged file
        raise InvalidInputError(
            f"cannot read the skops file: {exc}", details={"reason": str(exc)}
        ) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInputError(
            f"cannot read the skops file: it would unpack to {unpacked} bytes, more than "
            f"the {MAX_UNPACKED_BYTES} accepted"
        )
    trusted = check_allowlisted(untrusted)
    try:
        return skops.io.loads(data, trusted=list(trusted)), trusted
    except Exception as exc:
        raise InvalidInputError(
            f"cannot read the skops file: {exc}", details={"reason": str(exc)}
        ) from exc


def _agreed_features(
    own: tuple[FeatureSpec, ...] | None, given: Sequence[FeatureSpec] | None, n_features: int
) -> tuple[FeatureSpec, ...]:
    if given is not None and len(given) != n_features:
        raise InvalidInputError(
            f"the model takes {n_features} features but {len(given)} were given",
            details={"model_features": n_features, "given_features": len(given)},
        )
    if own is not None:
        return own
    if given is None:
        raise InvalidInputError("the model does not say its feature names: give features")
    if not all_numeric(given):
        raise InvalidInputError(
            "the model was fitted on an array of numbers: every feature must be numeric"
        )
    return tuple(given)


def _check_class_count(own: tuple[Any, ...], given: Sequence[Any] | None) -> None:
    if given is not None and len(given) != len(own):
        raise InvalidInputError(
            f"the model has {len(own)} classes but {len(given)} were given",
            details={"model_classes": list(own), "given_classes": list(given)},
        )


def _categorical_columns(estimator: Any) -> dict[str, tuple[str | int, ...]]:
    """Each column an encoder inside a fitted ColumnTransformer takes, with its categories."""
    found: dict[str, tuple[str | int, ...]] = {}
    for part in estimators_within(estimator):
        if not isinstance(part, ColumnTransformer) or not hasattr(part, "transformers_"):
            continue
        inputs = [str(name) for name in getattr(part, "feature_names_in_", [])]
        indices: dict[str, Any] = getattr(part, "_transformer_to_input_indices", {})
        for name, transformer, _columns in part.transformers_:
            encoder = _encoder_in(transformer)
            if encoder is None or not inputs or name not in indices:
                continue
            columns = [inputs[int(i)] for i in indices[name]]
            if len(columns) == len(encoder.categories_):
                for column, categories in zip(columns, encoder.categories_, strict=True):
                    found[column] = _categories(categories)
    return found


def _encoder_in(transformer: Any) -> Any:
    if isinstance(transformer, _ENCODERS):
        return transformer
    if isinstance(transformer, Pipeline):
        return next((s for _, s in transformer.steps if isinstance(s, _ENCODERS)), None)
    return None


def _categories(values: np.ndarray) -> tuple[str | int, ...]:
    kept: list[str | int] = []
    for value in np.asarray(values).tolist():
        if is_missing(value):
            continue
        kept.append(int(value) if isinstance(value, float) and value.is_integer() else value)
    return tuple(kept)


def _synthetic_rows(features: Sequence[FeatureSpec]) -> list[list[Any]]:
    def value(feature: FeatureSpec, number: float) -> Any:
        if feature.kind == "numeric":
            return number
        return feature.categories[0] if feature.categories else ""

    return [[value(feature, number) for feature in features] for number in (0.0, 1.0)]


def parity_of(predictor: Predictor, rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """``predictor``'s outputs on ``rows`` as JSON-able lists; ``InvalidInputError`` when it
    cannot compute them."""
    kept = [[_plain(value) for value in row] for row in rows]
    X = np.array(kept, dtype=object)
    try:
        predictions = predictor.predict(X).tolist()
        probabilities = predictor.predict_proba(X) if predictor.has_proba else None
    except ModelbeaconError as exc:
        raise InvalidInputError(
            f"the model cannot compute the rows it is checked on: {exc.message}",
            details={"rows": kept, "reason": exc.message},
        ) from exc
    except Exception as exc:  # an imported model may fail in any way scikit-learn can
        raise InvalidInputError(
            f"the model fails on the rows it is checked on: {exc}",
            details={"rows": kept, "reason": str(exc)},
        ) from exc
    if probabilities is not None and non_finite_rows(probabilities):
        raise InvalidInputError(
            "the model's probabilities come out as NaN or infinity on the rows it is checked on",
            details={"rows": kept},
        )
    return {
        "rows": kept,
        "predictions": predictions,
        "probabilities": None if probabilities is None else probabilities.tolist(),
    }


def _plain(value: Any) -> Any:
    """``value`` as JSON holds it: numpy scalars as Python ones, NaN as ``None`` (missing)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _is_pickle(head: bytes, last: bytes) -> bool:
    if head[:1] == b"\x80":  # PROTO, first opcode of every protocol 2+ pickle
        return len(head) > 1 and 2 <= head[1] <= 5
    return bool(head) and head[0] in _OLD_PICKLE_START and last == b"."


def _compression_of(head: bytes) -> str | None:
    """The compression ``head`` starts a stream of (zlib by its checksummed header)."""
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    return next((name for magic, name in _COMPRESSED.items() if head.startswith(magic)), None)


def _refuse_compressed(path: Path, filename: str, compression: str) -> None:
    """Raise ``UnsupportedMediaError``: a compressed stream is never a model modelbeacon
    loads. The message says why a pickle is refused when the stream holds one (joblib
    compresses its pickles with zlib, gzip, bz2, xz or lz4; lz4, which the standard library
    cannot read, is taken for joblib's)."""
    details = {"filename": filename, "compression": compression}
    inner = b""
    if compression in _DECOMPRESSORS:
        with path.open("rb") as file:
            start = file.read(4096)
        try:
            inner = _DECOMPRESSORS[compression]().decompress(start, 16)
        except (zlib.error, OSError, EOFError, lzma.LZMAError):
            inner = b""
    if compression == "lz4" or _is_pickle(inner, b"."):
        raise UnsupportedMediaError(
            f"a {compression}-compressed pickle, as joblib writes: {PICKLE_REFUSAL}",
            details=details,
        )
    raise UnsupportedMediaError(
        f"{filename!r} is a {compression}-compressed file, not a model file modelbeacon "
        f"accepts: send {ACCEPTED}",
        details=details,
    )


def _zip_kind(path: Path) -> ModelKind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInputError(
            f"cannot read the skops file: {exc}", details={"reason": str(exc)}
        ) from exc
    if "schema.json" not in names:
        raise InvalidInputError(
            "the zip archive is not a skops file (it has no schema.json): save the model "
            "with skops.io.dump"
        )
    return "skops"


def _is_onnx(data: bytes) -> bool:
    import onnx  # loaded on the first ONNX file, as in onnx_runtime

    try:
        model = onnx.load_from_string(data)
    except Exception:  # protobuf's DecodeError: not an ONNX model
        return False
    return bool(model.ir_version > 0 and len(model.graph.node) > 0)

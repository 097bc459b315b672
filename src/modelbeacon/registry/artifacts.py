"""Artifacts on disk: models (skops, ONNX) and uploaded datasets (CSV), written atomically
and read back only if intact.

Models are stored with skops or as ONNX, never pickle, so loading a file cannot run arbitrary
code. skops refuses types it does not trust by default; rather than trusting everything, the
store records when a file is saved exactly the types it needs (those the store wrote itself,
or those an imported file passed the allowlist with), and trusts only those when loading it
back. A sha256 of the file's bytes, recorded at save time and checked before every load or
read, catches a file that was truncated, corrupted or swapped.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import skops.io  # type: ignore[import-untyped]

from modelbeacon.errors import ArtifactIntegrityError, InvalidInputError
from modelbeacon.inputs import FeatureSpec
from modelbeacon.registry.onnx_runtime import OnnxPredictor
from modelbeacon.registry.predictor import Predictor, SklearnPredictor

SUFFIX = ".skops"
#: What the store keeps: skops models, ONNX models, uploaded datasets.
SUFFIXES = (".skops", ".onnx", ".csv")
MODEL_SUFFIXES = (".skops", ".onnx")
_CHUNK = 1024 * 1024
# A plain file name: starts with a letter or digit, then letters, digits, '.', '_' or '-'
# (no separators, so it cannot leave the store; ".." is refused separately). 200 leaves room
# for the suffix within the 255 characters the database keeps for a path.
MAX_KEY_LENGTH = 200
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class StoredArtifact:
    """Where an artifact is (``path``, relative to the store root, its suffix saying what it
    is), what its bytes hash to, and the skops types that must be trusted to load it (empty
    for other kinds). Everything needed to load it again."""

    path: str
    sha256: str
    trusted_types: tuple[str, ...]


def make_artifact_key(*parts: object) -> str:
    """A key ``ArtifactStore.save`` accepts, built from ``parts`` such as a user's model name,
    its version and its id: ``make_artifact_key("My model", "v2", 17) == "My_model-v2-17"``.

    Every run of characters other than ASCII letters, digits, '_' and '-' becomes one '_' (so
    no '.', no separator, no '..'); parts are joined with '-'. When the result would exceed
    ``MAX_KEY_LENGTH``, the leading parts are cut, so the last part (an id, for uniqueness)
    survives whole as long as it fits alone. Distinct inputs may map to the same key: end
    with something unique.
    """
    slugs = [_UNSAFE_RUN.sub("_", str(part)).strip("_") or "_" for part in parts]
    key = "-".join(slugs)
    if slugs and len(key) > MAX_KEY_LENGTH:
        tail = slugs[-1][-MAX_KEY_LENGTH:]
        head = "-".join(slugs[:-1])[: max(0, MAX_KEY_LENGTH - len(tail) - 1)]
        key = f"{head}-{tail}" if head else tail
    return key.lstrip("_-") or "model"


def check_artifact_key(key: str) -> None:
    """Raise ``InvalidInputError`` unless ``key`` is a plain file name ``save`` accepts:
    1-200 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit, no '..'."""
    if not isinstance(key, str) or not _KEY.fullmatch(key) or ".." in key:
        raise InvalidInputError(
            f"invalid artifact key {key!r}: use 1-200 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, without '..'",
            details={"key": repr(key)},
        )


class ArtifactStore:
    """Saves, loads and deletes artifacts as ``<key><suffix>`` files under ``root``: models
    as ``.skops`` or ``.onnx``, uploaded datasets as ``.csv``.

    ``root`` is created on the first ``save``. Saving the same key again atomically replaces
    the file (readers see the old or the new one, never a mix). The store keeps no state
    besides ``root``; it is safe to share between threads as long as two threads do not save
    the same key at once.
    """

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    @property
    def root(self) -> Path:
        return self._root

    def save(self, key: str, estimator: Any) -> StoredArtifact:
        """Write ``estimator`` with skops to ``<root>/<key>.skops`` and describe what was written.

        The bytes go to a temporary file in the same directory, are fsynced, then renamed over
        the target, so a crash never leaves a half-written artifact under the final name.
        Raises ``InvalidInputError`` for a key that is not a plain file name; an error from
        skops or the file system propagates as is (nothing is left behind).
        """
        check_artifact_key(key)
        data: bytes = skops.io.dumps(estimator)
        # computed from the very bytes written, so load can trust exactly what was saved
        trusted = tuple(skops.io.get_untrusted_types(data=data))
        name = key + SUFFIX
        self._root.mkdir(parents=True, exist_ok=True)
        _write_atomically(self._root / name, lambda file: file.write(data))
        return StoredArtifact(
            path=name, sha256=hashlib.sha256(data).hexdigest(), trusted_types=trusted
        )

    def save_file(
        self, key: str, suffix: str, source: Path, trusted_types: tuple[str, ...] = ()
    ) -> StoredArtifact:
        """Copy the already-written file ``source`` to ``<root>/<key><suffix>`` and describe it.

        The copy streams (the file is never read whole), hashing as it goes, into a temporary
        file in the store that is fsynced then renamed over the target: readers see the old
        file or the new one, and a crash leaves no half-written artifact under the final
        name. ``source`` is left in place for its owner to remove. ``trusted_types`` are the
        skops types the file needs (an imported skops model's allowlisted types). Raises
        ``InvalidInputError`` for a key that is not a plain file name or a suffix not in
        ``SUFFIXES``; an ``OSError`` propagates as is (nothing is left behind).
        """
        check_artifact_key(key)
        if suffix not in SUFFIXES:
            raise InvalidInputError(
                f"an artifact is one of {', '.join(SUFFIXES)}, not {suffix!r}",
                details={"suffix": suffix},
            )
        name = key + suffix
        self._root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()

        def copy(target: IO[bytes]) -> None:
            with source.open("rb") as file:
                while chunk := file.read(_CHUNK):
                    digest.update(chunk)
                    target.write(chunk)

        _write_atomically(self._root / name, copy)
        return StoredArtifact(
            path=name, sha256=digest.hexdigest(), trusted_types=tuple(trusted_types)
        )

    def load(
        self,
        artifact: StoredArtifact,
        features: Sequence[FeatureSpec] | None = None,
        classes: Sequence[Any] | None = None,
    ) -> Predictor:
        """Load the model ``artifact`` as a ``Predictor``, trusting only its recorded types.

        A ``.skops`` file becomes a ``SklearnPredictor`` described by ``features`` (a model
        fitted on a DataFrame takes rows of its features; by default all numeric). An
        ``.onnx`` file becomes an ``OnnxPredictor``; ``classes`` and the number of
        ``features`` are used where its graph does not carry them. Raises
        ``ArtifactIntegrityError`` (``details`` name the path) when the file is missing or
        unreadable, its sha256 differs from the recorded one, it is not a model, skops or
        onnxruntime refuses or fails to load it, or what it holds is not a fitted classifier
        described by ``features``.
        """
        path = self._path_of(artifact)
        details: dict[str, Any] = {"path": str(path)}
        if path.suffix not in MODEL_SUFFIXES:
            raise ArtifactIntegrityError(
                f"artifact {artifact.path!r} is not a model", details=details
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _unreadable(artifact, path, exc) from exc
        _check_digest(artifact, hashlib.sha256(data).hexdigest(), details)
        try:
            # the bytes just verified are the ones loaded: no second read to race with
            if path.suffix == ".onnx":
                n_features = None if features is None else len(features)
                return OnnxPredictor(data, classes, n_features=n_features)
            estimator = skops.io.loads(data, trusted=list(artifact.trusted_types))
            return SklearnPredictor(estimator, features)
        except Exception as exc:
            # skops and onnxruntime raise many kinds (untrusted types, bad zip, bad graph):
            # all mean the same to callers, this artifact cannot be served
            raise ArtifactIntegrityError(
                f"artifact {artifact.path!r} cannot be loaded: {exc}", details=details
            ) from exc

    def verified_path(self, artifact: StoredArtifact) -> Path:
        """The path of ``artifact``'s file after checking, streaming, that its bytes still
        hash to the recorded sha256 (for files read by path, such as a dataset's CSV).
        Raises ``ArtifactIntegrityError`` when it is missing, unreadable or differs."""
        path = self._path_of(artifact)
        try:
            with path.open("rb") as file:
                digest = hashlib.file_digest(file, "sha256")
        except OSError as exc:
            raise _unreadable(artifact, path, exc) from exc
        _check_digest(artifact, digest.hexdigest(), {"path": str(path)})
        return path

    def delete(self, artifact: StoredArtifact) -> None:
        """Remove the artifact's file; deleting one that is already gone is not an error."""
        self._path_of(artifact).unlink(missing_ok=True)

    def _path_of(self, artifact: StoredArtifact) -> Path:
        name = artifact.path
        suffix = next((suffix for suffix in SUFFIXES if name.endswith(suffix)), None)
        if suffix is None:
            raise ArtifactIntegrityError(
                f"artifact path {name!r} is not a {', '.join(SUFFIXES)} file",
                details={"path": name},
            )
        try:
            check_artifact_key(name[: -len(suffix)])
        except InvalidInputError as exc:
            raise ArtifactIntegrityError(
                f"artifact path {name!r} is not a plain file name in the store",
                details={"path": name},
            ) from exc
        return self._root / name


def _unreadable(artifact: StoredArtifact, path: Path, exc: OSError) -> ArtifactIntegrityError:
    return ArtifactIntegrityError(
        f"artifact {artifact.path!r} cannot be read: {exc.strerror or exc}",
        details={"path": str(path)},
    )


def _check_digest(artifact: StoredArtifact, actual: str, details: dict[str, Any]) -> None:
    if not hmac.compare_digest(actual.encode(), artifact.sha256.encode()):
        raise ArtifactIntegrityError(
            f"artifact {artifact.path!r} does not match its recorded sha256",
            details={**details, "expected_sha256": artifact.sha256, "actual_sha256": actual},
        )


def _write_atomically(target: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Run ``write`` on a temporary file beside ``target``, fsync it, rename it over it."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            write(tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

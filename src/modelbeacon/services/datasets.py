"""The datasets models train on, as clients see them: the built-in ones and uploaded CSVs.

An upload is spooled to disk (``services.uploads``), checked and described by
``registry.tabular.inspect_csv`` in a worker thread, kept in the artifact store (checksummed)
and recorded; any refusal leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from modelbeacon.clock import Clock, iso_utc
from modelbeacon.errors import ConflictError, DatasetNotFoundError, InvalidInputError
from modelbeacon.inputs import numeric_features
from modelbeacon.registry import (
    DATASET_NAMES,
    ArtifactStore,
    StoredArtifact,
    load_dataset,
    make_artifact_key,
)
from modelbeacon.registry.frames import frame_of
from modelbeacon.registry.tabular import (
    TabularData,
    TabularSource,
    inspect_csv,
    load_csv,
    rows_of,
)
from modelbeacon.services.uploads import spooled
from modelbeacon.storage.dataset_repository import DatasetRepository
from modelbeacon.storage.records import DatasetRecord
from modelbeacon.tasks import in_thread

# scikit-learn's bunches carry no name for the label column; its ``as_frame`` calls it this.
_BUILTIN_TARGET = "target"
DATASET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,49}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_NAMES_SHOWN = 20


def _name_from(filename: str) -> str:
    """A dataset name from an uploaded file's name: ``"My data (v2).csv"`` -> ``"My_data_v2"``."""
    stem = Path(filename).stem
    return _UNSAFE.sub("_", stem).strip("_.-")[:50]


def _artifact(record: DatasetRecord) -> StoredArtifact:
    return StoredArtifact(
        path=record.artifact_path, sha256=record.artifact_sha256, trusted_types=()
    )


class DatasetService:
    """Describes datasets, hands out their rows, and takes uploads.

    Loading a dataset (the built-in ones read files inside the scikit-learn wheel, uploads
    their CSV) never runs on the event loop. Reads raise ``DatasetNotFoundError`` for a name
    that is not a known dataset.
    """

    def __init__(
        self,
        datasets: DatasetRepository,
        store: ArtifactStore,
        clock: Clock,
        max_upload_bytes: int,
    ) -> None:
        self._datasets = datasets
        self._store = store
        self._clock = clock
        self._max_upload_bytes = max_upload_bytes

    async def all(self) -> list[dict[str, Any]]:
        """Every dataset's description: the built-in ones, then uploads in upload order."""
        builtin = [await self._builtin_view(name) for name in DATASET_NAMES]
        uploaded = await in_thread(self._datasets.list)
        return builtin + [_uploaded_view(record) for record in uploaded]

    async def get(self, name: str) -> dict[str, Any]:
        """``{name, source, rows, target, classes, features, created_at}`` of ``name``."""
        if name in DATASET_NAMES:
            return await self._builtin_view(name)
        return _uploaded_view(await self._uploaded(name))

    async def rows(self, name: str) -> dict[str, Any]:
        """``{name, feature_names, rows, labels}``: every row of ``name`` with its label, in
        the dataset's own order; each row lists its values in ``feature_names`` order (numbers,
        categories as strings, ``null`` for a missing value)."""
        if name in DATASET_NAMES:
            dataset = await asyncio.to_thread(load_dataset, name)
            return {
                "name": dataset.name,
                "feature_names": list(dataset.feature_names),
                "rows": dataset.X.tolist(),
                "labels": dataset.y.tolist(),
            }
        record = await self._uploaded(name)
        data = await asyncio.to_thread(
            load_csv,
            self._store.verified_path(_artifact(record)),
            record.target,
            record.features,
        )
        return {
            "name": record.name,
            "feature_names": [f.name for f in record.features],
            "rows": rows_of(data),
            "labels": data.y.tolist(),
        }

    async def table(self, name: str) -> TabularData:
        """Every row of dataset ``name`` as typed columns with its labels, inputs and classes
        (a built-in dataset's features are all numeric)."""
        if name in DATASET_NAMES:
            dataset = await asyncio.to_thread(load_dataset, name)
            features = numeric_features(dataset.feature_names)
            frame = await asyncio.to_thread(frame_of, dataset.X, features)
            return TabularData(frame, dataset.y, features, dataset.classes)
        record = await self._uploaded(name)
        return await asyncio.to_thread(
            load_csv, self._store.verified_path(_artifact(record)), record.target, record.features
        )

    async def source(self, name: str) -> TabularSource | None:
        """What a training child needs to read uploaded dataset ``name``; ``None`` for a
        built-in dataset (or an unknown name: training reports that one)."""
        if name in DATASET_NAMES:
            return None
        record = await in_thread(self._datasets.get, name)
        if record is None:
            return None
        return TabularSource(
            path=str(self._store.root.resolve() / record.artifact_path),
            sha256=record.artifact_sha256,
            target=record.target,
            features=record.features,
        )

    async def upload(
        self, chunks: AsyncIterator[bytes], filename: str, name: str | None, target: str
    ) -> dict[str, Any]:
        """Keep an uploaded CSV as dataset ``name`` (default: from ``filename``) with its
        class labels in column ``target``; returns its description (201 for the caller).

        Raises ``InvalidInputError`` (422) for a bad name or a CSV that cannot be trained on
        (``registry.tabular`` says which row or column and why), ``UnsupportedMediaError``
        (415) for a file that is not a CSV, ``PayloadTooLargeError`` (413) past
        ``MODELBEACON_MAX_UPLOAD_BYTES`` and ``ConflictError`` (409) for a name in use.
        Nothing is kept unless everything succeeds.
        """
        name = name if name is not None else _name_from(filename)
        if not DATASET_NAME.fullmatch(name):
            raise InvalidInputError(
                "name must be 1-50 letters, digits, '_', '.' or '-', starting with a letter "
                "or digit",
                details={"name": name},
            )
        await self._check_free(name)
        async with spooled(
            chunks, filename, self._store.root, self._max_upload_bytes, "the CSV file"
        ) as upload:
            summary = await asyncio.to_thread(inspect_csv, upload.path, target)
            key = make_artifact_key("dataset", name, uuid.uuid4().hex[:12])
            artifact = await asyncio.to_thread(self._store.save_file, key, ".csv", upload.path)
        record = DatasetRecord(
            id=0,
            name=name,
            target=summary.target,
            rows=summary.rows,
            dropped_rows=summary.dropped_rows,
            classes=summary.classes,
            features=summary.features,
            filename=upload.filename,
            size_bytes=upload.size,
            artifact_path=artifact.path,
            artifact_sha256=artifact.sha256,
            created_at=self._clock(),
        )
        try:
            stored = await in_thread(self._datasets.create, record)
        except ConflictError:
            await asyncio.to_thread(self._store.delete, artifact)
            raise _taken(name) from None
        return _uploaded_view(stored)

    async def _check_free(self, name: str) -> None:
        if name in DATASET_NAMES or await in_thread(self._datasets.get, name) is not None:
            raise _taken(name)

    async def _uploaded(self, name: str) -> DatasetRecord:
        record = await in_thread(self._datasets.get, name)
        if record is None:
            raise await self._unknown(name)
        return record

    async def _unknown(self, name: str) -> DatasetNotFoundError:
        uploaded = [record.name for record in await in_thread(self._datasets.list)]
        known = [*DATASET_NAMES, *uploaded]
        shown = ", ".join(known[:_NAMES_SHOWN]) + (", ..." if len(known) > _NAMES_SHOWN else "")
        return DatasetNotFoundError(
            f"unknown dataset {name!r}; known datasets: {shown}",
            details={"dataset": name, "known_datasets": known},
        )

    async def _builtin_view(self, name: str) -> dict[str, Any]:
        dataset = await asyncio.to_thread(load_dataset, name)
        return {
            "name": dataset.name,
            "source": "builtin",
            "rows": dataset.n_samples,
            "target": _BUILTIN_TARGET,
            "classes": list(dataset.classes),
            "features": [{"name": f, "kind": "numeric"} for f in dataset.feature_names],
            "dropped_rows": 0,
            "created_at": None,
        }


def _uploaded_view(record: DatasetRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "source": "upload",
        "rows": record.rows,
        "target": record.target,
        "classes": list(record.classes),
        "features": [f.as_dict() for f in record.features],
        "dropped_rows": record.dropped_rows,
        "created_at": iso_utc(record.created_at),
    }


def _taken(name: str) -> ConflictError:
    return ConflictError(
        f"a dataset named {name!r} already exists: choose another name",
        details={"name": name},
    )

"""Importing a model trained elsewhere: a user's skops or ONNX file becomes a ``ready`` model.

The file is spooled to disk with its size bounded (``services.uploads``), then checked and
loaded by ``registry.importing`` in a worker thread: its kind is decided by its content (a
pickle or joblib file is refused, 415), a skops file loads only if every type in it is on the
allowlist (422 naming any other), and the model's own outputs on a few rows are stored as its
parity, checked again whenever it is loaded. An optional reference CSV (the model's features
and the true labels in column ``target``) gives the drift reference, the validation accuracy
and the calibration of the model's confidence, as training does for a built-in model.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modelbeacon.clock import Clock
from modelbeacon.errors import InvalidInputError
from modelbeacon.inputs import FeatureSpec
from modelbeacon.metrics.calibration import Calibration
from modelbeacon.metrics.psi import DriftReference
from modelbeacon.registry import ArtifactStore, make_artifact_key
from modelbeacon.registry.calibration import fit_calibration
from modelbeacon.registry.importing import (
    LoadedModel,
    load_model_file,
    with_parity,
)
from modelbeacon.registry.reference import tabular_reference
from modelbeacon.registry.tabular import TabularData, load_csv, rows_of
from modelbeacon.services.catalog import LiveModel, ModelCatalog
from modelbeacon.services.feature_vectors import feature_matrix
from modelbeacon.services.training import check_model_name
from modelbeacon.services.uploads import spooled
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.storage.records import ImportedFields
from modelbeacon.tasks import in_thread

#: How many of the reference's rows are kept as the model's parity rows.
PARITY_ROWS = 5
_SUFFIX = {"skops": ".skops", "onnx": ".onnx"}


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file as the router hands it on: its chunks and the client's file name."""

    chunks: AsyncIterator[bytes]
    filename: str


@dataclass(frozen=True, slots=True)
class _Evaluated:
    reference: DriftReference
    validation_accuracy: float
    calibration: Calibration | None


class ImportService:
    def __init__(
        self,
        catalog: ModelCatalog,
        models: ModelRepository,
        store: ArtifactStore,
        clock: Clock,
        max_upload_bytes: int,
    ) -> None:
        self._catalog = catalog
        self._models = models
        self._store = store
        self._clock = clock
        self._max_upload_bytes = max_upload_bytes

    async def import_model(
        self,
        name: str,
        model_file: Upload,
        features: Sequence[FeatureSpec] | None,
        classes: Sequence[Any] | None,
        reference: Upload | None = None,
        target: str = "target",
    ) -> LiveModel:
        """Register the model in ``model_file`` as the next version of ``name``, ``ready``.

        ``features`` and ``classes`` are used where the model does not carry them. Raises
        ``UnsupportedMediaError`` (415) for a pickle, joblib or unknown file,
        ``UntrustedTypeError`` (422) for a skops file holding a type off the allowlist,
        ``InvalidInputError`` (422) for a corrupt file, a model that is not a classifier,
        features or classes missing or contradicting the model, or a reference CSV that does
        not fit it, and ``PayloadTooLargeError`` (413) past ``MODELBEACON_MAX_UPLOAD_BYTES``.
        Nothing is kept unless everything succeeds.
        """
        check_model_name(name)
        async with AsyncExitStack() as stack:
            spool = await stack.enter_async_context(self._spooled(model_file, "the model file"))
            reference_file = (
                None
                if reference is None
                else await stack.enter_async_context(self._spooled(reference, "the reference CSV"))
            )
            loaded = await asyncio.to_thread(
                load_model_file, spool.path, spool.filename, features, classes
            )
            evaluated: _Evaluated | None = None
            parity_rows: list[list[Any]] | None = None
            if reference_file is not None:
                data = await asyncio.to_thread(
                    load_csv, reference_file.path, target, loaded.features
                )
                evaluated = await asyncio.to_thread(_evaluate, loaded, data)
                # the parity rows are real ones when there are any
                parity_rows = rows_of(data)[:PARITY_ROWS]
            imported = await asyncio.to_thread(with_parity, loaded, parity_rows)
            key = make_artifact_key(name, "imported", uuid.uuid4().hex[:12])
            artifact = await asyncio.to_thread(
                self._store.save_file,
                key,
                _SUFFIX[imported.kind],
                spool.path,
                imported.trusted_types,
            )
        fields = ImportedFields(
            name=name,
            algorithm=_algorithm(imported),
            dataset="" if reference is None else Path(reference.filename).name[:50],
            runtime=imported.predictor.runtime,
            feature_names=tuple(f.name for f in imported.features),
            features=imported.features,
            accepts_missing=imported.predictor.accepts_missing,
            classes=tuple(imported.classes),
            artifact_path=artifact.path,
            artifact_sha256=artifact.sha256,
            artifact_trusted_types=artifact.trusted_types,
            parity=imported.parity,
            validation_accuracy=None if evaluated is None else evaluated.validation_accuracy,
            reference=None if evaluated is None else evaluated.reference,
            calibration=None if evaluated is None else evaluated.calibration,
        )
        try:
            record = await in_thread(self._models.create_imported, fields, self._clock())
        except BaseException:
            await asyncio.to_thread(self._store.delete, artifact)
            raise
        live = self._catalog.add(record)
        # the predictor was loaded and checked already: serve it without loading it again
        live.predictor = imported.predictor
        return live

    def _spooled(self, upload: Upload, what: str) -> Any:
        return spooled(
            upload.chunks, upload.filename, self._store.root, self._max_upload_bytes, what
        )


def _algorithm(imported: LoadedModel) -> str:
    """What the model is, in the ``algorithm`` column's 50 characters: the final estimator's
    class or ``onnx``."""
    return imported.estimator_name[:50]


def _evaluate(imported: LoadedModel, data: TabularData) -> _Evaluated:
    """The drift reference of the reference rows, the model's accuracy on them and the
    calibration of its confidence, as training measures a model on its validation split."""
    unknown = sorted({str(c) for c in np.unique(data.y)} - {str(c) for c in imported.classes})
    if unknown:
        raise InvalidInputError(
            f"the reference CSV has labels the model does not know: {', '.join(unknown)}",
            details={"unknown_labels": unknown, "classes": list(imported.classes)},
        )
    predictor = imported.predictor
    rows = feature_matrix([tuple(row) for row in rows_of(data)])
    if predictor.has_proba:
        proba = predictor.predict_proba(rows)
        predictions = np.asarray(predictor.classes, dtype=object)[np.argmax(proba, axis=1)]
    else:
        proba = None
        predictions = np.asarray(predictor.predict(rows), dtype=object)
    correct = np.asarray([p == y for p, y in zip(predictions, data.y.tolist(), strict=True)])
    calibration = (
        None if proba is None else fit_calibration(proba.max(axis=1), correct, random_state=0)
    )
    return _Evaluated(
        reference=tabular_reference(data.frame, data.features),
        validation_accuracy=float(np.mean(correct)),
        calibration=calibration,
    )

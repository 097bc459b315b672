"""Registering a model served elsewhere: it gets an id, inputs and classes, and is monitored.

A registered model has no artifact; its predictions arrive through the logging API
(``services.ingest``) and its labels through either feedback endpoint. Its status is
``monitored`` (``degraded`` while its health is critical) from the start. Naming a dataset
gives it that dataset's drift reference, and its inputs and classes where the request leaves
them out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from modelbeacon.clock import Clock, iso_utc
from modelbeacon.errors import InvalidInputError
from modelbeacon.events.types import MODEL_REGISTERED
from modelbeacon.inputs import FeatureSpec
from modelbeacon.metrics.psi import DriftReference
from modelbeacon.registry.reference import tabular_reference
from modelbeacon.registry.tabular import TabularData
from modelbeacon.services.catalog import LiveModel, ModelCatalog
from modelbeacon.services.datasets import DatasetService
from modelbeacon.services.notify import EventSink
from modelbeacon.services.training import check_model_name
from modelbeacon.storage.model_repository import ModelRepository
from modelbeacon.storage.records import RegisteredFields
from modelbeacon.tasks import in_thread


class RegistrationService:
    def __init__(
        self,
        catalog: ModelCatalog,
        models: ModelRepository,
        datasets: DatasetService,
        sink: EventSink,
        clock: Clock,
    ) -> None:
        self._catalog = catalog
        self._models = models
        self._datasets = datasets
        self._sink = sink
        self._clock = clock

    async def register(
        self,
        name: str,
        features: Sequence[FeatureSpec] | None,
        classes: Sequence[Any] | None,
        reference_dataset: str | None = None,
    ) -> LiveModel:
        """Store the next version of ``name`` as a ``monitored`` model and start its monitor.

        ``features`` and ``classes`` may be left out only with a ``reference_dataset``, whose
        own are then used. Raises ``InvalidInputError`` (422) for a bad name, no features or
        classes, duplicate names, or features the dataset does not have (each named), and
        ``DatasetNotFoundError`` (404) for an unknown dataset.
        """
        check_model_name(name)
        reference: DriftReference | None = None
        if reference_dataset is not None:
            data = await self._datasets.table(reference_dataset)
            features = _features_in(data, features)
            classes = data.classes if classes is None else classes
            reference = await asyncio.to_thread(tabular_reference, data.frame, features)
        if not features:
            raise InvalidInputError(
                "features are required: list the model's inputs as "
                '[{"name": ..., "kind": "numeric" | "categorical"}], or name a '
                "reference_dataset to take its columns",
                details={"field": "features"},
            )
        if not classes:
            raise InvalidInputError(
                "classes are required: list the labels the model predicts, or name a "
                "reference_dataset to take its classes",
                details={"field": "classes"},
            )
        if any(not f.name.strip() for f in features):
            raise InvalidInputError(
                "every feature needs a name that is not blank", details={"field": "features"}
            )
        _check_unique("feature", [f.name for f in features])
        _check_unique("class", list(classes))
        fields = RegisteredFields(
            name=name,
            features=tuple(features),
            classes=tuple(classes),
            dataset=reference_dataset or "",
            reference=reference,
        )
        record = await in_thread(self._models.create_registered, fields, self._clock())
        live = self._catalog.add(record)
        # Dashboards list the model at once, before its first logged prediction.
        self._sink.emit(
            MODEL_REGISTERED,
            {
                "model_id": live.key,
                "model_name": record.name,
                "model_version": record.version,
                "status": live.monitor.status,
                "registered_at": iso_utc(record.created_at),
            },
            model_id=live.key,
        )
        return live


def _features_in(
    data: TabularData, features: Sequence[FeatureSpec] | None
) -> tuple[FeatureSpec, ...]:
    """The registered inputs as the dataset describes them: all of its features when none
    are given, else the given ones, each of which must be a column of the dataset of the
    same kind (the dataset's categories are kept, so its reference bins them)."""
    if features is None:
        return data.features
    known = {f.name: f for f in data.features}
    absent = [f.name for f in features if f.name not in known]
    if absent:
        raise InvalidInputError(
            f"the reference dataset has no feature {', '.join(map(repr, absent))}; "
            f"its features are {', '.join(known)}",
            details={"unknown_features": absent, "dataset_features": list(known)},
        )
    wrong = [f.name for f in features if f.kind != known[f.name].kind]
    if wrong:
        raise InvalidInputError(
            f"feature {', '.join(map(repr, wrong))} has another kind in the reference dataset",
            details={"features": {n: known[n].kind for n in wrong}},
        )
    return tuple(known[f.name] for f in features)


def _check_unique(what: str, values: list[Any]) -> None:
    seen: set[str] = set()
    repeated = []
    for value in values:
        key = repr(value)
        if key in seen:
            repeated.append(value)
        seen.add(key)
    if repeated:
        raise InvalidInputError(
            f"each {what} may appear once; repeated: {', '.join(map(repr, repeated))}",
            details={"repeated": repeated},
        )

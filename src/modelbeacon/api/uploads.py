"""Multipart uploads handed to services as chunks, and their form fields parsed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import UploadFile
from pydantic import StrictInt, StrictStr, TypeAdapter, ValidationError

from modelbeacon.api.schemas import CategoricalFeature, FeatureDescription
from modelbeacon.errors import InvalidInputError
from modelbeacon.inputs import FeatureSpec
from modelbeacon.services.imports import Upload

CHUNK_BYTES = 1 << 20

_FEATURES: TypeAdapter[list[StrictStr] | list[FeatureDescription]] = TypeAdapter(
    list[StrictStr] | list[FeatureDescription]
)
_CLASSES: TypeAdapter[list[StrictInt | StrictStr]] = TypeAdapter(list[StrictInt | StrictStr])


async def _chunks(file: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await file.read(CHUNK_BYTES):
        yield chunk


def upload_of(file: UploadFile) -> Upload:
    """The file's chunks as it is read, and the name the client gave it."""
    return Upload(chunks=_chunks(file), filename=file.filename or "")


def _json_field(field: str, text: str, adapter: TypeAdapter[Any]) -> Any:
    try:
        return adapter.validate_python(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise InvalidInputError(
            f"{field} must be a JSON list: {exc}".splitlines()[0], details={field: text[:200]}
        ) from exc


def features_field(text: str | None) -> list[FeatureSpec] | None:
    """``features`` of an import form: a JSON list of names (numeric features) or of
    ``{name, kind, categories?}``; ``None`` when not given."""
    if text is None or not text.strip():
        return None
    return feature_specs(_json_field("features", text, _FEATURES))


def feature_specs(items: Sequence[str | FeatureDescription]) -> list[FeatureSpec]:
    """The ``FeatureSpec`` of each item of a request's ``features``: a name (numeric) or
    ``{name, kind, categories?}``. Raises ``InvalidInputError`` for an impossible one."""
    try:
        return [
            FeatureSpec(item)
            if isinstance(item, str)
            else FeatureSpec(
                item.name,
                item.kind,
                tuple(item.categories)
                if isinstance(item, CategoricalFeature) and item.categories is not None
                else None,
            )
            for item in items
        ]
    except ValueError as exc:
        raise InvalidInputError(str(exc), details={"field": "features"}) from exc


def classes_field(text: str | None) -> list[Any] | None:
    """``classes`` of an import form: a JSON list of integers or strings; ``None`` when not
    given."""
    if text is None or not text.strip():
        return None
    classes: list[Any] = _json_field("classes", text, _CLASSES)
    return classes

"""Uploaded CSV datasets: the schema read from the file, its rows as a DataFrame, and the
preprocessing an uploaded dataset's pipeline puts in front of the chosen algorithm.

The format (DESIGN.md section 8): a header row naming the columns, UTF-8 (a leading byte order
mark is accepted), commas, quoting as Python's ``csv`` module reads it. A column whose non-empty
values all parse as finite numbers is numeric, any other categorical; an empty cell is a missing
value. The ``target`` column holds the class labels: integers when every one is an integer as
Python writes it (``"3"``, not ``"03"`` or ``"3.0"``), else the strings as given. Rows without a
target are dropped and counted; blank lines are skipped.

Files are read as a stream of lines, never whole: ``inspect_csv`` keeps only per-column sets of
distinct values (at most ``MAX_CATEGORIES + 1`` each) and per-class counts; ``load_csv`` keeps
the typed columns. A file line number counts physical lines, the header being line 1, so a
quoted value spanning lines moves the numbers of the rows after it as an editor shows them.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer  # type: ignore[import-untyped]
from sklearn.impute import SimpleImputer  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # type: ignore[import-untyped]

from modelbeacon.errors import InvalidInputError
from modelbeacon.inputs import FeatureSpec
from modelbeacon.registry.csv_reading import (
    MAX_COLUMNS,
    SNIFF_BYTES,
    checked_header,
    data_rows,
    read_records,
    refuse_binary,
    verify_sha256,
)

__all__ = [
    "MAX_CATEGORIES",
    "MAX_COLUMNS",
    "MIN_ROWS_PER_CLASS",
    "CsvSummary",
    "TabularData",
    "TabularSource",
    "build_preprocessor",
    "inspect_csv",
    "load_csv",
    "rows_of",
]

#: Each class needs this many rows, so that both the training and the validation split see it.
MIN_ROWS_PER_CLASS = 5
#: A categorical column (or the target) with more distinct values looks like an identifier.
MAX_CATEGORIES = 200


@dataclass(frozen=True)
class TabularSource:
    """Where a training job reads an uploaded dataset: the stored CSV's absolute ``path``, its
    recorded ``sha256``, the ``target`` column and the ``features`` ``inspect_csv`` found."""

    path: str
    sha256: str
    target: str
    features: tuple[FeatureSpec, ...]


@dataclass(frozen=True)
class CsvSummary:
    """What ``inspect_csv`` found: ``rows`` kept, ``dropped_rows`` without a target, the sorted
    ``classes`` and every column but the target as a feature, in file order."""

    target: str
    rows: int
    dropped_rows: int
    classes: tuple[str | int, ...]
    features: tuple[FeatureSpec, ...]


@dataclass(frozen=True, eq=False)
class TabularData:
    """An uploaded dataset's kept rows. ``frame`` has one column per feature, named by it:
    float64 with NaN for a numeric one, strings with NaN for a categorical one (as
    ``registry.frames.frame_of`` builds them). ``y`` is int64 when ``classes`` are integers,
    else an object array of strings; ``classes`` are its sorted distinct values."""

    frame: pd.DataFrame
    y: np.ndarray
    features: tuple[FeatureSpec, ...]
    classes: tuple[Any, ...]


def inspect_csv(path: Path, target: str) -> CsvSummary:
    """Validate the CSV at ``path`` for training on ``target`` and infer its features.

    Raises ``UnsupportedMediaError`` for a binary file, ``InvalidInputError`` (message and
    ``details`` say what to fix and where) for: no header, an empty or duplicate column name,
    more than ``MAX_COLUMNS`` columns, no ``target`` column or no other column, a ragged row, a
    line that is not UTF-8 or not valid CSV, no row with a target, a single class, a class
    with fewer than ``MIN_ROWS_PER_CLASS`` rows, more than ``MAX_CATEGORIES`` classes or
    values in a categorical column, and a feature column empty in every kept row.
    """
    with path.open("rb") as handle:
        refuse_binary(handle.read(SNIFF_BYTES))
        handle.seek(0)
        records = read_records(handle)
        header = checked_header(next(records, None), target)
        target_index = header.index(target)
        columns = [_ColumnStats(name, j) for j, name in enumerate(header) if j != target_index]
        class_counts: dict[str, int] = {}
        dropped = 0
        for line, row in data_rows(records, len(header)):
            label = row[target_index]
            if label == "":
                dropped += 1
                continue
            if label not in class_counts and len(class_counts) == MAX_CATEGORIES:
                raise InvalidInputError(
                    f"target column {target!r} has more than {MAX_CATEGORIES} distinct values: "
                    "it looks like a number to predict or an identifier, not a class label",
                    details={"target": target, "max_classes": MAX_CATEGORIES, "line": line},
                )
            class_counts[label] = class_counts.get(label, 0) + 1
            for column in columns:
                column.add(row[column.index])
    rows = sum(class_counts.values())
    classes = _checked_classes(class_counts, target, dropped)
    return CsvSummary(
        target=target,
        rows=rows,
        dropped_rows=dropped,
        classes=classes,
        features=tuple(column.feature() for column in columns),
    )


def load_csv(
    path: Path, target: str, features: Sequence[FeatureSpec], sha256: str | None = None
) -> TabularData:
    """The rows of the CSV at ``path`` that have a ``target``, typed by ``features`` (the
    schema ``inspect_csv`` found; categorical values keep the file's strings).

    With ``sha256``, the file is first checked against it (``ArtifactIntegrityError`` when it
    differs). Raises ``InvalidInputError`` where the file does not fit ``features``: a named
    column absent, a ragged row, a numeric column holding something else.
    """
    if sha256 is not None:
        verify_sha256(path, sha256)
    with path.open("rb") as handle:
        records = read_records(handle)
        first = next(records, None)
        header = [] if first is None else first[1]
        absent = [n for n in (target, *(f.name for f in features)) if n not in header]
        if absent:
            raise InvalidInputError(
                f"the file has no column {', '.join(map(repr, absent))}",
                details={"absent_columns": absent, "columns": header},
            )
        target_index = header.index(target)
        indexes = [header.index(f.name) for f in features]
        numeric = [f.kind == "numeric" for f in features]
        values: list[Any] = [array("d") if n else [] for n in numeric]
        # One string object per distinct value, shared by every cell that holds it.
        shared: dict[str, str] = {}
        distinct_labels: dict[str, str] = {}
        labels: list[str] = []
        for line, row in data_rows(records, len(header)):
            label = row[target_index]
            if label == "":
                continue
            labels.append(distinct_labels.setdefault(label, label))
            for column, j, is_numeric, feature in zip(
                values, indexes, numeric, features, strict=True
            ):
                cell = row[j]
                if is_numeric:
                    column.append(_numeric_cell(cell, feature.name, line))
                else:
                    column.append(np.nan if cell == "" else shared.setdefault(cell, cell))
    frame = pd.DataFrame(
        {f.name: _column_array(column) for f, column in zip(features, values, strict=True)},
        columns=[f.name for f in features],
    )
    class_of = _class_values(distinct_labels.keys())
    classes = tuple(sorted(set(class_of.values())))
    if classes and isinstance(classes[0], int):
        y = np.array([class_of[label] for label in labels], dtype=np.int64)
    else:
        y = np.array(labels, dtype=object)
    return TabularData(frame=frame, y=y, features=tuple(features), classes=classes)


def build_preprocessor(features: Sequence[FeatureSpec]) -> ColumnTransformer:
    """An unfitted ``ColumnTransformer`` turning a ``TabularData.frame``-like DataFrame into a
    dense float array: numeric columns median-imputed then standardised, categorical ones
    imputed with their most frequent value then one-hot encoded (a category unseen in
    training encodes as all zeros). A column missing in every training row is kept (imputed
    with 0, or one constant category) so the output width never depends on the split."""
    numeric = [f.name for f in features if f.kind == "numeric"]
    categorical = [f.name for f in features if f.kind == "categorical"]
    if not numeric and not categorical:
        raise ValueError("a preprocessor needs at least one feature")
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        impute = SimpleImputer(strategy="median", keep_empty_features=True)
        transformers.append(
            ("numeric", Pipeline([("impute", impute), ("scale", StandardScaler())]), numeric)
        )
    if categorical:
        impute = SimpleImputer(strategy="most_frequent", keep_empty_features=True)
        encode = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(
            ("categorical", Pipeline([("impute", impute), ("encode", encode)]), categorical)
        )
    return ColumnTransformer(transformers, sparse_threshold=0.0)


def rows_of(data: TabularData) -> list[list[Any]]:
    """Every row of ``data`` as JSON-able values in feature order: a float for a numeric
    value, a string for a categorical one, ``None`` for a missing one."""
    columns: list[list[Any]] = []
    for feature in data.features:
        column = data.frame[feature.name].to_numpy().tolist()
        if feature.kind == "numeric":
            columns.append([None if math.isnan(v) else float(v) for v in column])
        else:
            columns.append([v if isinstance(v, str) else None for v in column])
    return [list(row) for row in zip(*columns, strict=True)]


class _ColumnStats:
    """One feature column as ``inspect_csv`` sees it: whether every value so far is a finite
    number, and its distinct values up to one more than ``MAX_CATEGORIES``."""

    __slots__ = ("distinct", "index", "name", "numeric", "present")

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.index = index
        self.numeric = True
        self.present = False
        self.distinct: set[str] = set()

    def add(self, value: str) -> None:
        if value == "":
            return
        self.present = True
        if self.numeric and _number(value) is None:
            self.numeric = False
        if len(self.distinct) <= MAX_CATEGORIES:
            self.distinct.add(value)

    def feature(self) -> FeatureSpec:
        if not self.present:
            raise InvalidInputError(
                f"column {self.name!r} is empty in every row that has a target; drop it",
                details={"column": self.name},
            )
        if self.numeric:
            return FeatureSpec(self.name)
        if len(self.distinct) > MAX_CATEGORIES:
            raise InvalidInputError(
                f"column {self.name!r} has more than {MAX_CATEGORIES} distinct values that "
                "are not all numbers: it looks like an identifier or free text; drop it",
                details={"column": self.name, "max_categories": MAX_CATEGORIES},
            )
        return FeatureSpec(self.name, "categorical", tuple(sorted(self.distinct)))


def _number(value: str) -> float | None:
    """``value`` as a finite float, or ``None`` if it is not one."""
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _numeric_cell(cell: str, column: str, line: int) -> float:
    if cell == "":
        return math.nan
    number = _number(cell)
    if number is None:
        raise InvalidInputError(
            f"line {line}: numeric column {column!r} holds {cell[:50]!r}, not a finite number",
            details={"line": line, "column": column},
        )
    return number


def _column_array(column: array[float] | list[Any]) -> np.ndarray:
    if isinstance(column, array):
        return np.frombuffer(column, dtype=np.float64)
    return np.array(column, dtype=object)


def _class_values(texts: Collection[str]) -> dict[str, Any]:
    """Each distinct target text's class: all integers when every text is one as Python
    writes it, else the texts themselves (so ``"03"`` and ``"3"`` never merge)."""
    if all(_plain_int(text) for text in texts):
        return {text: int(text) for text in texts}
    return {text: text for text in texts}


def _plain_int(text: str) -> bool:
    try:
        return str(int(text)) == text
    except ValueError:
        return False


def _checked_classes(counts: dict[str, int], target: str, dropped: int) -> tuple[Any, ...]:
    if not counts:
        reason = (
            f"none of its {dropped} rows has a value in target column {target!r}"
            if dropped
            else "it has a header but no rows"
        )
        raise InvalidInputError(
            f"the file has nothing to train on: {reason}",
            details={"target": target, "dropped_rows": dropped},
        )
    class_of = _class_values(counts.keys())
    if len(counts) == 1:
        (only,) = class_of.values()
        raise InvalidInputError(
            f"target column {target!r} holds a single class ({only!r}); a classifier needs two "
            "or more",
            details={"target": target, "classes": [only]},
        )
    scarce = {str(class_of[text]): n for text, n in counts.items() if n < MIN_ROWS_PER_CLASS}
    if scarce:
        name, n = min(scarce.items(), key=lambda item: item[1])
        raise InvalidInputError(
            f"class {name!r} of target column {target!r} has {n} row{'s' * (n != 1)}; every "
            f"class needs at least {MIN_ROWS_PER_CLASS} (MIN_ROWS_PER_CLASS) so that both the "
            "training and the validation split see it: add rows or remove the class",
            details={"target": target, "classes": scarce, "min_rows_per_class": MIN_ROWS_PER_CLASS},
        )
    return tuple(sorted(class_of.values()))

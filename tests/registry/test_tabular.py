"""Uploaded CSVs: the schema ``inspect_csv`` infers, what it refuses and where, ``load_csv``'s
typed rows, ``rows_of`` and the preprocessor of an uploaded dataset's pipeline."""

from __future__ import annotations

import csv
import gzip
import hashlib
import math
import pickle
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelbeacon.errors import ArtifactIntegrityError, InvalidInputError, UnsupportedMediaError
from modelbeacon.inputs import FeatureSpec
from modelbeacon.registry.frames import frame_of
from modelbeacon.registry.tabular import (
    MAX_CATEGORIES,
    MAX_COLUMNS,
    MIN_ROWS_PER_CLASS,
    build_preprocessor,
    inspect_csv,
    load_csv,
    rows_of,
)

MIXED = (
    "size,colour,weight,label\n"
    "1.5,red,,cat\n"
    "2,,10,dog\n"
    "-3e2,blue,11.5,cat\n"
    ",red,12,\n"  # no label: dropped
    "4,red,13,dog\n"
    "5,blue,14,cat\n"
    "6,red,15,dog\n"
    "7,green,16,cat\n"
    "8,red,17,dog\n"
    "9,red,18,cat\n"
    "10,red,19,dog\n"
    "\n"  # a blank line is skipped
)
MIXED_FEATURES = (
    FeatureSpec("size"),
    FeatureSpec("colour", "categorical", ("blue", "green", "red")),
    FeatureSpec("weight"),
)


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def refusal(path: Path, target: str = "label") -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        inspect_csv(path, target)
    return info.value


def two_classes(n: int = MIN_ROWS_PER_CLASS) -> str:
    return "".join(f"{i},{'ab'[i % 2]}\n" for i in range(2 * n))


def test_inspect_infers_numeric_and_categorical_columns_and_drops_unlabelled_rows(
    tmp_path: Path,
) -> None:
    summary = inspect_csv(write(tmp_path, MIXED), "label")

    assert summary.target == "label"
    assert (summary.rows, summary.dropped_rows) == (10, 1)
    assert summary.classes == ("cat", "dog")
    assert summary.features == MIXED_FEATURES


def test_inspect_keeps_integer_classes_as_ints_and_others_as_given(tmp_path: Path) -> None:
    ints = "x,y\n" + "".join(f"{i},{i % 2 * 10 - 1}\n" for i in range(10))
    padded = "x,y\n" + "".join(f"{i},{'03' if i % 2 else '3'}\n" for i in range(10))

    assert inspect_csv(write(tmp_path, ints), "y").classes == (-1, 9)
    # "03" and "3" are two labels as written: they stay strings and never merge
    assert inspect_csv(write(tmp_path, padded), "y").classes == ("03", "3")


def test_inspect_treats_non_finite_numbers_as_categories(tmp_path: Path) -> None:
    text = "x,y\n" + "".join(f"{v},{'ab'[i % 2]}\n" for i, v in enumerate(["1", "nan"] * 5))

    (feature,) = inspect_csv(write(tmp_path, text), "y").features

    assert feature == FeatureSpec("x", "categorical", ("1", "nan"))


def test_inspect_accepts_a_byte_order_mark_and_crlf_lines(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + MIXED.replace("\n", "\r\n").encode())

    summary = inspect_csv(path, "label")

    assert summary.features == MIXED_FEATURES  # "size", not "\ufeffsize"
    assert load_csv(path, "label", MIXED_FEATURES).frame.columns.tolist() == [
        "size", "colour", "weight",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "zip archive"),
        (gzip.compress(b"a,b\n1,2\n"), "gzip"),
        (pickle.dumps({"a": 1}), "pickle"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"a,b\n1,\x00\n", "NUL bytes"),
        ("a,b\n1,2\n".encode("utf-16"), "NUL bytes"),
    ],
)
def test_inspect_refuses_binary_files_as_unsupported_media(
    tmp_path: Path, content: bytes, words: str
) -> None:
    with pytest.raises(UnsupportedMediaError) as info:
        inspect_csv(write(tmp_path, content), "b")

    assert info.value.message.startswith("not a CSV file: ")
    assert words in info.value.message


@pytest.mark.parametrize(
    ("content", "words", "details"),
    [
        ("", "no header row", {"line": 1}),
        ("\nlabel,x\n", "no header row", {"line": 1}),
        ("x,,label\n", "column 2 of the header", {"unnamed_columns": [2]}),
        ("x,label,x\n", "column 'x' more than once", {"duplicate_columns": ["x"]}),
        ("x,y\n", "no column named 'label'", {"columns": ["x", "y"]}),
        ("label\na\nb\n", "only the target column", {"columns": ["label"]}),
        ("x,label\n", "header but no rows", {"dropped_rows": 0}),
        ("x,label\n1,\n2,\n", "none of its 2 rows has a value", {"dropped_rows": 2}),
    ],
)
def test_inspect_refuses_a_file_without_usable_columns_or_rows(
    tmp_path: Path, content: str, words: str, details: dict[str, Any]
) -> None:
    error = refusal(write(tmp_path, content))

    assert words in error.message
    assert details.items() <= error.details.items()


def test_inspect_lists_the_columns_when_the_target_is_missing(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "height,species\n1,a\n"), "Species")

    assert error.message == (
        "no column named 'Species' to use as the target; the columns are: 'height', 'species'"
    )


def test_inspect_refuses_too_many_columns(tmp_path: Path) -> None:
    header = ",".join(f"c{j}" for j in range(MAX_COLUMNS)) + ",label\n"

    error = refusal(write(tmp_path, header))

    assert f"at most {MAX_COLUMNS}" in error.message


def test_inspect_names_the_file_line_of_a_ragged_row(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "x,y,label\n1,2,a\n3,b\n4,5,a\n"))

    assert error.message.startswith("line 3 has 2 fields but the header has 3")
    assert error.details == {"line": 3, "expected_fields": 3, "fields": 2}


def test_a_quoted_value_over_two_lines_moves_the_ragged_row_line(tmp_path: Path) -> None:
    content = 'x,note,label\n1,"two\nlines",a\n\n2,fine,b\n3,"one, with a comma",a\n4,b\n'

    error = refusal(write(tmp_path, content))

    # header 1, quoted value 2-3, blank 4, then lines 5 and 6
    assert error.details["line"] == 7


def test_inspect_names_the_line_and_byte_that_is_not_utf8(tmp_path: Path) -> None:
    content = b"x,label\n1,a\n" + "2,caf\xe9\n".encode("latin-1")

    error = refusal(write(tmp_path, content))

    assert error.details == {"line": 3, "byte_offset": len(b"x,label\n1,a\n2,caf")}
    assert "line 3 is not UTF-8" in error.message


def test_inspect_names_the_line_of_invalid_quoting(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, 'x,label\n1,a\n"2"3,b\n'))

    assert error.details == {"line": 3}
    assert "not valid CSV" in error.message


def test_inspect_refuses_a_single_class(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "x,label\n" + "1,7\n" * 20))

    assert "single class (7)" in error.message
    assert error.details["classes"] == [7]


def test_inspect_names_a_class_with_too_few_rows(tmp_path: Path) -> None:
    rows = "".join(f"{i},a\n" for i in range(10)) + "1,b\n2,b\n" + "3,c\n" * 4
    error = refusal(write(tmp_path, "x,label\n" + rows))

    assert error.message.startswith("class 'b' of target column 'label' has 2 rows;")
    assert f"at least {MIN_ROWS_PER_CLASS}" in error.message
    assert error.details["classes"] == {"b": 2, "c": 4}


def test_inspect_names_a_feature_empty_in_every_labelled_row(tmp_path: Path) -> None:
    rows = "".join(f"{i},,{'ab'[i % 2]}\n" for i in range(10)) + "9,x,\n"

    error = refusal(write(tmp_path, "x,notes,label\n" + rows))

    assert error.details == {"column": "notes"}
    assert "'notes' is empty in every row" in error.message


def test_inspect_refuses_a_categorical_column_that_looks_like_an_identifier(
    tmp_path: Path,
) -> None:
    n = MAX_CATEGORIES + 1
    rows = "".join(f"id-{i},{i},{'ab'[i % 2]}\n" for i in range(n))

    error = refusal(write(tmp_path, "id,number,label\n" + rows))

    assert error.details["column"] == "id"
    assert "identifier" in error.message
    # exactly the limit is accepted, and a numeric column may hold any number of values
    fewer = "".join(f"id-{i % MAX_CATEGORIES},{i},{'ab'[i % 2]}\n" for i in range(n))
    id_, number = inspect_csv(write(tmp_path, "id,number,label\n" + fewer), "label").features
    assert id_.categories is not None and len(id_.categories) == MAX_CATEGORIES
    assert number == FeatureSpec("number")


def test_inspect_refuses_a_target_with_too_many_classes(tmp_path: Path) -> None:
    rows = "".join(f"1,{i}\n" for i in range(MAX_CATEGORIES + 1))

    error = refusal(write(tmp_path, "x,label\n" + rows))

    assert error.details["line"] == MAX_CATEGORIES + 2
    assert "not a class label" in error.message


def test_inspect_streams_a_file_of_several_megabytes_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = 150_000
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "c", "city", "label"])
        for i in range(rows):
            writer.writerow([i * 0.37, -i, f"{i % 97}.5", f"city {i % 150}", "xyz"[i % 3]])
    assert path.stat().st_size > 4_000_000

    tracemalloc.start()
    try:
        summary = inspect_csv(path, "label")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert summary.rows == rows
    assert summary.classes == ("x", "y", "z")
    assert [f.kind for f in summary.features] == ["numeric"] * 3 + ["categorical"]
    assert peak < path.stat().st_size / 10


def test_load_types_the_columns_and_labels(tmp_path: Path) -> None:
    path = write(tmp_path, MIXED)

    data = load_csv(path, "label", MIXED_FEATURES)

    assert data.features == MIXED_FEATURES
    assert data.classes == ("cat", "dog")
    assert data.y.dtype == object and data.y.tolist()[:3] == ["cat", "dog", "cat"]
    assert data.frame["size"].dtype == np.float64
    assert data.frame["size"].tolist()[:3] == [1.5, 2.0, -300.0]
    assert math.isnan(data.frame["weight"].iloc[0])
    assert data.frame["colour"].isna().tolist()[:3] == [False, True, False]
    # the same DataFrame the predict path builds from rows
    rows = rows_of(data)
    assert rows[:3] == [[1.5, "red", None], [2.0, None, 10.0], [-300.0, "blue", 11.5]]
    assert len(rows) == 10
    rebuilt = frame_of(rows, MIXED_FEATURES)
    assert rebuilt.dtypes.tolist() == data.frame.dtypes.tolist()
    assert rebuilt.equals(data.frame)


def test_load_gives_int64_labels_for_integer_classes(tmp_path: Path) -> None:
    path = write(tmp_path, "x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(15)))

    data = load_csv(path, "y", (FeatureSpec("x"),))

    assert data.y.dtype == np.int64
    assert data.classes == (0, 1, 2)


def test_load_checks_the_recorded_sha256_first(tmp_path: Path) -> None:
    path = write(tmp_path, MIXED)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    assert len(load_csv(path, "label", MIXED_FEATURES, sha256=digest).y) == 10
    path.write_text(MIXED.replace("cat", "cow"), encoding="utf-8")
    with pytest.raises(ArtifactIntegrityError):
        load_csv(path, "label", MIXED_FEATURES, sha256=digest)


def test_load_refuses_a_file_that_does_not_fit_the_schema(tmp_path: Path) -> None:
    path = write(tmp_path, MIXED)

    with pytest.raises(InvalidInputError) as absent:
        load_csv(path, "label", (FeatureSpec("height"),))
    with pytest.raises(InvalidInputError) as not_numeric:
        load_csv(path, "label", (FeatureSpec("colour"),))

    assert absent.value.details["absent_columns"] == ["height"]
    assert not_numeric.value.details == {"line": 2, "column": "colour"}


def test_preprocessor_imputes_scales_and_encodes_unseen_values_as_zeros() -> None:
    features = (FeatureSpec("n"), FeatureSpec("c", "categorical", ("a", "b")))
    train = frame_of([[1.0, "a"], [3.0, "b"], [None, "a"], [5.0, None]], features)

    prepare = build_preprocessor(features).fit(train)
    out = prepare.transform(frame_of([[None, "zzz"], [3.0, "b"]], features))

    assert out.dtype == np.float64 and out.shape == (2, 3)
    np.testing.assert_allclose(out, [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]], atol=1e-12)
    # the training rows: median 3 imputed, "a" the most frequent category
    np.testing.assert_allclose(prepare.transform(train)[:, 1:], [[1, 0], [0, 1], [1, 0], [1, 0]])


@pytest.mark.parametrize(
    "features",
    [
        (FeatureSpec("n"), FeatureSpec("empty")),
        (FeatureSpec("c", "categorical", ("a",)), FeatureSpec("d", "categorical", ("b",))),
    ],
)
def test_preprocessor_keeps_a_column_missing_in_every_training_row(
    features: tuple[FeatureSpec, ...],
) -> None:
    first = 1.0 if features[0].kind == "numeric" else "a"
    train = frame_of([[first, None], [first, None]], features)

    prepare = build_preprocessor(features).fit(train)

    assert prepare.transform(train).shape == (2, 2)
    assert prepare.transform(frame_of([[None, None]], features)).shape == (1, 2)


def test_preprocessor_needs_a_feature() -> None:
    with pytest.raises(ValueError, match="at least one feature"):
        build_preprocessor(())

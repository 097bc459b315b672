"""Reading an uploaded CSV as a stream of checked rows: binary files refused by their first
bytes, the header checked, each row numbered by the file line it starts on, every decoding,
quoting or width error naming that line.

A file line number counts physical lines, the header being line 1, so a quoted value spanning
lines moves the numbers of the rows after it as an editor shows them. Decoding goes line by
line (a newline byte never occurs inside a UTF-8 sequence), which is what lets a decoding error
name its line and byte offset.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from modelbeacon.errors import ArtifactIntegrityError, InvalidInputError, UnsupportedMediaError

MAX_COLUMNS = 1000
#: How much of the file's start is looked at to tell a binary file.
SNIFF_BYTES = 8192
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook is one: export the sheet as CSV)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "a gzip file (decompress it first)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\x80", "a Python pickle"),
)


def refuse_binary(head: bytes) -> None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise UnsupportedMediaError(f"not a CSV file: it is {kind}", details={"kind": kind})
    if b"\x00" in head:
        raise UnsupportedMediaError(
            "not a CSV file: it holds NUL bytes, so it is binary (or UTF-16: save it as UTF-8)",
            details={"kind": "binary"},
        )


def checked_header(first: tuple[int, list[str]] | None, target: str) -> list[str]:
    header = [] if first is None else first[1]
    if not header:
        raise InvalidInputError(
            "the file has no header row: line 1 must name the columns, separated by commas",
            details={"line": 1},
        )
    if len(header) > MAX_COLUMNS:
        raise InvalidInputError(
            f"the file has {len(header)} columns; at most {MAX_COLUMNS} are accepted",
            details={"columns": len(header), "max_columns": MAX_COLUMNS},
        )
    unnamed = [j + 1 for j, name in enumerate(header) if not name.strip()]
    if unnamed:
        raise InvalidInputError(
            f"column {unnamed[0]} of the header (line 1) has no name; name every column",
            details={"line": 1, "unnamed_columns": unnamed},
        )
    duplicates = sorted(name for name, n in Counter(header).items() if n > 1)
    if duplicates:
        raise InvalidInputError(
            f"the header names column {duplicates[0]!r} more than once; names must be unique",
            details={"line": 1, "duplicate_columns": duplicates},
        )
    if target not in header:
        shown = ", ".join(map(repr, header[:20])) + (", ..." if len(header) > 20 else "")
        raise InvalidInputError(
            f"no column named {target!r} to use as the target; the columns are: {shown}",
            details={"target": target, "columns": header},
        )
    if len(header) == 1:
        raise InvalidInputError(
            f"the file has only the target column {target!r}; a model needs a feature column",
            details={"target": target, "columns": header},
        )
    return header


def _ragged(line: int, expected: int, got: int) -> InvalidInputError:
    return InvalidInputError(
        f"line {line} has {got} field{'s' * (got != 1)} but the header has {expected}: every row "
        "needs one value per column (quote a value that holds a comma)",
        details={"line": line, "expected_fields": expected, "fields": got},
    )


def read_records(handle: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """The file's rows, each with the file line it starts on."""
    reader = csv.reader(_decoded_lines(handle), strict=True)
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInputError(
                f"line {line} is not valid CSV: {exc}", details={"line": line}
            ) from exc
        yield line, row


def data_rows(
    records: Iterator[tuple[int, list[str]]], width: int
) -> Iterator[tuple[int, list[str]]]:
    """The rows after the header, blank lines skipped; a row of another ``width`` than the
    header raises ``InvalidInputError`` naming its line."""
    for line, row in records:
        if not row:
            continue
        if len(row) != width:
            raise _ragged(line, width, len(row))
        yield line, row


def _decoded_lines(handle: IO[bytes]) -> Iterator[str]:
    """The file's physical lines as text, a leading UTF-8 byte order mark dropped.

    Decoding line by line (a newline byte never occurs inside a UTF-8 sequence) is what lets a
    decoding error name its line and byte offset.
    """
    offset = 0
    for number, raw in enumerate(handle, start=1):
        start = len(codecs.BOM_UTF8) if number == 1 and raw.startswith(codecs.BOM_UTF8) else 0
        try:
            yield raw[start:].decode("utf-8")
        except UnicodeDecodeError as exc:
            at = offset + start + exc.start
            raise InvalidInputError(
                f"line {number} is not UTF-8 text (byte {at} of the file); save the file as "
                "UTF-8 CSV",
                details={"line": number, "byte_offset": at},
            ) from exc
        offset += len(raw)


def verify_sha256(path: Path, expected: str) -> None:
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    if digest.hexdigest() != expected.lower():
        raise ArtifactIntegrityError(
            f"dataset file {path.name} does not match its recorded sha256",
            details={"path": str(path), "expected": expected, "actual": digest.hexdigest()},
        )

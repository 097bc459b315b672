"""Uploaded files, spooled to disk as they arrive with their size bounded while reading.

An upload (a CSV dataset, a model file) is never held whole in memory: its chunks go to a
temporary file in the artifact store's directory (so keeping it is a rename), and the
``MODELBEACON_MAX_UPLOAD_BYTES`` limit is checked as bytes arrive. The file is removed when
the ``spooled`` block ends, whether it was kept (moved into the store) or refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from modelbeacon.errors import InvalidInputError, PayloadTooLargeError

UPLOAD_DIR = ".uploads"


@dataclass(frozen=True, slots=True)
class SpooledFile:
    """An upload on disk: ``path`` (temporary), the client's ``filename`` (a name only, never
    a path to trust) and its ``size`` in bytes."""

    path: Path
    filename: str
    size: int


@asynccontextmanager
async def spooled(
    chunks: AsyncIterator[bytes], filename: str, root: Path, limit: int, what: str
) -> AsyncIterator[SpooledFile]:
    """Write ``chunks`` to a temporary file under ``root``; yield it; remove it at the end.

    Raises ``PayloadTooLargeError`` (413) as soon as more than ``limit`` bytes arrived and
    ``InvalidInputError`` for an empty file; ``what`` names the upload in those messages.
    """
    directory = Path(root) / UPLOAD_DIR
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLargeError(
                        f"{what} is larger than the upload limit of {limit} bytes "
                        "(MODELBEACON_MAX_UPLOAD_BYTES)",
                        details={"max_upload_bytes": limit},
                    )
                await asyncio.to_thread(out.write, chunk)
        if size == 0:
            raise InvalidInputError(f"{what} is empty", details={"filename": filename})
        yield SpooledFile(path=path, filename=Path(filename).name, size=size)
    finally:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)

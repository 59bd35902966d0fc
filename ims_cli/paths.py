"""Files the `ims` command reads and writes: checked before reading, never left half-written."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ims_domain.errors import ImsDomainError

MB = 1_048_576


def regular_file(path_text: str) -> Path:
    """The path of an existing regular file; a device, a pipe or a folder is refused unread
    (reading /dev/zero or a FIFO would never end)."""
    path = Path(path_text)
    if not stat.S_ISREG(path.stat().st_mode):
        raise ImsDomainError(f"{path} is not a regular file")
    return path


def read_input(path_text: str, *, max_mb: int) -> bytes:
    """The bytes of a regular file of at most `max_mb` MB, its size checked before reading."""
    path = regular_file(path_text)
    limit = max_mb * MB
    size = path.stat().st_size
    if size <= limit:
        with path.open("rb") as source:
            data = source.read(limit + 1)
        size = len(data)  # it may have grown since
    if size > limit:
        raise ImsDomainError(
            f"{path} is {size / MB:.1f} MB; the limit is {max_mb} MB (IMS_MAX_FILE_MB)"
        )
    return data


@contextmanager
def output_file(path: Path) -> Iterator[BinaryIO]:
    """`path` open for writing. A regular file is written under a temporary name beside it and
    renamed when complete, so a failure (a full disk) leaves no half file and keeps an older
    one; a device (/dev/null, /dev/full) is written directly. Errors of the output name `path`."""
    direct = path.exists() and not path.is_file()
    partial = path if direct else path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out:
            yield out
        if not direct:
            partial.replace(path)
    except OSError as exc:
        if exc.filename not in (None, str(partial)):
            raise  # about another file the caller touched
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    finally:
        if not direct:
            partial.unlink(missing_ok=True)

"""Atomic file writes: a crash or Ctrl-C mid-write never leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_open(path: str | os.PathLike, caller: str) -> Iterator[BinaryIO]:
    """Open a temp file beside `path` for writing; on success fsync it and rename it over `path`.

    `caller` names the public function in the error raised when the folder does not exist.
    The file gets the usual permissions (0666 less the umask), not mkstemp's private 0600.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{caller}: folder {folder!r} for `path` {path!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike, data: bytes, caller: str) -> None:
    """Write `data` to `path` atomically (see `atomic_open`)."""
    with atomic_open(path, caller) as f:
        f.write(data)

"""Atomic file writes: a file under its final name is always whole.

Used for the state file and the backfill's day files, where a crash mid-write must not
leave something that a restart (or a resumed backfill) would take as complete. A process
killed mid-write (kill -9, out of memory) leaves its temporary file behind: whoever owns
the files removes those at start with :func:`remove_interrupted`.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)


def _temporary_glob(name: str) -> str:
    return f".{name}.*.tmp"  # what write_atomic's mkstemp names


def write_atomic(path: Path, write: Callable[[TextIO], object]) -> None:
    """Call ``write`` on a temporary file beside ``path``, fsync it, rename it over ``path``."""
    prefix, suffix = _temporary_glob(path.name).split("*")
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_interrupted(directory: Path, name: str = "*") -> int:
    """Remove the temporary files interrupted writes of ``name`` (a glob) left in
    ``directory``; returns how many. Only for a process that owns those files: a write in
    progress elsewhere would lose its temporary file."""
    removed = 0
    try:
        found = list(directory.glob(_temporary_glob(name)))
    except OSError:
        return 0
    for path in found:
        try:
            path.unlink()
            removed += 1
        except OSError as exc:
            log.warning(
                "cannot remove an interrupted write's temporary file",
                extra={"path": str(path), "err": exc.strerror},
            )
    if removed:
        log.info(
            "removed temporary files of interrupted writes",
            extra={"directory": str(directory), "files": removed},
        )
    return removed

"""The outbox's files: moving them into the spool (and back when journalling fails), and the
small reserve file given up when the disk fills, so call metadata and audio can still be
journalled after screen segments filled the disk."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

RESERVE_NAME = ".reserve"
RESERVE_BYTES = 1 << 20


def take_file(spool: Path, source: Path, name: str) -> None:
    """Move ``source`` into ``spool`` as ``name`` (a rename; a copy across file systems)."""
    target = spool / name
    if source.resolve() == target.resolve():
        return
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = target.with_name(f".{name}.tmp")
        try:
            shutil.copyfile(source, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        source.unlink()


def put_back(spool: Path, moved: list[tuple[Path, str]]) -> None:
    """Undo :func:`take_file` for ``moved`` (journalling failed: the files are as before)."""
    for source, name in reversed(moved):
        with contextlib.suppress(OSError):
            os.replace(spool / name, source)


def ensure_reserve(spool: Path) -> bool:
    """Keep the reserve file; without room for it now (False), it is tried again later."""
    path = spool / RESERVE_NAME
    try:
        if path.stat().st_size >= RESERVE_BYTES:
            return True
    except OSError:
        pass
    try:
        with open(path, "wb") as fh:
            os.posix_fallocate(fh.fileno(), 0, RESERVE_BYTES)
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return False
    return True


def release_reserve(spool: Path) -> bool:
    """Give the reserve's space back to the disk; False when it was already given up."""
    path = spool / RESERVE_NAME
    if not path.exists():
        return False
    log.warning("outbox: the disk is full; using the reserve to journal calls and audio")
    path.unlink()
    return True

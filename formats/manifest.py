"""A screen segment's manifest: the JSON beside each ``screen-*.mp4`` (recorder/README.md,
"A segment on disk"). The recorder writes it, the outbox journals and uploads it (content
type :data:`MANIFEST_TYPE`), QA playback reads its times and masked periods back from the store.

:func:`write_manifest` is the one writer (atomic: temp file, fsync, rename, fsync of the
folder); :func:`read_manifest` and :func:`parse_manifest` the one reader, which raises
:class:`ManifestError` naming the file and the field at fault.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MANIFEST_TYPE = "application/json"  # how the uploader stores it beside the media
MANIFEST_VERSION = 2  # 2: masked periods say why (``reasons``)
RECORDING, COMPLETE, PARTIAL = "recording", "complete", "partial"
STATUSES = (RECORDING, COMPLETE, PARTIAL)
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

RectTuple = tuple[int, int, int, int]  # x, y, width, height in video pixels


class ManifestError(ValueError):
    """A manifest that cannot be read: the text names the file (if any) and the field."""


class ManifestSpaceError(OSError):
    """The disk is full: the manifest could be neither replaced nor overwritten in place."""


# Why a period is masked: the operator paused, a sensitive card field had focus, a window with
# a masked title was shown, or window titles could not be read (the whole screen, fail closed).
MANUAL, SENSITIVE_FIELD, MASKED_TITLE, TITLES_UNREADABLE = (
    "manual",
    "sensitive_field",
    "masked_title",
    "titles_unreadable",
)
MASK_REASONS = (MANUAL, SENSITIVE_FIELD, MASKED_TITLE, TITLES_UNREADABLE)


@dataclass
class MaskedPeriod:
    """Time during which ``rects`` (video pixels of this segment) were blacked out;
    ``end_us`` None while it lasts. ``reasons``: why (:data:`MASK_REASONS`; several at once,
    e.g. a manual pause while a sensitive field has focus; empty in manifests of version 1)."""

    start_us: int
    end_us: int | None
    rects: Sequence[RectTuple]
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "start_us": self.start_us,
            "end_us": self.end_us,
            "rects": [list(r) for r in self.rects],
            "reasons": list(self.reasons),
        }


@dataclass
class Manifest:
    """What a segment holds (see the module docstring)."""

    id: str
    file: str
    status: str
    utc_start_us: int
    utc_end_us: int
    width: int
    height: int
    fps: float
    layout: dict[str, Any]
    call_ids: list[str] = field(default_factory=list)
    frames: int = 0
    key_frames: int = 0
    bytes: int = 0
    sha256: str = ""
    masked_periods: list[MaskedPeriod] = field(default_factory=list)
    encoder: dict[str, Any] = field(default_factory=dict)
    codec: str = "h264"
    container: str = "mp4-fragmented"
    pix_fmt: str = "yuv420p"
    time_base: str = "1/90000"
    pid: int | None = None  # the writer's, while ``recording``
    version: int = MANIFEST_VERSION

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["call_ids"] = list(self.call_ids)
        data["masked_periods"] = [p.to_json() for p in self.masked_periods]
        return data


_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "file": str,
    "status": str,
    "utc_start_us": int,
    "utc_end_us": int,
    "width": int,
    "height": int,
    "fps": (int, float),
    "layout": dict,
}
_OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "call_ids": list,
    "frames": int,
    "key_frames": int,
    "bytes": int,
    "sha256": str,
    "masked_periods": list,
    "encoder": dict,
    "codec": str,
    "container": str,
    "pix_fmt": str,
    "time_base": str,
    "pid": (int, type(None)),
    "version": int,
}


def manifest_from_json(data: Any) -> Manifest:
    """The manifest in a decoded JSON document; :class:`ManifestError` names the bad field.
    Keys it does not know are ignored (a later version may add some)."""
    if not isinstance(data, dict):
        raise ManifestError(f"a manifest is a JSON object, not {type(data).__name__}")
    values: dict[str, Any] = {}
    for name, kind in (*_REQUIRED.items(), *_OPTIONAL.items()):
        if name not in data:
            if name in _REQUIRED:
                raise ManifestError(f"missing field {name!r}")
            continue
        value = data[name]
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            raise ManifestError(f"field {name!r} has the wrong type: {value!r}")
        values[name] = value
    if values["status"] not in STATUSES:
        raise ManifestError(f"field 'status': {values['status']!r} is not one of {STATUSES}")
    values["fps"] = float(values["fps"])
    if not all(isinstance(c, str) for c in values.get("call_ids", [])):
        raise ManifestError("field 'call_ids' must be a list of strings")
    values["masked_periods"] = [_period(p) for p in values.get("masked_periods", [])]
    return Manifest(**values)


def _period(data: Any) -> MaskedPeriod:
    try:
        start, end, rects = data["start_us"], data.get("end_us"), data["rects"]
        reasons = data.get("reasons", [])
        if not isinstance(start, int) or not (end is None or isinstance(end, int)):
            raise TypeError("times must be integers")
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
            raise TypeError("reasons must be a list of strings")
        boxes = [tuple(int(v) for v in r) for r in rects]
        if any(len(b) != 4 for b in boxes):
            raise TypeError("a rectangle is [x, y, width, height]")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ManifestError(f"field 'masked_periods' has a bad period {data!r}: {exc}") from None
    return MaskedPeriod(start, end, [(b[0], b[1], b[2], b[3]) for b in boxes], list(reasons))


def parse_manifest(data: bytes | str) -> Manifest:
    """The manifest in ``data`` (the JSON text, e.g. downloaded from the store)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError(f"not JSON: {exc}") from None
    return manifest_from_json(doc)


def read_manifest(path: Path) -> Manifest:
    """The manifest in the file ``path``; OSError if it cannot be read, ManifestError if it is
    not a manifest (the message names the file)."""
    text = path.read_text(encoding="utf-8")
    try:
        return parse_manifest(text)
    except ManifestError as exc:
        raise ManifestError(f"{path.name}: {exc}") from None


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Temp file in the same folder, fsync, rename over ``path``: readers see old or new.

    On a full disk the temp file cannot be created; then an existing ``path`` is overwritten
    in place instead (a manifest stays within the disk block it already has), which is not
    atomic but is the only way left to finish it. Raises :class:`ManifestSpaceError` if that
    fails too, OSError on any other error.
    """
    text = json.dumps(manifest.to_json(), indent=1) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if exc.errno not in _STORAGE_ERRNOS:
            raise
        if not path.exists() or not _overwrite_in_place(path, text.encode()):
            raise ManifestSpaceError(exc.errno, f"no space left for {path.name}: {exc}") from exc
        log.warning("disk full: %s rewritten in place", path.name)
    with contextlib.suppress(OSError):
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _overwrite_in_place(path: Path, data: bytes) -> bool:
    try:
        with open(path, "r+b") as out:
            out.write(data)
            out.truncate()
            out.flush()
            os.fsync(out.fileno())
    except OSError:
        return False
    return True

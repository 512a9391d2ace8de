"""Self-contained screen segments: one fragmented MP4 file each, with a JSON manifest beside it.

``screen-<UTC start>-<id>.mp4`` and ``screen-<UTC start>-<id>.json``. The manifest is written
(atomically: temp file, fsync, rename) when the segment opens, with ``status: "recording"`` and
the writer's pid, again whenever its call ids or masks change, and a last time when the segment
is finished (``complete``). If the writer dies, :func:`recover` (run by the next recorder on the
same folder) cuts the file after its last complete fragment and rewrites the manifest as
``partial`` with the frames, end time, size and SHA-256 of what is left; a file without a
single complete fragment is deleted with its manifest, and a log line says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import struct
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
import numpy.typing as npt

from formats.manifest import (
    COMPLETE,
    PARTIAL,
    RECORDING,
    Manifest,
    ManifestError,
    ManifestSpaceError,
    MaskedPeriod,
    read_manifest,
    write_manifest,
)
from recorder.capture.geometry import Rect
from recorder.segments.encoder import CODEC, TIME_BASE, EncodeError, EncoderSettings, SegmentEncoder
from recorder.segments.encoder import StorageFull as StorageFull

log = logging.getLogger(__name__)


def save_manifest(path: Path, manifest: Manifest) -> None:
    """:func:`formats.manifest.write_manifest`, a full disk raised as :class:`StorageFull`."""
    try:
        write_manifest(path, manifest)
    except ManifestSpaceError as exc:
        raise StorageFull(exc.strerror or str(exc)) from exc


def segment_stem(utc_start_us: int, segment_id: str) -> str:
    when = dt.datetime.fromtimestamp(utc_start_us / 1e6, tz=dt.UTC)
    return f"screen-{when:%Y%m%dT%H%M%S}.{utc_start_us // 1000 % 1000:03d}Z-{segment_id[:8]}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as media:
        while chunk := media.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def fragment_ends(path: Path) -> list[int]:
    """Byte offsets of ``path`` that end a complete fragment, in order.

    Walks the top-level MP4 boxes: ``ftyp``, ``moov``, then ``moof``+``mdat`` pairs.
    """
    size = path.stat().st_size
    ends: list[int] = []
    offset = 0
    seen_moof = False
    with open(path, "rb") as media:
        while offset + 8 <= size:
            media.seek(offset)
            box_size, box_type = struct.unpack(">I4s", media.read(8))
            if box_size == 1:
                if offset + 16 > size:
                    break
                (box_size,) = struct.unpack(">Q", media.read(8))
            if box_size < 8 or offset + box_size > size:
                break  # cut short (or 0: "to the end of the file", never complete here)
            offset += box_size
            if box_type == b"moof":
                seen_moof = True
            elif box_type == b"mdat" and seen_moof:
                ends.append(offset)
                seen_moof = False
            elif box_type == b"mfra":
                ends.append(offset)
    return ends


def complete_prefix(path: Path) -> int:
    """Bytes of ``path`` that end after its last complete fragment (0: none is complete)."""
    ends = fragment_ends(path)
    return ends[-1] if ends else 0


def _decoded_summary(path: Path) -> tuple[int, int, int]:
    """(frames, key frames, last pts) of the video stream, every packet decoded: a fragment
    whose boxes are whole but whose data is not (a write that failed half-way) raises."""
    frames = keys = 0
    last_pts = -1
    with av.open(str(path)) as container:
        for packet in container.demux(video=0):
            if packet.pts is None:
                continue
            packet.decode()
            frames += 1
            keys += int(packet.is_keyframe)
            last_pts = max(last_pts, packet.pts)
    return frames, keys, last_pts


def salvage(media: Path, manifest: Manifest, manifest_path: Path) -> Manifest | None:
    """Cut ``media`` after its last complete fragment that decodes; mark the manifest ``partial``.

    Returns the new manifest, or None when nothing playable was left (both files removed).
    """
    frames = keys = 0
    last_pts = -1
    try:
        ends = fragment_ends(media) if media.exists() else []
    except OSError as exc:
        log.warning("segment %s cannot be read back (%s); discarding it", media.name, exc)
        ends = []
    for end in reversed(ends):  # the longest prefix whose every frame decodes
        try:
            with open(media, "r+b") as cut:
                cut.truncate(end)
            frames, keys, last_pts = _decoded_summary(media)
            break
        except (OSError, av.error.FFmpegError) as exc:
            log.warning("segment %s does not decode up to byte %d (%s)", media.name, end, exc)
            frames = 0
    if frames == 0:
        media.unlink(missing_ok=True)
        manifest_path.unlink(missing_ok=True)
        log.warning("segment %s had no complete fragment; discarded", media.name)
        return None
    manifest.status = PARTIAL
    manifest.frames, manifest.key_frames = frames, keys
    manifest.utc_end_us = manifest.utc_start_us + round(last_pts * 100 / 9)
    manifest.bytes = media.stat().st_size
    manifest.sha256 = file_sha256(media)
    manifest.pid = None
    _close_masks(manifest, manifest.utc_end_us)
    save_manifest(manifest_path, manifest)
    log.warning(
        "segment %s was cut short; kept %d frames up to its last fragment (partial)",
        media.name,
        frames,
    )
    return manifest


def _close_masks(manifest: Manifest, utc_end_us: int) -> None:
    kept = []
    for period in manifest.masked_periods:
        if period.start_us >= utc_end_us:
            continue
        if period.end_us is None or period.end_us > utc_end_us:
            period.end_us = utc_end_us
        kept.append(period)
    manifest.masked_periods = kept


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(directory: Path) -> list[Manifest]:
    """Finish the segments that a dead recorder left ``recording`` in ``directory``."""
    recovered = []
    for tmp in directory.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
    for path in sorted(directory.glob("screen-*.json")):
        try:
            manifest = read_manifest(path)
        except (OSError, ManifestError) as exc:
            log.warning("unreadable manifest %s: %s", path.name, exc)
            continue
        if manifest.status != RECORDING:
            continue
        if manifest.pid not in (None, os.getpid()) and _pid_alive(manifest.pid or 0):
            continue  # another live recorder is writing it
        try:
            result = salvage(directory / manifest.file, manifest, path)
        except (OSError, EncodeError) as exc:
            log.error("could not recover segment %s: %s", manifest.file, exc)
            continue
        if result is not None:
            recovered.append(result)
    return recovered


class SegmentWriter:
    """One segment being recorded: its encoder and its manifest; see the module docstring."""

    def __init__(
        self,
        directory: Path,
        *,
        width: int,
        height: int,
        utc_start_us: int,
        fps: float,
        layout: dict[str, Any],
        call_ids: list[str] | None = None,
        mask: list[Rect] | None = None,
        settings: EncoderSettings | None = None,
    ) -> None:
        self.settings = settings or EncoderSettings()
        segment_id = str(uuid.uuid4())
        stem = segment_stem(utc_start_us, segment_id)
        self.media_path = directory / f"{stem}.mp4"
        self.manifest_path = directory / f"{stem}.json"
        self.manifest = Manifest(
            id=segment_id,
            file=self.media_path.name,
            status=RECORDING,
            utc_start_us=utc_start_us,
            utc_end_us=utc_start_us,
            width=width,
            height=height,
            fps=fps,
            layout=layout,
            call_ids=list(dict.fromkeys(call_ids or [])),
            encoder=self.settings.to_json(),
            codec=CODEC,
            time_base=f"{TIME_BASE.numerator}/{TIME_BASE.denominator}",
            pid=os.getpid(),
        )
        self._mask: list[Rect] = []
        self._mask_reasons: list[str] = []
        if mask:
            self._mask = list(mask)
            self.manifest.masked_periods.append(MaskedPeriod(utc_start_us, None, self._mask))
        save_manifest(self.manifest_path, self.manifest)
        try:
            self.encoder = SegmentEncoder(
                self.media_path, width, height, utc_start_us, fps, self.settings
            )
        except EncodeError:
            self.manifest_path.unlink(missing_ok=True)
            raise

    @property
    def utc_start_us(self) -> int:
        return self.manifest.utc_start_us

    def write(self, yuv: npt.NDArray[np.uint8], utc_us: int, *, filler: bool = False) -> None:
        self.encoder.encode(yuv, utc_us, filler=filler)

    def set_mask(self, rects: list[Rect], utc_us: int, reasons: Sequence[str] = ()) -> None:
        """From ``utc_us`` on, ``rects`` (video pixels) are blacked out for ``reasons``; []
        ends masking. A change of rectangles or of reasons starts a new masked period."""
        if rects == self._mask and (not rects or list(reasons) == self._mask_reasons):
            return
        periods = self.manifest.masked_periods
        if periods and periods[-1].end_us is None:
            periods[-1].end_us = utc_us
        if rects:
            periods.append(MaskedPeriod(utc_us, None, list(rects), list(reasons)))
        self._mask = list(rects)
        self._mask_reasons = list(reasons)
        save_manifest(self.manifest_path, self.manifest)

    def add_call_ids(self, call_ids: list[str]) -> None:
        merged = list(dict.fromkeys([*self.manifest.call_ids, *call_ids]))
        if merged != self.manifest.call_ids:
            self.manifest.call_ids = merged
            save_manifest(self.manifest_path, self.manifest)

    def finish(self, yuv: npt.NDArray[np.uint8] | None, utc_end_us: int) -> Manifest | None:
        """Close the file (playback lasting until ``utc_end_us``) and write the final manifest.

        On a full disk the segment is salvaged as ``partial`` and :class:`StorageFull` raised.
        """
        if self.encoder.frames == 0:
            self.encoder.abort()
            self.media_path.unlink(missing_ok=True)
            self.manifest_path.unlink(missing_ok=True)
            return None
        try:
            self.encoder.close(yuv, utc_end_us)
        except EncodeError:
            self.fail()
            raise
        manifest = self.manifest
        manifest.utc_end_us = max(utc_end_us, self.encoder.last_utc_us or utc_end_us)
        manifest.frames = self.encoder.frames
        manifest.key_frames = self.encoder.key_frames
        manifest.bytes = self.media_path.stat().st_size
        manifest.sha256 = file_sha256(self.media_path)
        manifest.status = COMPLETE
        manifest.pid = None
        _close_masks(manifest, manifest.utc_end_us)
        try:
            save_manifest(self.manifest_path, manifest)
        except StorageFull:
            manifest.status = RECORDING  # on disk it still says so; recover() will finish it
            raise
        return manifest

    def fail(self) -> Manifest | None:
        """After an error: stop writing, keep what is playable (``partial``) or discard it."""
        self.encoder.abort()
        try:
            return salvage(self.media_path, self.manifest, self.manifest_path)
        except (OSError, EncodeError) as exc:
            log.error("could not finalise %s after an error: %s", self.media_path.name, exc)
            return None

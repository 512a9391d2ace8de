"""The recorder worker's spool: finished segments wait in ``OUT/spool`` until no window can
claim them any more, then those that list a call move to ``OUT`` (and into the outbox) and the
rest are deleted. :class:`~recorder.segments.windows.SpoolIndex` decides, this does it."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from formats import pipe
from formats.clock import utc_us
from formats.manifest import Manifest
from recorder.segments.encoder import StorageFull
from recorder.segments.heap import trim_heap
from recorder.segments.spool import SpoolFolder, manifest_name
from recorder.segments.windows import RecordingWindows, SpoolIndex, SpoolSegment
from recorder.worker_upload import UploadSide

log = logging.getLogger("recorder.worker")

LATE_S = 2.0  # how late a window may open after the time stamped on its call event
LEFTOVER_HOLD_S = 15.0  # a new worker keeps a dead one's unclaimed segments this long
SETTLE_MARGIN_S = 5.0  # a closed window's last segment is kept within this of settling

Report = Callable[[str, str], None]  # (error kind, message)


class Spool:
    """The spool folder and its index. Every method but :meth:`add` expects the caller to
    hold the worker's lock (``lock``); :meth:`add` runs on the capture thread and takes it."""

    def __init__(
        self,
        out_dir: Path,
        preroll_s: float,
        *,
        windows: RecordingWindows,
        uploads: UploadSide,
        lock: threading.RLock,
        emit: Callable[[pipe.Event], None],
        error: Report,
    ) -> None:
        self.folder = SpoolFolder(out_dir)
        self.index = SpoolIndex(preroll_s, LATE_S)
        self._settle_us = round((preroll_s + LATE_S + SETTLE_MARGIN_S) * 1e6)
        self._windows, self._uploads, self._lock = windows, uploads, lock
        self._emit, self._error = emit, error
        self.kept = 0

    @property
    def path(self) -> Path:
        return self.folder.path

    def __len__(self) -> int:
        return len(self.index)

    def may_grow(self, call_id: str) -> bool:
        """Whether more segments of the call may still come (takes the lock: called by the
        uploader, never under the outbox's lock)."""
        with self._lock:
            window = self._windows.get(call_id)
            if self.index.lists(call_id):
                return True
        if window is None:
            return False
        return window.is_open or (window.closed_us or 0) > utc_us() - self._settle_us

    def prepare(self) -> None:
        """Create the folders and take over what a dead worker left (held a while: the
        desktop re-opens its calls' windows first, and they may claim them)."""
        for segment in self.folder.prepare(utc_us() + round(LEFTOVER_HOLD_S * 1e6)):
            self.index.add(segment)

    def add(self, manifest: Manifest) -> None:
        """A segment the recorder finished (on the capture thread): tag it with the calls
        whose windows claim it, and index it."""
        trim_heap()
        segment = SpoolSegment(
            manifest_name(manifest),
            manifest.utc_start_us,
            manifest.utc_end_us,
            list(manifest.call_ids),
        )
        try:
            with self._lock:
                if segment.add_ids(self._windows.claims(segment.start_us, segment.end_us)):
                    self._rewrite(segment)
                self.index.add(segment)
        except Exception as exc:  # never break the capture loop over bookkeeping
            log.exception("segment %s could not be indexed", manifest.file)
            self._error("spool", f"segment {manifest.file}: {exc}")

    def claim(self, call_id: str, from_us: int) -> None:
        """A window opened: its pre-roll claims the spooled segments since ``from_us``."""
        for segment in self.index.claim(call_id, from_us):
            self._rewrite(segment)

    def _rewrite(self, segment: SpoolSegment) -> None:
        try:
            self.folder.rewrite(segment)
        except (OSError, ValueError, StorageFull) as exc:
            self._error("spool", f"cannot tag {segment.name} with its calls: {exc}")

    def settle(self, *, everything: bool = False) -> None:
        """Keep or delete the segments no window can claim any more (``everything``: at the
        end, all of them)."""
        keep, drop = self.index.drain() if everything else self.index.settle(utc_us())
        for segment in drop:
            try:
                self.folder.discard(segment)
            except OSError as exc:
                self._error("spool", f"cannot delete {segment.name}: {exc}")
        if keep and not self._uploads.accepts_screen():
            # The upload spool is full: screen gives way. These leave the index but their
            # files stay in the spool folder (the next start takes them over); on a full
            # disk they are deleted, so that call audio and metadata still fit.
            if self._uploads.disk_full():
                for segment in keep:
                    with contextlib.suppress(OSError):
                        self.folder.discard(segment)
            keep = []
        for segment in keep:
            try:
                path, manifest = self.folder.release(segment)
            except (OSError, ValueError, StorageFull) as exc:
                self._error("spool", f"cannot keep {segment.name}: {exc}")
                continue
            self.kept += 1
            self._uploads.add_segment(path, manifest)
            self._emit(
                pipe.SegmentDone(
                    manifest=str(path),
                    call_ids=manifest.call_ids,
                    status=manifest.status,
                    utc_start_us=manifest.utc_start_us,
                    utc_end_us=manifest.utc_end_us,
                    bytes=manifest.bytes,
                )
            )

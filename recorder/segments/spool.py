"""The worker's spool folder: where every segment is recorded before it is kept or deleted.

``OUT/spool/`` holds the segment in progress and the finished ones that a window's pre-roll may
still claim (which ones: :class:`recorder.segments.windows.SpoolIndex`). A kept segment is
*released*
into ``OUT/`` by two renames, media first, then its manifest (no new disk space needed, so this
works on a full disk too): ``OUT/`` holds only finished segments that belong to a call, which
is what the uploader takes. A segment nobody claimed is deleted, media first.

After a crash, :meth:`SpoolFolder.prepare` finishes what the dead worker left: segments still
``recording`` are salvaged (:func:`recorder.segments.writer.recover`), a release cut between its two
renames is completed, and the rest is indexed again.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from formats.manifest import RECORDING, Manifest, ManifestError, read_manifest
from recorder.segments.windows import SpoolSegment
from recorder.segments.writer import recover, save_manifest

log = logging.getLogger(__name__)

SPOOL_NAME = "spool"


def manifest_name(manifest: Manifest) -> str:
    return Path(manifest.file).with_suffix(".json").name


class SpoolFolder:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / SPOOL_NAME

    def prepare(self, hold_until_us: int) -> list[SpoolSegment]:
        """Create the folders and take over what a dead worker left (see the module doc);
        leftovers are held until ``hold_until_us`` (the desktop re-opens its calls' windows
        first, and they may claim them)."""
        self.path.mkdir(parents=True, exist_ok=True)
        for manifest in recover(self.path):
            log.warning("recovered segment %s left by an earlier worker", manifest.file)
        found = []
        for path in sorted(self.path.glob("screen-*.json")):
            try:
                manifest = read_manifest(path)
            except (OSError, ManifestError) as exc:
                log.warning("unreadable manifest %s (%s); deleting it", path.name, exc)
                path.unlink(missing_ok=True)
                continue
            if manifest.status == RECORDING:
                continue  # another live recorder's (recover() left it alone)
            if not (self.path / manifest.file).exists():
                if (self.out_dir / manifest.file).exists():
                    os.replace(path, self.out_dir / path.name)  # a release cut in the middle
                    log.warning("finished releasing %s", manifest.file)
                else:
                    path.unlink()
                continue
            found.append(
                SpoolSegment(
                    path.name,
                    manifest.utc_start_us,
                    manifest.utc_end_us,
                    list(manifest.call_ids),
                    hold_until_us,
                )
            )
        return found

    def rewrite(self, segment: SpoolSegment) -> None:
        """Write ``segment.call_ids`` into its manifest (atomically; in place on a full disk)."""
        path = self.path / segment.name
        manifest = read_manifest(path)
        manifest.call_ids = list(segment.call_ids)
        save_manifest(path, manifest)

    def release(self, segment: SpoolSegment) -> tuple[Path, Manifest]:
        """Move a kept segment into the output folder; returns its manifest's new path."""
        source = self.path / segment.name
        manifest = read_manifest(source)
        if manifest.call_ids != segment.call_ids:
            manifest.call_ids = list(segment.call_ids)
            save_manifest(source, manifest)
        os.replace(self.path / manifest.file, self.out_dir / manifest.file)
        target = self.out_dir / segment.name
        os.replace(source, target)
        with contextlib.suppress(OSError):
            fd = os.open(self.out_dir, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return target, manifest

    def discard(self, segment: SpoolSegment) -> None:
        """Delete a segment no call claimed."""
        path = self.path / segment.name
        try:
            media = read_manifest(path).file
        except (OSError, ManifestError):
            media = Path(segment.name).with_suffix(".mp4").name
        (self.path / media).unlink(missing_ok=True)
        path.unlink(missing_ok=True)

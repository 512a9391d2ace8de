"""MP4 exports of calls, made by the store as jobs: whoever may read a call asks for one (audited
as `call.export`), a worker in any API process claims it from the database (`FOR UPDATE SKIP
LOCKED` on PostgreSQL; one writer at a time on SQLite), builds the file and stores it as media
held by the requester, who then downloads it through the audited media route.

The file: the call's screen segments, each in its place on the call's timeline by its UTC
start, a segment cut where the next begins (store/export_video.py: copied as they are, or
scaled onto one size when their sizes differ); the call's stereo audio (operator left,
customer right) as AAC, placed by the UTC of its first sample. Time zero is the earliest of
the call's media.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from store import audit, export_video
from store.blobs import BlobStore
from store.calls import visible_call
from store.db import Database, Row
from store.errors import Invalid, NotFound
from store.media import record
from store.models import Role
from store.users import Principal, now_us

log = logging.getLogger("store.exports")
_SAMPLE = Fraction(1, 48000)
STALE_US = 15 * 60 * 1_000_000  # a running job untouched this long is taken again
SCREEN_TYPES = ("video/mp4",)
AUDIO_TYPES = ("audio/ogg", "audio/wav")
_COLUMNS = (
    "id, call_id, requested_by, status, progress, sha256, size, error, created_us, "
    "started_us, finished_us"
)


def request_export(db: Database, call_id: str, who: Principal) -> Row:
    """A queued export of a call `who` may read (else NotFound, as for any other call)."""
    visible_call(db, call_id, who, "id")
    if not db.one(
        "SELECT 1 AS x FROM call_media l JOIN media m ON m.sha256 = l.sha256 "
        "WHERE l.call_id = ? AND m.deleted_us IS NULL AND l.kind IN ('screen', 'audio') LIMIT 1",
        (call_id,),
    ):
        raise Invalid(f"call {call_id!r} has no screen or audio to export", "nothing_to_export")
    with db.transaction():
        row = db.one(
            "INSERT INTO export_jobs (call_id, requested_by, status, progress, created_us) "
            f"VALUES (?, ?, 'queued', 0, ?) RETURNING {_COLUMNS}",
            (call_id, who.name, now_us()),
        )
        assert row is not None
        audit.record(db, who, "call.export", call_id, f"mp4 export job {row['id']} requested")
    return row


def job(db: Database, job_id: int, who: Principal) -> Row:
    """The job, to the one who asked for it (and admins); NotFound for everyone else."""
    row = db.one(f"SELECT {_COLUMNS} FROM export_jobs WHERE id = ?", (job_id,))
    if row is None or (row["requested_by"] != who.name and who.role is not Role.admin):
        raise NotFound(f"no export job {job_id}")
    return row


def claim(db: Database, worker: str) -> Row | None:
    """The oldest queued job (or one left running by a dead worker), now running here."""
    lock = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""
    stale = now_us() - STALE_US
    waiting = (
        "SELECT id FROM export_jobs "
        "WHERE status = 'queued' OR (status = 'running' AND started_us < ?) LIMIT 1"
    )
    if db.one(waiting, (stale,)) is None:  # the common case: a read, no write lock taken
        return None
    with db.transaction():
        row = db.one(
            "SELECT id FROM export_jobs WHERE status = 'queued' "
            f"OR (status = 'running' AND started_us < ?) ORDER BY id LIMIT 1{lock}",
            (stale,),
        )
        if row is None:
            return None
        return db.one(
            "UPDATE export_jobs SET status = 'running', started_us = ?, claimed_by = ?, "
            f"progress = 0 WHERE id = ? RETURNING {_COLUMNS}",
            (now_us(), worker, row["id"]),
        )


def _parts(db: Database, call_id: str) -> tuple[list[Row], Row | None]:
    rows = db.query(
        "SELECT l.sha256, l.kind, l.start_us, l.end_us, m.content_type, m.size "
        "FROM call_media l JOIN media m ON m.sha256 = l.sha256 "
        "WHERE l.call_id = ? AND m.deleted_us IS NULL ORDER BY l.start_us",
        (call_id,),
    )
    timed = [r for r in rows if r["start_us"]]
    screens = [r for r in timed if r["kind"] == "screen" and r["content_type"] in SCREEN_TYPES]
    audios = [r for r in timed if r["kind"] == "audio" and r["content_type"] in AUDIO_TYPES]
    return screens, (audios[0] if audios else None)


def _fetch(blobs: BlobStore, sha256: str, size: int, folder: Path) -> Path:
    path = folder / sha256
    with open(path, "wb") as out:
        for chunk in blobs.read_range(sha256, 0, size - 1) if size else iter(()):
            out.write(chunk)
    return path


def build_mp4(
    screens: list[tuple[int, int | None, Path]],
    audio: tuple[int, Path] | None,
    out: Path,
    progress: Callable[[float], None] = lambda _: None,
) -> None:
    """Write the MP4 (see the module docstring). `screens`: (UTC start, UTC end, file) in time
    order; `audio`: (UTC of the first sample, file)."""
    starts = [s for s, _, _ in screens] + ([audio[0]] if audio else [])
    if not starts:
        raise Invalid("nothing to export")
    zero = min(starts)
    steps = len(screens) + (1 if audio else 0)
    done = 0
    with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as dst:
        vstream, scaled = export_video.add_stream(dst, screens) if screens else (None, False)
        astream: Any = None
        if audio:
            astream = dst.add_stream("aac", rate=48000, layout="stereo")
            astream.bit_rate = 64_000
            astream.codec_context.options = {"aac_coder": "fast"}

        def step() -> None:
            nonlocal done
            done += 1
            progress(done / steps)

        if vstream is not None and scaled:
            export_video.write_scaled(dst, vstream, screens, zero, step)
        elif vstream is not None:
            export_video.write_copied(dst, vstream, screens, zero, step)
        if audio and astream is not None:
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000)
            first_sample = round((audio[0] - zero) * 48000 / 1e6)
            written = 0
            with av.open(str(audio[1])) as src:
                for frame in src.decode(audio=0):
                    for chunk in resampler.resample(frame):
                        chunk.pts, chunk.time_base = first_sample + written, _SAMPLE
                        written += chunk.samples
                        dst.mux(astream.encode(chunk))
                for chunk in resampler.resample(None):
                    chunk.pts, chunk.time_base = first_sample + written, _SAMPLE
                    written += chunk.samples
                    dst.mux(astream.encode(chunk))
            dst.mux(astream.encode(None))
            progress(1.0)


def run(db: Database, blobs: BlobStore, tmp_dir: Path, row: Row) -> None:
    """Build the job's file, store it as media held by the requester, mark the job done (or
    failed, saying why)."""
    job_id = int(row["id"])
    folder = tmp_dir / f"export-{job_id}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True, exist_ok=True)

    def progress(value: float) -> None:
        db.execute(
            "UPDATE export_jobs SET progress = ? WHERE id = ?", (round(0.95 * value, 3), job_id)
        )

    try:
        screens, audio = _parts(db, row["call_id"])
        files = [
            (int(s["start_us"]), s["end_us"], _fetch(blobs, s["sha256"], int(s["size"]), folder))
            for s in screens
        ]
        sound = None
        if audio is not None:
            path = _fetch(blobs, audio["sha256"], int(audio["size"]), folder)
            sound = (int(audio["start_us"]), path)
        out = folder / "export.mp4"
        build_mp4(files, sound, out, progress)
        digest = hashlib.sha256()
        with open(out, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        sha256 = digest.hexdigest()
        size = out.stat().st_size
        blobs.publish(sha256, out, "video/mp4")
        requester = db.one("SELECT role FROM users WHERE name = ?", (row["requested_by"],))
        who = Principal(row["requested_by"], Role(requester["role"] if requester else "qa"))
        record(db, sha256, size, "video/mp4", who)
        db.execute(
            "UPDATE export_jobs SET status = 'done', progress = 1, sha256 = ?, size = ?, "
            "finished_us = ? WHERE id = ?",
            (sha256, size, now_us(), job_id),
        )
    except Exception as exc:  # the job says why; the worker goes on
        log.warning("export job %s failed: %s", job_id, exc)
        message = exc.message if isinstance(exc, Invalid) else f"{type(exc).__name__}: {exc}"
        db.execute(
            "UPDATE export_jobs SET status = 'failed', error = ?, finished_us = ? WHERE id = ?",
            (message[:500], now_us(), job_id),
        )
    finally:
        for leftover in folder.iterdir():
            leftover.unlink(missing_ok=True)
        folder.rmdir()


class ExportWorker:
    """A thread that claims and runs export jobs until stopped (one per API process)."""

    def __init__(self, db: Database, blobs: BlobStore, tmp_dir: Path, poll_s: float = 0.5):
        self.db = db
        self.blobs = blobs
        self.tmp_dir = tmp_dir
        self.poll_s = poll_s
        self.name = f"{os.uname().nodename}:{os.getpid()}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="export-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                row = claim(self.db, self.name)
            except Exception as exc:  # the database may come back
                log.warning("export worker: cannot claim a job: %s", exc)
                row = None
            if row is None:
                self._stop.wait(self.poll_s)
                continue
            run(self.db, self.blobs, self.tmp_dir, row)

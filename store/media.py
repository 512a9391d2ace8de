"""Media: receiving a verified upload, the media table, who may read what, and byte ranges.

An upload is hashed as it streams in (held in memory up to 1 MiB, else spilled to a temp file);
only a body whose SHA-256 equals the one in the URL is published (blob first, then its row),
so nothing partial or wrong is ever visible. The row is what makes media visible: a blob
without a row is an orphan nobody sees.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from store.blobs import BlobStore
from store.db import Database, Row
from store.errors import BadRange, Gone, Invalid, NotFound, TooLarge, UnsupportedMedia
from store.models import ContentType
from store.users import Principal, now_us

ALIASES = {"audio/x-wav": "audio/wav", "audio/wave": "audio/wav", "audio/vnd.wave": "audio/wav"}
_RANGE = re.compile(r"(\d{0,19})-(\d{0,19})")


def content_type_of(header: str | None) -> str:
    """The media type of an upload, one of ContentType; UnsupportedMedia otherwise."""
    kind = (header or "").split(";", 1)[0].strip().lower()
    kind = ALIASES.get(kind, kind)
    allowed = [c.value for c in ContentType]
    if kind not in allowed:
        shown = kind or "none"
        raise UnsupportedMedia(f"content type {shown!r} not accepted: one of {', '.join(allowed)}")
    return kind


MEMORY_BYTES = 1 << 20  # bodies up to this size stay in memory until verified


@dataclass
class Received:
    """A verified upload body: in memory while small, else spilled to a temp file."""

    size: int = 0
    chunks: list[bytes] = field(default_factory=list)
    spill: Path | None = None

    def to_file(self, tmp_dir: Path) -> Path:
        """The body as a temp file for `BlobStore.publish` (blocking: call off the loop)."""
        if self.spill is not None:
            return self.spill
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="up-")
        self.spill = Path(name)  # from here on `discard` removes it, whatever happens
        try:
            for chunk in self.chunks:
                _write_all(fd, chunk)
        finally:
            os.close(fd)
        self.chunks = []
        return self.spill

    def discard(self) -> None:
        self.chunks = []
        if self.spill is not None:
            with contextlib.suppress(FileNotFoundError):
                self.spill.unlink()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


async def receive(request: Request, sha256: str, tmp_dir: Path, max_bytes: int) -> Received:
    """Read the body, checking size and hash as it streams; the verified body."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Invalid("Content-Length is not a number")
        if int(declared) > max_bytes:
            raise TooLarge(f"upload of {declared} bytes is over the limit of {max_bytes}")
    digest = hashlib.sha256()
    body = Received()
    fd: int | None = None
    ok = False
    try:
        try:
            async for chunk in request.stream():
                body.size += len(chunk)
                if body.size > max_bytes:
                    raise TooLarge(f"upload is over the limit of {max_bytes} bytes")
                digest.update(chunk)
                if fd is None and body.size > MEMORY_BYTES:
                    new_fd, name = await run_in_threadpool(tempfile.mkstemp, "", "up-", tmp_dir)
                    fd, body.spill = new_fd, Path(name)
                    for held in body.chunks:
                        _write_all(new_fd, held)
                    body.chunks = []
                if fd is None:
                    body.chunks.append(chunk)
                else:  # page-cache writes of ≤64 KiB: cheaper inline than a thread hop
                    _write_all(fd, chunk)
        except ClientDisconnect:
            raise Invalid(
                f"upload interrupted after {body.size} bytes; nothing was stored", "truncated"
            ) from None
        if declared is not None and body.size != int(declared):
            raise Invalid(
                f"truncated body: {body.size} of {declared} bytes; nothing was stored", "truncated"
            )
        actual = digest.hexdigest()
        if actual != sha256:
            raise Invalid(
                f"hash mismatch: the body's SHA-256 is {actual}, the URL says {sha256}; "
                "nothing was stored",
                "hash_mismatch",
            )
        ok = True
        return body
    finally:
        if fd is not None:
            os.close(fd)
        if not ok:
            body.discard()


def store_verified(
    db: Database,
    blobs: BlobStore,
    tmp_dir: Path,
    sha256: str,
    body: Received,
    content_type: str,
    who: Principal,
) -> tuple[str, bool]:
    """Publish a verified body, then make it visible; (stored content type, created)."""
    try:
        blobs.publish(sha256, body.to_file(tmp_dir), content_type)
    finally:
        body.discard()
    created = record(db, sha256, body.size, content_type, who)
    return (content_type if created else content_type_stored(db, sha256, content_type)), created


def sweep_temp(tmp_dir: Path, older_than_s: float = 3600) -> int:
    """Remove temp files left by a crash (older than the longest upload could take)."""
    removed = 0
    cutoff = time.time() - older_than_s
    for entry in tmp_dir.glob("up-*"):
        with contextlib.suppress(FileNotFoundError):
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
    return removed


def record(db: Database, sha256: str, size: int, content_type: str, who: Principal) -> bool:
    """Make a published blob visible; True if it is new (or back after a retention delete).

    Whoever uploaded the bytes holds them from now on: an agent may read and link media they
    hold (they had the bytes), and nothing else but what is linked to their own calls.
    """
    with db.transaction():
        inserted = db.execute(
            "INSERT INTO media (sha256, size, content_type, uploaded_by, created_us) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            (sha256, size, content_type, who.name, now_us()),
        )
        restored = inserted or db.execute(
            "UPDATE media SET deleted_us = NULL, deleted_reason = NULL, size = ?, created_us = ? "
            "WHERE sha256 = ? AND deleted_us IS NOT NULL",
            (size, now_us(), sha256),
        )
        db.execute(
            "INSERT INTO media_holders (sha256, holder) VALUES (?, ?) "
            "ON CONFLICT (sha256, holder) DO NOTHING",
            (sha256, who.name),
        )
    return restored > 0


def content_type_stored(db: Database, sha256: str, fallback: str) -> str:
    row = db.one("SELECT content_type FROM media WHERE sha256 = ?", (sha256,))
    return str(row["content_type"]) if row else fallback


def _row_for(db: Database, sha256: str, who: Principal) -> Row | None:
    """The media row if it exists and `who` may read it (deleted or not); None otherwise.

    Readers of everything see every row; agents only media they hold (uploaded the bytes of)
    or that is linked to one of their own calls.
    """
    row = db.one(
        "SELECT sha256, size, content_type, uploaded_by, created_us, deleted_us, deleted_reason "
        "FROM media WHERE sha256 = ?",
        (sha256,),
    )
    if row is None or who.sees_all:
        return row
    own = db.one(
        "SELECT 1 AS x FROM media_holders WHERE sha256 = ? AND holder = ? UNION ALL "
        "SELECT 1 AS x FROM call_media l JOIN calls c ON c.id = l.call_id "
        "WHERE l.sha256 = ? AND c.agent = ? LIMIT 1",
        (sha256, who.name, sha256, who.name),
    )
    return row if own is not None else None


def readable(db: Database, sha256: str, who: Principal) -> Row:
    """The media row if `who` may read it; NotFound (as if unknown) or Gone otherwise."""
    row = _row_for(db, sha256, who)
    if row is None:
        raise NotFound(f"no media {sha256}")
    if row["deleted_us"] is not None:
        raise Gone(f"media {sha256} was deleted: {row['deleted_reason'] or 'retention'}")
    return row


def linkable(db: Database, sha256: str, who: Principal) -> None:
    """Pass if `who` may link the media to a call: it exists, is not deleted and they may read
    it. Media they may not read answers exactly like media that does not exist."""
    row = _row_for(db, sha256, who)
    if row is None:
        raise NotFound(f"no media {sha256}: upload it before linking", "unknown_media")
    if row["deleted_us"] is not None:
        raise NotFound(f"media {sha256} was deleted by retention", "unknown_media")


def linked_calls(db: Database, sha256: str, who: Principal) -> list[str]:
    sql = "SELECT l.call_id FROM call_media l JOIN calls c ON c.id = l.call_id WHERE l.sha256 = ?"
    params: list[str] = [sha256]
    if not who.sees_all:
        sql += " AND c.agent = ?"
        params.append(who.name)
    return [r["call_id"] for r in db.query(sql + " ORDER BY l.call_id", params)]


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a `Range: bytes=…` header; None = the whole body.

    Several ranges are answered with the whole body (RFC 9110 lets a server ignore Range);
    malformed or unsatisfiable ranges raise BadRange (416).
    """
    if header is None:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes":
        raise BadRange(f"only byte ranges are supported, not {header!r}", size)
    if "," in spec:
        return None
    match = _RANGE.fullmatch(spec.strip())
    if not match or not (match[1] or match[2]):
        raise BadRange(f"malformed Range header {header!r}", size)
    if not match[1]:
        suffix = int(match[2])
        if suffix == 0 or size == 0:
            raise BadRange(f"empty suffix range {header!r} of {size} bytes", size)
        return max(0, size - suffix), size - 1
    start = int(match[1])
    end = int(match[2]) if match[2] else size - 1
    if end < start:
        raise BadRange(f"range end before start in {header!r}", size)
    if start >= size:
        raise BadRange(f"range starts at byte {start} but the media has {size} bytes", size)
    return start, min(end, size - 1)

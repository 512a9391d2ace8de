"""Blob storage for media: the interface every backend implements, and the local folder one.

Blobs are content-addressed: the key is the lowercase hex SHA-256 of the bytes. The API
verifies the hash while streaming an upload into a temporary file and only then calls
`publish`, so a backend never sees unverified or partial content under a real key.

Backends: `LocalBlobStore` here (the embedded default) and `store.s3.S3BlobStore`, which the
CLI builds as ``S3BlobStore(endpoint=..., bucket=..., access_key=..., secret_key=...,
region=...)`` (keyword arguments; `region` may default). Direct uploads through a presigned
PUT go to a staging key, never to the final one: the API then calls `commit_presigned`, which
must hash the staged bytes itself (no S3 server checks x-amz-checksum-sha256) and publish them
only when the hash matches.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 256 * 1024


class BlobError(Exception):
    """A blob backend failed (I/O, network, the object store refused)."""


class StagedBlobError(Exception):
    """A presigned upload cannot be committed: nothing staged, wrong hash, or too large.

    The message is shown to the client (HTTP 4xx); the staged object is removed.
    """


def check_sha256(sha256: str) -> str:
    """Return the hash if it is 64 lowercase hex digits; raise ValueError otherwise.

    Every key that reaches a backend passes through here, so no path tricks ("../", "/",
    NUL) can reach the file system or an object-store key.
    """
    if not SHA256_RE.fullmatch(sha256):
        raise ValueError("a media hash must be 64 lowercase hex digits (SHA-256)")
    return sha256


@runtime_checkable
class BlobStore(Protocol):
    """Where media bytes live. Keys are verified SHA-256 hex digests."""

    def publish(self, sha256: str, tmp_path: Path, content_type: str) -> bool:
        """Move a verified temp file in under its hash.

        Returns True if stored now, False if the blob already existed (idempotent; the temp
        file is removed either way). Must be atomic: readers see all bytes or none.
        """
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int | None:
        """Size in bytes, or None when the blob does not exist."""
        ...

    def read_range(self, sha256: str, start: int, end_inclusive: int) -> Iterator[bytes]:
        """Yield the bytes start..end_inclusive (the caller has clamped the range to the size).

        Raises FileNotFoundError when the blob does not exist.
        """
        ...

    def delete(self, sha256: str) -> bool:
        """Remove the blob; True if it existed."""
        ...

    def presign_get(self, sha256: str, expires_s: int) -> str | None:
        """A URL a client can GET directly for expires_s seconds; None = not supported."""
        ...

    def presign_put(self, sha256: str, expires_s: int) -> str | None:
        """A URL a client can PUT the blob's bytes to directly; None = not supported.

        The URL points at a staging key derived from the hash, not at the blob itself; the
        blob becomes visible only through `commit_presigned`.
        """
        ...

    def commit_presigned(self, sha256: str, content_type: str, max_bytes: int) -> bool:
        """Verify the bytes staged by a presigned PUT and publish them under their hash.

        Returns like `publish` (True = stored now, False = already existed; the staged object
        is removed either way). Raises StagedBlobError when nothing is staged, the staged
        object is larger than max_bytes, or its SHA-256 differs. Only called on backends whose
        `presign_put` returned a URL.
        """
        ...


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """Blobs in a folder, sharded as `ab/cd/abcd…` by hash prefix.

    Publishing fsyncs the file, renames it into place atomically and fsyncs the directory,
    so a blob that `exists` survives a power cut. Temp files live in `tmp/` in the same file
    system so the rename is atomic.
    """

    def __init__(self, root: Path, fsync: bool = True) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def publish(self, sha256: str, tmp_path: Path, content_type: str) -> bool:
        dest = self.path_of(sha256)
        try:
            if dest.exists():
                return False
            if self.fsync:
                fd = os.open(tmp_path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            # link() fails if dest exists, so two racing uploads of one hash both succeed
            # and the first wins; rename() would silently replace.
            try:
                self._link(tmp_path, dest)
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                return self._publish_copy(tmp_path, dest)
            if self.fsync:
                _fsync_dir(dest.parent)
            return True
        except OSError as exc:
            raise BlobError(f"cannot store blob {sha256}: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_path)

    def _link(self, source: Path, dest: Path) -> None:
        try:
            os.link(source, dest)
        except FileNotFoundError:
            if not os.path.exists(source):
                raise
            self._make_shard(dest.parent)
            os.link(source, dest)

    def _make_shard(self, shard: Path) -> None:
        """Create `ab/cd/` and make each new folder's entry durable in its parent."""
        for folder in (shard.parent, shard):
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            if self.fsync:
                _fsync_dir(folder.parent)

    def _publish_copy(self, tmp_path: Path, dest: Path) -> bool:
        """The temp file is on another file system: copy into our tmp/, then link."""
        fd, local = self.new_temp()
        try:
            with os.fdopen(fd, "wb") as out, open(tmp_path, "rb") as src:
                shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            try:
                self._link(local, dest)
            except FileExistsError:
                return False
            if self.fsync:
                _fsync_dir(dest.parent)
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(local)

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def size(self, sha256: str) -> int | None:
        try:
            return self.path_of(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def read_range(self, sha256: str, start: int, end_inclusive: int) -> Iterator[bytes]:
        # Open eagerly so a missing blob raises here, not at the first next().
        fh = open(self.path_of(sha256), "rb")  # noqa: SIM115 - closed by the generator
        return self._iter(fh, start, end_inclusive)

    @staticmethod
    def _iter(fh: BinaryIO, start: int, end_inclusive: int) -> Iterator[bytes]:
        with fh:
            fh.seek(start)
            left = end_inclusive - start + 1
            while left > 0:
                chunk = fh.read(min(CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    def delete(self, sha256: str) -> bool:
        try:
            self.path_of(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def presign_get(self, sha256: str, expires_s: int) -> str | None:
        return None

    def presign_put(self, sha256: str, expires_s: int) -> str | None:
        return None

    def commit_presigned(self, sha256: str, content_type: str, max_bytes: int) -> bool:
        raise StagedBlobError("this store does not take presigned uploads; PUT the media")

    def new_temp(self) -> tuple[int, Path]:
        """An open fd and path for a new temp file next to the blobs (same file system)."""
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="up-")
        return fd, Path(name)

"""The store's pure pieces: number normalisation, Range parsing, the local blob folder and
migrations on SQLite — no server needed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from store.blobs import BlobStore, LocalBlobStore, check_sha256
from store.db import connect
from store.errors import BadRange
from store.media import parse_range
from store.migrations import LATEST, MIGRATIONS, current_version, migrate
from store.numbers import normalise


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+7 (912) 555-01-02", "+79125550102"),
        ("0079125550102", "+79125550102"),
        ("sip:+79125550102@pbx.example.com", "+79125550102"),
        ("<sips:1001@pbx;transport=tls>", "1001"),
        ("tel:+1-555-0100", "+15550100"),
        ("8 800 555 35 35", "+78005553535"),
        ("8 (912) 555-01-02", "+79125550102"),
        ("79125550102", "+79125550102"),
        ("555 01 02", "5550102"),
        ("Alice", "alice"),
        ("  ", None),
        (None, None),
    ],
)
def test_numbers_normalise(raw: str | None, key: str | None) -> None:
    assert normalise(raw) == key


@pytest.mark.parametrize(
    ("header", "span"),
    [
        (None, None),
        ("bytes=0-0", (0, 0)),
        ("bytes=10-19", (10, 19)),
        ("bytes=90-", (90, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=50-5000", (50, 99)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole body
        (" BYTES = 1-2 ", (1, 2)),
    ],
)
def test_parse_range(header: str | None, span: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == span


@pytest.mark.parametrize(
    "header", ["bytes=100-", "bytes=5-4", "bytes=-0", "bytes=-", "bytes=a-b", "lines=1-2",
               "bytes=" + "9" * 30 + "-"],
)  # fmt: skip
def test_parse_range_refuses(header: str) -> None:
    with pytest.raises(BadRange):
        parse_range(header, 100)


def test_local_blobs_publish_is_atomic_and_idempotent(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    assert isinstance(blobs, BlobStore)
    data = os.urandom(300_000)
    sha = hashlib.sha256(data).hexdigest()
    for expected in (True, False):
        fd, tmp = blobs.new_temp()
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        assert blobs.publish(sha, tmp, "video/mp4") is expected
        assert not tmp.exists()
    assert blobs.size(sha) == len(data) and blobs.exists(sha)
    assert b"".join(blobs.read_range(sha, 1000, 1999)) == data[1000:2000]
    assert blobs.path_of(sha) == tmp_path / "blobs" / sha[:2] / sha[2:4] / sha
    assert blobs.presign_get(sha, 60) is None and blobs.presign_put(sha, 60) is None
    assert blobs.delete(sha) and not blobs.delete(sha)
    assert blobs.size(sha) is None
    with pytest.raises(FileNotFoundError):
        blobs.read_range(sha, 0, 1)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "a" * 63, "a" * 63 + "/", ""])
def test_blob_keys_must_be_sha256(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        check_sha256(bad)
    with pytest.raises(ValueError):
        LocalBlobStore(tmp_path).path_of(bad)


def test_migrations_apply_once(tmp_path: Path) -> None:
    db = connect(str(tmp_path / "s.sqlite3"))
    assert current_version(db) == 0
    assert migrate(db) == [version for version, _, _ in MIGRATIONS]  # gaps allowed
    assert migrate(db) == []
    assert current_version(db) == LATEST
    journal = db.one("PRAGMA journal_mode")
    assert journal is not None and journal["journal_mode"] == "wal"
    db.close()

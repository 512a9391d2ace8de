"""S3BlobStore against a real Ceph radosgw on 127.0.0.1 (signatures and expiry really checked)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

from store.blobs import BlobError, BlobStore, StagedBlobError
from store.s3 import S3BlobStore, StoreBackendError
from tests.servers.ports import LOOPBACK, free_port
from tests.servers.radosgw import Radosgw, radosgw_available

pytestmark = pytest.mark.integration

HTTP_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def rgw() -> Iterator[Radosgw]:
    if not radosgw_available():
        pytest.fail("Ceph radosgw is not installed: run scripts/setup")
    server = Radosgw(memstore_mb=512)
    server.start(timeout=30)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def store(rgw: Radosgw) -> Iterator[S3BlobStore]:
    blobs = S3BlobStore(
        endpoint=rgw.endpoint,
        bucket=rgw.bucket,
        access_key=rgw.access_key,
        secret_key=rgw.secret_key,
        timeout=10,
    )
    yield blobs
    blobs.close()


def media(tmp_path: Path, data: bytes) -> tuple[str, Path]:
    """A verified temp file as the API hands it to publish: (sha256, path)."""
    path = tmp_path / f"up-{os.urandom(4).hex()}"
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), path


def read_all(store: S3BlobStore, sha256: str, start: int, end: int) -> bytes:
    return b"".join(store.read_range(sha256, start, end))


def tamper_signature(url: str) -> str:
    """The same URL with the last hex digit of X-Amz-Signature changed."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    fixed = []
    for name, value in query:
        if name == "X-Amz-Signature":
            value = value[:-1] + ("0" if value[-1] != "0" else "1")
        fixed.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(fixed)))


def test_fixture_reports_a_loopback_endpoint_and_a_quick_start(rgw: Radosgw) -> None:
    assert rgw.running
    assert rgw.endpoint.startswith(f"http://{LOOPBACK}:")
    assert rgw.start_seconds < 30


def test_store_satisfies_the_protocol(store: S3BlobStore) -> None:
    assert isinstance(store, BlobStore)
    store.check()


def test_publish_exists_size_read_range_delete(store: S3BlobStore, tmp_path: Path) -> None:
    data = os.urandom(700_000)  # several read chunks
    sha, path = media(tmp_path, data)
    assert not store.exists(sha)
    assert store.size(sha) is None

    assert store.publish(sha, path, "audio/ogg") is True
    assert not path.exists(), "publish consumes the temp file"
    assert store.exists(sha)
    assert store.size(sha) == len(data)
    assert read_all(store, sha, 0, len(data) - 1) == data
    assert read_all(store, sha, 0, 0) == data[:1]
    assert read_all(store, sha, 123_457, 654_321) == data[123_457:654_322]
    assert read_all(store, sha, len(data) - 5, len(data) - 1) == data[-5:]

    assert store.delete(sha) is True
    assert not store.exists(sha)
    assert store.delete(sha) is False
    with pytest.raises(FileNotFoundError):
        store.read_range(sha, 0, 10)


def test_publish_is_idempotent(store: S3BlobStore, tmp_path: Path) -> None:
    data = b"the same segment twice"
    sha, first = media(tmp_path, data)
    _, second = media(tmp_path, data)
    assert store.publish(sha, first, "video/mp4") is True
    assert store.publish(sha, second, "video/mp4") is False
    assert not second.exists()
    assert read_all(store, sha, 0, len(data) - 1) == data
    head = store._s3.head_object(Bucket=store.bucket, Key=store.key_of(sha))
    assert head["ContentType"] == "video/mp4"
    assert head["Metadata"]["sha256"] == sha
    assert store.key_of(sha) == f"media/{sha[:2]}/{sha}"


def test_publish_replaces_an_object_of_the_wrong_size(store: S3BlobStore, tmp_path: Path) -> None:
    data = b"verified bytes"
    sha, path = media(tmp_path, data)
    store._s3.put_object(Bucket=store.bucket, Key=store.key_of(sha), Body=b"short")
    assert store.publish(sha, path, "audio/ogg") is True
    assert read_all(store, sha, 0, len(data) - 1) == data


def test_bad_hashes_and_ranges_are_refused(store: S3BlobStore, tmp_path: Path) -> None:
    for bad in ("../etc/passwd", "A" * 64, "ab/" + "0" * 61, ""):
        with pytest.raises(ValueError):
            store.exists(bad)
        with pytest.raises(ValueError):
            store.presign_get(bad, 60)
    data = b"0123456789"
    sha, path = media(tmp_path, data)
    store.publish(sha, path, "application/octet-stream")
    with pytest.raises(ValueError):
        store.read_range(sha, 5, 4)
    with pytest.raises(ValueError):
        store.read_range(sha, 100, 200)
    with pytest.raises(ValueError):
        store.presign_get(sha, 0)


def test_presigned_get_serves_exact_bytes(store: S3BlobStore, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    sha, path = media(tmp_path, data)
    store.publish(sha, path, "audio/ogg")
    url = store.presign_get(sha, 60)
    assert url is not None and url.startswith(store.endpoint)

    whole = requests.get(url, timeout=HTTP_TIMEOUT)
    assert whole.status_code == 200
    assert whole.content == data
    assert whole.headers["Content-Type"] == "audio/ogg"

    ranged = requests.get(url, headers={"Range": "bytes=1000-1999"}, timeout=HTTP_TIMEOUT)
    assert ranged.status_code == 206
    assert ranged.content == data[1000:2000]


def test_tampered_presigned_urls_are_refused(store: S3BlobStore, tmp_path: Path) -> None:
    sha, path = media(tmp_path, b"secret call audio")
    other, other_path = media(tmp_path, b"another call")
    store.publish(sha, path, "audio/ogg")
    store.publish(other, other_path, "audio/ogg")
    url = store.presign_get(sha, 60)
    assert url is not None
    assert requests.get(url, timeout=HTTP_TIMEOUT).status_code == 200

    forged = requests.get(tamper_signature(url), timeout=HTTP_TIMEOUT)
    assert forged.status_code == 403
    assert "SignatureDoesNotMatch" in forged.text
    # The signature of one object does not open another.
    swapped = url.replace(sha, other)
    assert requests.get(swapped, timeout=HTTP_TIMEOUT).status_code == 403


def test_expired_presigned_urls_are_refused(store: S3BlobStore, tmp_path: Path) -> None:
    sha, path = media(tmp_path, b"expiring")
    store.publish(sha, path, "audio/ogg")
    short_get = store.presign_get(sha, 1)
    short_put = store.presign_put(sha, 1)
    long_get = store.presign_get(sha, 60)
    assert short_get and short_put and long_get
    time.sleep(2.5)
    assert requests.get(short_get, timeout=HTTP_TIMEOUT).status_code == 403
    assert requests.put(short_put, data=b"expiring", timeout=HTTP_TIMEOUT).status_code == 403
    assert requests.get(long_get, timeout=HTTP_TIMEOUT).status_code == 200


def test_presigned_put_stages_and_commit_publishes(store: S3BlobStore) -> None:
    data = os.urandom(200_000)
    sha = hashlib.sha256(data).hexdigest()
    url = store.presign_put(sha, 60)
    assert url is not None
    assert store.staging_key_of(sha) in url

    put = requests.put(url, data=data, timeout=HTTP_TIMEOUT)
    assert put.status_code == 200, put.text
    assert not store.exists(sha), "staged bytes are not a blob until committed"

    assert store.commit_presigned(sha, "video/mp4", max_bytes=1_000_000) is True
    assert read_all(store, sha, 0, len(data) - 1) == data
    head = store._s3.head_object(Bucket=store.bucket, Key=store.key_of(sha))
    assert head["ContentType"] == "video/mp4"
    assert store._head(store.staging_key_of(sha)) is None, "the staged object is removed"
    with pytest.raises(StagedBlobError, match="nothing was uploaded"):
        store.commit_presigned(sha, "video/mp4", max_bytes=1_000_000)

    # The same bytes again: already stored, staged copy dropped.
    assert requests.put(url, data=data, timeout=HTTP_TIMEOUT).status_code == 200
    assert store.commit_presigned(sha, "video/mp4", max_bytes=1_000_000) is False
    assert store._head(store.staging_key_of(sha)) is None


def test_commit_refuses_wrong_bytes_and_oversize(store: S3BlobStore) -> None:
    claimed = hashlib.sha256(b"what the client promised").hexdigest()
    url = store.presign_put(claimed, 60)
    assert url is not None
    assert requests.put(url, data=b"what it sent", timeout=HTTP_TIMEOUT).status_code == 200
    with pytest.raises(StagedBlobError, match="SHA-256"):
        store.commit_presigned(claimed, "audio/ogg", max_bytes=1_000)
    assert not store.exists(claimed)
    assert store._head(store.staging_key_of(claimed)) is None

    big = b"x" * 5_000
    sha = hashlib.sha256(big).hexdigest()
    url = store.presign_put(sha, 60)
    assert url is not None
    assert requests.put(url, data=big, timeout=HTTP_TIMEOUT).status_code == 200
    with pytest.raises(StagedBlobError, match="limit"):
        store.commit_presigned(sha, "audio/ogg", max_bytes=4_999)
    assert not store.exists(sha)
    assert store._head(store.staging_key_of(sha)) is None


def test_backend_errors_name_endpoint_bucket_and_operation(rgw: Radosgw) -> None:
    wrong_secret = S3BlobStore(rgw.endpoint, rgw.bucket, rgw.access_key, "not-the-secret")
    sha = "0" * 64
    with pytest.raises(StoreBackendError) as denied:
        wrong_secret.exists(sha)
    message = str(denied.value)
    assert "HeadObject" in message and rgw.endpoint in message and rgw.bucket in message
    assert "403" in message
    assert isinstance(denied.value, BlobError)

    nowhere = f"http://{LOOPBACK}:{free_port()}"
    down = S3BlobStore(nowhere, rgw.bucket, rgw.access_key, rgw.secret_key, timeout=1)
    began = time.monotonic()
    with pytest.raises(StoreBackendError, match="HeadObject") as refused:
        down.size(sha)
    assert nowhere in str(refused.value)
    with pytest.raises(StoreBackendError, match="HeadBucket"):
        down.check()
    assert time.monotonic() - began < 10


def test_damaged_upload_is_refused_and_invisible(
    store: S3BlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # radosgw checks the Content-MD5 publish sends: bytes that differ from what was hashed
    # locally (here: a wrong digest) are refused and nothing appears under the key.
    data = b"bytes damaged on the way"
    sha, path = media(tmp_path, data)
    monkeypatch.setattr("store.s3._file_md5", lambda _path: "1B2M2Y8AsgTpgAmY7PhCfg==")
    with pytest.raises(StoreBackendError, match=r"PutObject.*BadDigest"):
        store.publish(sha, path, "audio/ogg")
    assert not store.exists(sha)
    assert not path.exists()

"""Media through a real store: verified, idempotent uploads; exact Range reads; bad input
refused with nothing left visible; who may read what; every read audited."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

import pytest
import requests

from store.client import (
    HashMismatch,
    InvalidRequest,
    NotFoundError,
    RangeNotSatisfiable,
    StoreUnavailable,
    TooLargeError,
    UnsupportedMediaType,
)
from tests.integration.store_kit import MAX_UPLOAD_MB, Store, new_id, now_us

pytestmark = pytest.mark.integration


def _call(store: Store, agent: str = "alice") -> str:
    call_id = new_id()
    client = store.alice if agent == "alice" else store.bob
    client.put_call(call_id, {"agent": agent, "direction": "inbound", "started_us": now_us()})
    return call_id


def _leftover_temps(store: Store) -> list[Path]:
    return list((store.server.data_dir / "tmp").glob("up-*"))


def test_upload_then_idempotent_reupload(store: Store, tmp_path: Path) -> None:
    data = os.urandom(200_000)
    path = tmp_path / "seg.mp4"
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    first = store.alice.upload_file(path, "video/mp4")
    assert first == {"sha256": sha, "size": len(data), "content_type": "video/mp4", "created": True}
    again = store.alice.upload_file(path, "video/mp4")
    assert again["created"] is False and again["sha256"] == sha
    # Same bytes from another uploader: still one object, first content type kept.
    third = store.sam.upload_bytes(data, "video/mp2t")
    assert third["created"] is False and third["content_type"] == "video/mp4"
    with store.db() as db:
        rows = db.query("SELECT sha256 FROM media WHERE sha256 = ?", (sha,))
    assert len(rows) == 1
    assert store.alice.download(sha) == data


@pytest.mark.parametrize(
    "kind", ["audio/wav", "audio/ogg", "video/mp4", "video/mp2t", "application/json"]
)
def test_content_type_is_served_back(store: Store, kind: str) -> None:
    data = f"{kind} {new_id()}".encode()
    sha = store.alice.upload_bytes(data, kind)["sha256"]
    response = requests.get(
        f"{store.url}/api/v1/media/{sha}", headers=store.alice.session.headers, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == kind
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content == data


def test_range_returns_exact_bytes(store: Store) -> None:
    data = os.urandom(700_000)
    sha = store.alice.upload_bytes(data, "video/mp4")["sha256"]
    assert store.alice.download(sha, 0, 0) == data[:1]
    assert store.alice.download(sha, 1000, 299_999) == data[1000:300_000]
    assert store.alice.download(sha, 699_990) == data[699_990:]
    assert store.alice.download(sha, 600_000, 10_000_000) == data[600_000:]
    headers = {**store.alice.session.headers, "Range": "bytes=-10"}
    response = requests.get(f"{store.url}/api/v1/media/{sha}", headers=headers, timeout=10)
    assert response.status_code == 206
    assert response.content == data[-10:]
    assert response.headers["content-range"] == f"bytes 699990-699999/{len(data)}"
    assert response.headers["content-length"] == "10"


@pytest.mark.parametrize(
    "header", ["bytes=700000-", "bytes=800000-900000", "bytes=5-2", "bytes=x-y", "items=0-1"]
)
def test_bad_ranges_are_416(store: Store, header: str) -> None:
    data = os.urandom(700_000)
    sha = store.alice.upload_bytes(data, "video/mp4")["sha256"]
    headers = {**store.alice.session.headers, "Range": header}
    response = requests.get(f"{store.url}/api/v1/media/{sha}", headers=headers, timeout=10)
    assert response.status_code == 416, response.text
    assert response.headers["content-range"] == f"bytes */{len(data)}"
    assert response.json()["detail"]
    with pytest.raises(RangeNotSatisfiable):
        store.alice.download(sha, len(data), len(data) + 5)


def test_wrong_hash_is_refused_and_nothing_visible(store: Store) -> None:
    data = b"the real bytes " + os.urandom(1000)
    claimed = hashlib.sha256(b"other bytes").hexdigest()
    response = requests.put(
        f"{store.url}/api/v1/media/{claimed}",
        data=data,
        headers={**store.alice.session.headers, "Content-Type": "audio/wav"},
        timeout=10,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "hash_mismatch"
    assert "hash mismatch" in response.json()["detail"]
    with pytest.raises(NotFoundError):
        store.ada.media_info(claimed)
    assert not _leftover_temps(store)
    # The client reports it as HashMismatch with the server's words.
    with pytest.raises(HashMismatch, match="nothing was stored"):
        store.alice._put_media(claimed, data, "audio/wav")


def test_truncated_body_is_refused_and_nothing_visible(store: Store) -> None:
    full = os.urandom(50_000)
    sha = hashlib.sha256(full).hexdigest()
    # A client that promised 50,000 bytes, sent 20,000 and gave up.
    with socket.create_connection(("127.0.0.1", store.server.port), timeout=10) as sock:
        head = (
            f"PUT /api/v1/media/{sha} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {store.alice.session.headers['Authorization']}\r\n"
            f"Content-Type: audio/wav\r\nContent-Length: {len(full)}\r\n\r\n"
        )
        sock.sendall(head.encode() + full[:20_000])
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert not reply.startswith((b"HTTP/1.1 2", b"HTTP/1.1 5")), reply[:200]
    # A body cut short but complete per its own Content-Length fails on the hash.
    with pytest.raises(HashMismatch):
        store.alice._put_media(sha, full[:20_000], "audio/wav")
    with pytest.raises(NotFoundError):
        store.ada.media_info(sha)
    assert not _leftover_temps(store)


def test_oversized_upload_is_413_and_nothing_visible(store: Store) -> None:
    big = os.urandom(MAX_UPLOAD_MB * 1024 * 1024 + 1)
    sha = hashlib.sha256(big).hexdigest()
    with pytest.raises(TooLargeError, match="over the limit"):
        store.alice.upload_bytes(big, "video/mp4")

    def chunks() -> object:  # no Content-Length: the limit must hold while streaming
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    try:
        store.alice._put_media(sha, chunks(), "video/mp4")  # type: ignore[arg-type]
        raise AssertionError("a chunked oversized upload was accepted")
    except (TooLargeError, StoreUnavailable):
        pass  # 413, or the server closed the connection mid-send after answering 413
    with pytest.raises(NotFoundError):
        store.ada.media_info(sha)
    assert not _leftover_temps(store)


def test_unknown_content_type_is_415(store: Store) -> None:
    with pytest.raises(UnsupportedMediaType, match="not accepted"):
        store.alice.upload_bytes(b"<html>", "text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/media/..%2F..%2Fstore.sqlite3",
        "/api/v1/media/../../store.sqlite3",
        "/api/v1/media/" + "A" * 64,
        "/api/v1/media/" + "a" * 63,
        "/api/v1/media/" + "a" * 64 + "%00",
        "/api/v1/media/%2e%2e%2f" + "a" * 58,
        "/api/v1/calls/..%2Fetc",
        "/api/v1/calls/%00",
    ],
)
def test_path_tricks_are_4xx(store: Store, path: str) -> None:
    for method in ("GET", "PUT"):
        response = requests.request(
            method, store.url + path, data=b"x", headers=store.ada.session.headers, timeout=10
        )
        assert 400 <= response.status_code < 500, (method, path, response.status_code)


def test_agent_reads_only_own_media_and_qa_reads_all(store: Store) -> None:
    call_id = _call(store, "alice")
    data = os.urandom(5000)
    sha = store.alice.upload_bytes(data, "audio/ogg")["sha256"]
    store.alice.link_media(call_id, sha, "audio", now_us(), now_us() + 1)
    for reader in (store.alice, store.quinn, store.sam, store.ada):
        assert reader.download(sha) == data
    with pytest.raises(NotFoundError):
        store.bob.download(sha)
    with pytest.raises(NotFoundError):
        store.bob.media_info(sha)
    with pytest.raises(NotFoundError):
        store.bob.link_media(call_id, sha, "audio")
    assert store.quinn.media_info(sha)["calls"] == [call_id]
    url = store.alice.download_url(sha)
    if store.s3:  # straight from object storage, signed; the bytes are the same
        assert url is not None and requests.get(url, timeout=10).content == data
        with pytest.raises(NotFoundError):
            store.bob.download_url(sha)
    else:
        assert url is None  # a local folder does not presign


def test_every_media_read_is_audited(store: Store) -> None:
    sha = store.alice.upload_bytes(os.urandom(3000), "audio/wav")["sha256"]
    store.quinn.download(sha, 0, 99)
    store.alice.download(sha)
    rows = store.ada.audit(action="media.read", target=sha)
    if store.s3:  # the client fetched through presigned URLs: their issue is what is audited
        expected = [("alice", "presigned url, 300 s"), ("quinn", "presigned url, 300 s")]
    else:
        expected = [("alice", "bytes 0-2999/3000"), ("quinn", "bytes 0-99/3000")]
    assert [(r["actor"], r["detail"]) for r in rows] == expected
    assert all(r["at_us"] > 0 for r in rows)


def test_linking_needs_uploaded_media_and_a_known_call(store: Store) -> None:
    call_id = _call(store)
    missing = hashlib.sha256(new_id().encode()).hexdigest()
    with pytest.raises(NotFoundError, match="upload it before linking"):
        store.alice.link_media(call_id, missing, "screen")
    sha = store.alice.upload_bytes(os.urandom(100), "video/mp4")["sha256"]
    with pytest.raises(NotFoundError, match="no call"):
        store.alice.link_media("no-such-call", sha, "screen")
    with pytest.raises(InvalidRequest):
        store.alice.link_media(call_id, sha, "hologram")  # type: ignore[arg-type]


def test_linking_another_agents_media_answers_as_if_unknown(store: Store) -> None:
    """Knowing the hash of alice's media gives bob nothing: linking it to his own call answers
    exactly what an unknown hash does (no way to tell it exists), and he still cannot read it."""
    data = os.urandom(4000)
    theirs = store.alice.upload_bytes(data, "audio/ogg")["sha256"]
    store.alice.link_media(_call(store, "alice"), theirs, "audio")
    unknown = hashlib.sha256(new_id().encode()).hexdigest()
    bobs_call = _call(store, "bob")

    def link(sha: str) -> tuple[int, dict[str, object]]:
        response = requests.put(
            f"{store.url}/api/v1/calls/{bobs_call}/media/{sha}",
            json={"kind": "audio"},
            headers=store.bob.session.headers,
            timeout=10,
        )
        body = json.loads(response.text.replace(sha, "<sha256>"))
        return response.status_code, body

    assert link(theirs) == link(unknown)
    assert link(theirs)[0] == 404
    for read in (store.bob.download, store.bob.media_info):
        with pytest.raises(NotFoundError):
            read(theirs)
    assert store.bob.get_call(bobs_call)["media"] == []
    # Bytes bob uploads himself are his to link, even when alice uploaded them first.
    assert store.bob.upload_bytes(data, "audio/ogg")["created"] is False
    assert store.bob.link_media(bobs_call, theirs, "audio")["sha256"] == theirs
    assert store.bob.download(theirs) == data

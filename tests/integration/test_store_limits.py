"""Slow clients cannot exhaust the store: concurrent uploads are capped per token and per
client address (one more is a 429 with Retry-After, at once), and a body that stalls is dropped
with 408 and its connection closed. Raw sockets on loopback, a handful of them, each bounded."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from pathlib import Path

import pytest

from store.client import StoreClient
from tests.integration.store_kit import running_store
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration
BODY_TIMEOUT_S = 3
LIMITS = ["--uploads-per-token", "2", "--uploads-per-address", "3"]


def _slow_request(
    server: StoreServer, user: str, path: str, kind: str, length: int
) -> socket.socket:
    """Send the headers and the first bytes of a body, then stall."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = (
        f"PUT /api/v1{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {server.tokens[user]}\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    sock.sendall(head.encode() + b"0123456789")
    return sock


def _slow_upload(server: StoreServer, user: str) -> socket.socket:
    sha = hashlib.sha256(os.urandom(16)).hexdigest()
    return _slow_request(server, user, f"/media/{sha}", "audio/wav", 100_000)


def _answer(sock: socket.socket, within_s: float) -> tuple[int, dict[str, str], bytes]:
    """The response, read until the server closes the connection (it must, within_s)."""
    sock.settimeout(within_s)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _silent(sock: socket.socket, for_s: float) -> bool:
    """True if the server has said nothing on this connection for for_s seconds."""
    sock.settimeout(for_s)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except TimeoutError:
        return True
    return False


def _sockets(server: StoreServer) -> int:
    """The server's open sockets (listening and connections; files come and go with threads)."""
    assert server.proc is not None
    fds = Path(f"/proc/{server.proc.pid}/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except FileNotFoundError:
            continue
    return count


def _sockets_back_to(server: StoreServer, baseline: int, within_s: float = 5) -> bool:
    deadline = time.monotonic() + within_s
    while _sockets(server) > baseline:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_uploads_over_the_caps_get_429_and_stalled_bodies_408(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    extra = [*LIMITS, "--body-timeout-s", str(BODY_TIMEOUT_S)]
    with running_store(request, tmp_path / "data", "sqlite", extra) as server:
        baseline = _sockets(server)
        started = time.monotonic()
        alice = [_slow_upload(server, "alice"), _slow_upload(server, "alice")]
        assert all(_silent(s, 0.5) for s in alice)  # both in progress
        status, headers, body = _answer(_slow_upload(server, "alice"), 2)
        assert status == 429, body
        assert headers["retry-after"].isdigit() and b"for this token" in body
        bob = _slow_upload(server, "bob")  # another token: the address has room for one more
        assert _silent(bob, 0.3)
        status, headers, body = _answer(_slow_upload(server, "bob"), 2)
        assert status == 429 and b"for this client address" in body and "retry-after" in headers
        # Any route's body may stall, not only uploads'; it does not take an upload slot.
        call = _slow_request(server, "ada", "/calls/slow", "application/json", 500)
        for sock in [*alice, bob, call]:
            status, headers, body = _answer(sock, BODY_TIMEOUT_S + 5)
            assert status == 408 and b"body_timeout" in body, body
            assert headers.get("connection") == "close"
        assert time.monotonic() - started >= BODY_TIMEOUT_S
        # Every slot is free again, no temp file is left, every connection is closed.
        with StoreClient(server.base_url, server.tokens["alice"]) as client:
            for n in range(3):
                assert client.upload_bytes(os.urandom(100) + bytes([n]), "audio/wav")["created"]
        assert list((server.data_dir / "tmp").glob("up-*")) == []
        assert _sockets_back_to(server, baseline), (_sockets(server), baseline)

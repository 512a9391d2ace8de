"""The client verifies the store's TLS certificate: refused when unknown, fine with ca_bundle."""

from __future__ import annotations

import http.server
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.client import StoreClient, StoreUnavailable
from tests.servers.ports import LOOPBACK, free_port

pytestmark = pytest.mark.integration


class _Me(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"name": "anna", "role": "agent"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={LOOPBACK}", "-addext", f"subjectAltName=IP:{LOOPBACK}",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, timeout=30, check=True,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer((LOOPBACK, free_port()), _Me)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://{LOOPBACK}:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_unknown_certificate_is_refused(https_server: tuple[str, Path]) -> None:
    url, _ = https_server
    with StoreClient(url, "adt_x") as client, pytest.raises(StoreUnavailable, match="TLS"):
        client.me()


def test_ca_bundle_is_trusted(https_server: tuple[str, Path]) -> None:
    url, cert = https_server
    with StoreClient(url, "adt_x", ca_bundle=cert) as client:
        assert client.me() == {"name": "anna", "role": "agent"}

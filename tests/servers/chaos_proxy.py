"""A chaos HTTP proxy on 127.0.0.1 in front of a real server: at random it answers 503, lets
the request through and answers 500 instead (the work was done, the answer is lost), resets
the connection in the middle of the request body or after the server answered, or hangs
until the client gives up. Everything else is relayed unchanged.

    with ChaosProxy(store.port, fault_rate=0.3, seed=7) as proxy:
        client = StoreClient(proxy.base_url, token)
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers.ports import LOOPBACK
from tests.servers.process import Service

FAULTS = ("503", "500_after", "reset_in_body", "reset_after", "hang")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}


class ChaosProxy(Service):
    def __init__(
        self,
        upstream_port: int,
        *,
        fault_rate: float = 0.3,
        faults: tuple[str, ...] = FAULTS,
        seed: int = 1,
        hang_s: float = 3.0,
    ) -> None:
        self.upstream_port = upstream_port
        self.fault_rate = fault_rate
        self.faults = faults
        self.hang_s = hang_s
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def pick(self) -> str:
        with self._lock:
            fault = "pass"
            if self._random.random() < self.fault_rate:
                fault = self._random.choice(self.faults)
            self.counts[fault] += 1
            return fault

    def start(self) -> None:
        proxy = self

        class Handler(_ChaosHandler):
            chaos = proxy

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)


class _ChaosHandler(BaseHTTPRequestHandler):
    chaos: ChaosProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the counts tell what happened

    def _reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0), as a crashed peer or a middlebox does."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        fault = self.chaos.pick()
        if fault == "reset_in_body" and length > 1:
            self.rfile.read(length // 2)
            self._reset()
            return
        body = self.rfile.read(length) if length else b""
        if fault == "hang":
            time.sleep(self.chaos.hang_s)
            self._reset()
            return
        if fault == "503":
            detail = b'{"detail": "chaos: service unavailable", "code": "unavailable"}'
            self._answer(503, detail, [("Content-Type", "application/json")])
            return
        upstream = http.client.HTTPConnection(LOOPBACK, self.chaos.upstream_port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            answer = response.getheaders()
        finally:
            upstream.close()
        if fault == "500_after":
            self._answer(500, b"chaos: internal error", [("Content-Type", "text/plain")])
        elif fault == "reset_after":
            self._reset()
        else:
            self._answer(response.status, data, answer)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _relay

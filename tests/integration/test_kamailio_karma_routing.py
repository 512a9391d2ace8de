"""Karma routing through a real Kamailio running store/pbx/kamailio-karma-routing.cfg: it asks
a real store's routing hint per INVITE (http_client, with a `pbx` token from its environment)
and relays the call to the senior group, the agents (skipping the IVR) or the default
destination; when the store is down or does not answer, to the default one."""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from store.client import StoreClient
from tests.servers.ports import LOOPBACK, free_port
from tests.servers.process import terminate
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).parents[2] / "store" / "pbx" / "kamailio-karma-routing.cfg"
MODULE = "/usr/lib/x86_64-linux-gnu/kamailio/modules/http_client.so"
USERS = {"sue": "supervisor", "kam": "pbx"}
DIFFICULT, SAVVY, UNKNOWN = "+79990000077", "+79990000088", "+79990000099"


def _usable() -> bool:
    return bool(shutil.which("kamailio")) and Path(MODULE).exists()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    server = StoreServer(tmp_path_factory.mktemp("karma-store"), None, USERS)
    server.start()
    try:
        with StoreClient(server.base_url, server.tokens["sue"]) as sue:
            for number, ratings in ((DIFFICULT, {"temperament": 1, "karma": -2}),
                                    (SAVVY, {"literacy": 5, "karma": 1})):  # fmt: skip
                sue.put_call(
                    f"karma-{uuid.uuid4().hex[:8]}",
                    {"agent": "sue", "direction": "inbound", "remote_number": number,
                     "started_us": 1_741_165_200_000_000, **ratings},  # type: ignore[typeddict-item]
                )  # fmt: skip
        yield server
    finally:
        server.stop()


class Targets:
    """Three UDP endpoints standing for the senior group, the agents and the IVR."""

    def __init__(self) -> None:
        self.socks: dict[str, socket.socket] = {}
        for name in ("senior", "skip_ivr", "default"):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((LOOPBACK, 0))
            self.socks[name] = sock

    def uri(self, name: str) -> str:
        return f"sip:{name}@{LOOPBACK}:{self.socks[name].getsockname()[1]}"

    def close(self) -> None:
        for sock in self.socks.values():
            sock.close()

    def reached(self, timeout: float) -> tuple[str, str]:
        """(which endpoint got an INVITE, the X-AgentDesk-Route it carried); answers it 486."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select(list(self.socks.values()), [], [], 0.1)
            for sock in ready:
                data, peer = sock.recvfrom(65535)
                text = data.decode(errors="replace")
                if not text.startswith("INVITE "):
                    continue
                name = next(n for n, s in self.socks.items() if s is sock)
                sock.sendto(_busy(text), peer)
                match = re.search(r"^X-AgentDesk-Route: *(\S+)", text, re.MULTILINE)
                return name, match.group(1) if match else ""
        raise TimeoutError("no INVITE reached any destination")


def _busy(invite: str) -> bytes:
    head = invite.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    keep = [h for h in head if h.split(":", 1)[0].lower() in ("via", "from", "call-id", "cseq")]
    to = next(h for h in head if h.lower().startswith("to:"))
    lines = ["SIP/2.0 486 Busy Here", *keep, f"{to};tag=t{uuid.uuid4().hex[:8]}"]
    return ("\r\n".join([*lines, "Content-Length: 0", "", ""])).encode()


def _invite(port: int, number: str) -> float:
    """Send an INVITE from `number` to Kamailio; the time it was sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        me = sock.getsockname()[1]
        message = (
            f"INVITE sip:queue@{LOOPBACK}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {LOOPBACK}:{me};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:{number}@{LOOPBACK}>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:queue@{LOOPBACK}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\n"
            "CSeq: 1 INVITE\r\n"
            f"Contact: <sip:caller@{LOOPBACK}:{me}>\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        sock.sendto(message.encode(), (LOOPBACK, port))
        return time.monotonic()


@contextmanager
def kamailio(store_url: str, token: str, targets: Targets) -> Iterator[int]:
    """The example config with these addresses, in a temp dir; its UDP port."""
    tmp = Path(tempfile.mkdtemp(prefix="kamailio-karma-"))
    port = free_port()
    values = {
        "LISTEN": f"udp:{LOOPBACK}:{port}",
        "STORE_URL": f'"{store_url}"',
        "SENIOR_URI": f'"{targets.uri("senior")}"',
        "SKIP_IVR_URI": f'"{targets.uri("skip_ivr")}"',
        "DEFAULT_URI": f'"{targets.uri("default")}"',
    }
    config = CONFIG.read_text()
    for name, value in values.items():
        config, n = re.subn(rf"^#!define {name} .*$", f"#!define {name} {value}", config,
                            flags=re.MULTILINE)  # fmt: skip
        assert n == 1, name
    (tmp / "kamailio.cfg").write_text(config)
    (tmp / "run").mkdir()
    log = tmp / "kamailio.log"
    cmd = ["kamailio", "-DD", "-E", "-f", str(tmp / "kamailio.cfg"), "-P",
           str(tmp / "run" / "k.pid"), "-Y", str(tmp / "run"), "-w", str(tmp), "-m", "32",
           "-M", "8"]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=tmp,
            env={**os.environ, "AGENTDESK_STORE_TOKEN": token}, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while b"INFO: <core>" not in log.read_bytes() or not _listening(port):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.05)
        yield port
    finally:
        terminate(proc, 5, group=True)
        text = log.read_text(errors="replace")
        shutil.rmtree(tmp, ignore_errors=True)
        assert "ERROR: <core> [core/cfg.y" not in text, text


def _listening(port: int) -> bool:
    """Kamailio answers an OPTIONS (405 from this config) on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.settimeout(0.2)
        me = sock.getsockname()[1]
        sock.sendto(
            (f"OPTIONS sip:{LOOPBACK}:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {LOOPBACK}:{me};"
             f"branch=z9hG4bK{uuid.uuid4().hex};rport\r\nFrom: <sip:probe@{LOOPBACK}>;tag=1\r\n"
             f"To: <sip:probe@{LOOPBACK}>\r\nCall-ID: {uuid.uuid4().hex}\r\nCSeq: 1 OPTIONS\r\n"
             "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode(),
            (LOOPBACK, port),
        )  # fmt: skip
        try:
            return sock.recv(65535).startswith(b"SIP/2.0 ")
        except OSError:
            return False


@pytest.mark.skipif(not _usable(), reason="needs kamailio and kamailio-utils-modules")
def test_a_rated_caller_reaches_the_senior_group(store: StoreServer) -> None:
    targets = Targets()
    try:
        with kamailio(store.base_url, store.tokens["kam"], targets) as port:
            for number, expected in ((DIFFICULT, "senior"), (SAVVY, "skip_ivr"),
                                     (UNKNOWN, "default")):  # fmt: skip
                _invite(port, number)
                assert targets.reached(5) == (expected, expected), number
    finally:
        targets.close()


@pytest.mark.skipif(not _usable(), reason="needs kamailio and kamailio-utils-modules")
def test_with_the_store_down_or_silent_calls_take_the_default_route(
    store: StoreServer,
) -> None:
    targets = Targets()
    with ExitStack() as stack:
        stack.callback(targets.close)
        silent = socket.socket()  # accepts connections (the kernel does), never answers
        stack.callback(silent.close)
        silent.bind((LOOPBACK, 0))
        silent.listen(8)
        for url in (
            f"http://{LOOPBACK}:{free_port()}",
            f"http://{LOOPBACK}:{silent.getsockname()[1]}",
        ):
            with kamailio(url, store.tokens["kam"], targets) as port:
                sent = _invite(port, DIFFICULT)
                assert targets.reached(5) == ("default", "default"), url
                assert time.monotonic() - sent < 2.5  # the hint's timeout is 1 s

"""A real Kamailio registrar/proxy on 127.0.0.1 (UDP, TCP, TLS) for integration tests.

Auth policy: REGISTER always needs digest auth (``www_authorize`` against a db_text
``subscriber`` table with plain passwords). Other requests are let through without auth
(everything is loopback-only), unless ``auth_invites=True``: then initial requests whose From
is a local user need proxy digest auth (``proxy_authorize``).

Routing: requests to a local user are looked up in usrloc (one contact per AoR,
``save("location", "0x04")``) and relayed with ``t_relay()``; unknown users get 404. Initial
INVITE/SUBSCRIBE/REFER/NOTIFY/MESSAGE/UPDATE are record-routed (double RR, so dialogs can cross
UDP/TCP/TLS) and in-dialog requests follow ``loose_route``. Clients on TCP/TLS are reached
over the connection they opened (``fix_nated_register`` and contact aliases).

Users are a db_text table re-read on change, so ``add_user()`` works while running.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from tests.servers.ports import LOOPBACK, free_port, wait_tcp
from tests.servers.process import Service, terminate

Transport = Literal["udp", "tcp", "tls"]

_TEMPLATE = Path(__file__).with_name("kamailio.cfg.tpl")
_SUBSCRIBER_HEADER = (
    "id(int,auto) username(string) domain(string) password(string) "
    "ha1(string,null) ha1b(string,null) \n"
)
_VERSION_TABLE = "id(int,auto) table_name(string) table_version(int) \n0:subscriber:7\n"
_TLS_CFG = """[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = {cert}
private_key = {key}

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
"""
_ADDRESS_RE = re.compile(r"^\s*Address:\s*(\S+)\s*$", re.MULTILINE)


def kamailio_available() -> bool:
    """Whether the kamailio binary, kamcmd and openssl are on PATH."""
    return all(shutil.which(tool) for tool in ("kamailio", "kamcmd", "openssl"))


_CERT_CACHE: list[tuple[bytes, bytes]] = []


def _self_signed_cert() -> tuple[bytes, bytes]:
    """A self-signed RSA cert + key for CN=127.0.0.1 (PEM), made once per process."""
    if not _CERT_CACHE:
        with tempfile.TemporaryDirectory(prefix="kamailio-cert-") as tmp:
            cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
            command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
            command += ["-subj", f"/CN={LOOPBACK}", "-keyout", str(key), "-out", str(cert)]
            subprocess.run(command, capture_output=True, timeout=30, check=True)
            _CERT_CACHE.append((cert.read_bytes(), key.read_bytes()))
    return _CERT_CACHE[0]


def _escape_dbtext(value: str) -> str:
    """Escape a db_text field value (``:``, ``\\`` and newlines are special)."""
    return (
        value.replace("\\", "\\\\")
        .replace(":", "\\:")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )


class KamailioError(RuntimeError):
    """Kamailio failed to start or to answer a control command."""


class Kamailio(Service):
    """A foreground Kamailio in a temp dir; use as a context manager or start()/stop()."""

    def __init__(
        self,
        users: dict[str, str],
        domain: str = LOOPBACK,
        *,
        auth_invites: bool = False,
        debug: int = 2,
    ) -> None:
        self.domain = domain
        self.auth_invites = auth_invites
        self.debug = debug
        self.udp_port = 0
        self.tcp_port = 0
        self.tls_port = 0
        self._users: dict[str, str] = dict(users)
        self._next_id = 1
        self._tmp: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None
        self._saved_log = ""

    # ----- lifecycle -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the Kamailio main process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Write the config, launch Kamailio and wait until all three listeners answer."""
        if self._proc is not None:
            raise KamailioError("already started")
        if not kamailio_available():
            raise KamailioError("kamailio, kamcmd or openssl is not installed")
        self._tmp = Path(tempfile.mkdtemp(prefix="kamailio-test-"))
        try:
            self._prepare()
            self._launch()
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL the process group; remove temp dir."""
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc, timeout, group=True)
        if self._tmp is not None:
            self._saved_log = self.log_text()
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
            self._log = None

    # ----- users -----------------------------------------------------------------------

    @property
    def users(self) -> dict[str, str]:
        """A copy of the user → password map."""
        return dict(self._users)

    def add_user(self, name: str, password: str) -> None:
        """Add (or replace) a subscriber; takes effect at once (db_text re-reads the file)."""
        self._users[name] = password
        if self._tmp is not None:
            self._write_subscribers()

    # ----- addresses -------------------------------------------------------------------

    def port(self, transport: Transport) -> int:
        """The listening port for ``transport``."""
        return {"udp": self.udp_port, "tcp": self.tcp_port, "tls": self.tls_port}[transport]

    def registrar_uri(self, transport: Transport = "udp") -> str:
        """e.g. ``sip:127.0.0.1:5060;transport=tcp`` (``sips:`` is not used for TLS)."""
        return f"sip:{LOOPBACK}:{self.port(transport)};transport={transport}"

    def uri(self, user: str, transport: Transport = "udp") -> str:
        """A user URI routed via this server, e.g. ``sip:alice@127.0.0.1:PORT;transport=tcp``."""
        return f"sip:{user}@{LOOPBACK}:{self.port(transport)};transport={transport}"

    def aor(self, user: str) -> str:
        """The address of record ``sip:user@domain``."""
        return f"sip:{user}@{self.domain}"

    # ----- introspection ---------------------------------------------------------------

    def kamcmd(self, *args: str, timeout: float = 5.0) -> str:
        """Run ``kamcmd`` against this instance's ctl socket; return stdout (raise on error)."""
        if self._tmp is None:
            raise KamailioError("not running")
        result = subprocess.run(
            ["kamcmd", "-s", f"unix:{self._ctl_socket}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        # kamcmd exits 0 on RPC faults and prints "error: CODE - reason" instead.
        if result.returncode != 0 or result.stdout.startswith("error:"):
            raise KamailioError(f"kamcmd {' '.join(args)}: {result.stdout}{result.stderr}".strip())
        return result.stdout

    def contacts(self, aor_user: str) -> list[str]:
        """The contact URIs currently registered for ``aor_user`` (empty if none)."""
        try:
            output = self.kamcmd("ul.lookup", "location", aor_user)
        except KamailioError as exc:
            if "AOR not found" in str(exc):
                return []
            raise
        return _ADDRESS_RE.findall(output)

    def log_text(self) -> str:
        """Kamailio's stderr so far (kept after stop() for post-mortem use)."""
        if self._log is not None and self._log.exists():
            return self._log.read_text(errors="replace")
        return self._saved_log

    # ----- internals -------------------------------------------------------------------

    @property
    def _ctl_socket(self) -> Path:
        assert self._tmp is not None
        return self._tmp / "kamailio_ctl"

    def _prepare(self) -> None:
        assert self._tmp is not None
        tmp = self._tmp
        (tmp / "db").mkdir()
        (tmp / "run").mkdir()
        (tmp / "db" / "version").write_text(_VERSION_TABLE)
        self._write_subscribers()
        cert, key = tmp / "cert.pem", tmp / "key.pem"
        cert_pem, key_pem = _self_signed_cert()
        cert.write_bytes(cert_pem)
        key.write_bytes(key_pem)
        key.chmod(0o600)
        (tmp / "tls.cfg").write_text(_TLS_CFG.format(cert=cert, key=key))
        self.udp_port = free_port()
        self.tcp_port = free_port()
        while self.tcp_port == self.udp_port:
            self.tcp_port = free_port()
        self.tls_port = free_port()
        while self.tls_port in (self.udp_port, self.tcp_port):
            self.tls_port = free_port()
        values = {
            "UDP_PORT": str(self.udp_port),
            "TCP_PORT": str(self.tcp_port),
            "TLS_PORT": str(self.tls_port),
            "DOMAIN": self.domain,
            "DEBUG": str(self.debug),
            "CTL_SOCKET": str(self._ctl_socket),
            "DB_DIR": str(tmp / "db"),
            "TLS_CFG": str(tmp / "tls.cfg"),
        }
        config = _TEMPLATE.read_text()
        for name, value in values.items():
            config = config.replace(f"@@{name}@@", value)
        (tmp / "kamailio.cfg").write_text(config)

    def _write_subscribers(self) -> None:
        assert self._tmp is not None
        lines = [_SUBSCRIBER_HEADER]
        for index, (name, password) in enumerate(self._users.items(), start=1):
            fields = (str(index), name, self.domain, password, "", "")
            lines.append(":".join(_escape_dbtext(f) for f in fields) + "\n")
        target = self._tmp / "db" / "subscriber"
        staging = target.with_name(f".subscriber.{uuid.uuid4().hex}")
        staging.write_text("".join(lines))
        os.replace(staging, target)
        # db_text reloads a table when its mtime changes; make sure it does even within 1 s.
        stamp = time.time() + self._next_id
        self._next_id += 1
        os.utime(target, (stamp, stamp))

    def _launch(self) -> None:
        assert self._tmp is not None
        tmp = self._tmp
        self._log = tmp / "kamailio.log"
        cmd = [
            "kamailio",
            "-DD",
            "-E",
            "-f",
            str(tmp / "kamailio.cfg"),
            "-P",
            str(tmp / "run" / "kamailio.pid"),
            "-Y",
            str(tmp / "run"),
            "-w",
            str(tmp),
            "-m",
            "64",
            "-M",
            "8",
        ]
        if self.auth_invites:
            cmd += ["-A", "AUTH_INVITES"]
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp,
                start_new_session=True,
            )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._options_answered(0.2):
            if self._proc is None or self._proc.poll() is not None:
                raise KamailioError(f"kamailio exited during start-up:\n{self.log_text()}")
            if time.monotonic() > deadline:
                raise KamailioError(f"kamailio not ready after {timeout}s:\n{self.log_text()}")
            time.sleep(0.01)
        remaining = max(0.5, deadline - time.monotonic())
        wait_tcp(self.tcp_port, timeout=remaining)
        wait_tcp(self.tls_port, timeout=remaining)
        while not self._ctl_socket.exists():
            if time.monotonic() > deadline:
                raise KamailioError(f"no ctl socket after {timeout}s:\n{self.log_text()}")
            time.sleep(0.01)

    def _options_answered(self, wait: float) -> bool:
        """Send one OPTIONS over UDP; True if any SIP response comes back within ``wait`` s."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((LOOPBACK, 0))
            sock.connect((LOOPBACK, self.udp_port))  # so "port unreachable" fails fast
            sock.settimeout(wait)
            local_port = sock.getsockname()[1]
            branch = f"z9hG4bK{uuid.uuid4().hex}"
            message = (
                f"OPTIONS sip:{LOOPBACK}:{self.udp_port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {LOOPBACK}:{local_port};branch={branch};rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:probe@{LOOPBACK}>;tag={uuid.uuid4().hex[:8]}\r\n"
                f"To: <sip:{LOOPBACK}:{self.udp_port}>\r\n"
                f"Call-ID: {uuid.uuid4().hex}@{LOOPBACK}\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "Content-Length: 0\r\n\r\n"
            )
            try:
                sock.send(message.encode())
                data = sock.recv(65535)
            except OSError:  # timeout or ICMP port unreachable
                return False
            return data.startswith(b"SIP/2.0 ")


def kamailio_server(
    users: dict[str, str], domain: str = LOOPBACK, *, auth_invites: bool = False
) -> Iterator[Kamailio]:
    """Generator for a pytest fixture: ``yield from kamailio_server({...})``."""
    server = Kamailio(users, domain, auth_invites=auth_invites)
    server.start()
    try:
        yield server
    finally:
        server.stop()

"""A real Ceph radosgw S3 endpoint on 127.0.0.1 for integration tests.

A throw-away Ceph cluster in a temp dir: one monitor (``ceph-mon``), one OSD on ``memstore``
(objects in RAM, sized by ``memstore_mb``) and ``radosgw`` with the beast frontend, all
without cephx (``auth ... required = none``) and bound to 127.0.0.1 only (the monitor through
its monmap address, the OSD through ``public addr``/``cluster addr``, radosgw through
``beast endpoint=127.0.0.1:PORT``; messenger v1 and IPv6 are off). Debian packages:
``radosgw ceph-mon ceph-osd`` (Ceph 16 "pacific" on Debian 12).

Start-up, in order (≈2 s on this 2-core machine, first bucket included; ≈14 s with the
default ``paxos propose interval`` of 1 s, since every pool radosgw creates waits for a few
monitor commits):

1. ``monmaptool`` + ``ceph-mon --mkfs``, then ``ceph-mon -f`` (≈0.1 s);
2. ``ceph osd create`` + ``ceph-osd --mkfs``, then ``ceph-osd -f`` (≈0.3 s);
3. ``radosgw-admin user create`` with the access/secret keys (creates the rgw pools; ≈0.7 s)
   — *before* radosgw runs: with a radosgw watching the metadata objects, the cache notify
   after the write waits for watchers, 10 s per try if one is gone;
4. ``radosgw -f`` (listens in ≈0.1 s), then the bucket through S3 (≈0.7 s).

Surprises this works around:

- Without cephx, radosgw still asks the monitor for a ``secure`` connection (its log shows
  mon client modes ``secure -> [2]``), which the ``none`` auth method cannot provide: it then
  loops on "get_initial_auth_request returned -13" (the ``ceph`` CLI connects fine). Every
  ``ms_*_mode`` is set to ``crc``.
- The OSD binds four ports from Ceph's 6800-7300 range (on 127.0.0.1); the monitor and
  radosgw ports come from ``free_port()``.
- A full memstore OSD blocks writes instead of failing them: size it and give clients
  timeouts.
- There is no ceph-mgr, so ``ceph -s`` shows 0 pools / 0 PGs; the data path does not care.

Runs as root here; every path (run dir, admin sockets, logs, crash dir) is inside the temp dir.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.servers.ports import LOOPBACK, free_port, wait_tcp
from tests.servers.process import Service, terminate

_TOOLS = ("monmaptool", "ceph-mon", "ceph-osd", "ceph", "radosgw", "radosgw-admin")

_CONF = """[global]
fsid = {fsid}
mon host = v2:{host}:{mon_port}
mon initial members = a
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
public addr = {host}
cluster addr = {host}
ms bind ipv4 = true
ms bind ipv6 = false
ms bind msgr1 = false
ms bind msgr2 = true
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
run dir = {tmp}/run
admin socket = {tmp}/run/$name.$pid.asok
log file = {tmp}/log/$name.log
crash dir = {tmp}/crash
keyring = {tmp}/keyring
mon data = {tmp}/mon/$name
osd data = {tmp}/osd/$name
paxos propose interval = 0.05
paxos min wait = 0.01
mon data avail warn = 1
mon data avail crit = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = {memstore_bytes}
rgw data = {tmp}/rgw
rgw frontends = beast endpoint={host}:{rgw_port}
"""


def radosgw_available() -> bool:
    """Whether the Ceph daemons and tools radosgw needs are on PATH."""
    return all(shutil.which(tool) for tool in _TOOLS)


class RadosgwError(RuntimeError):
    """The Ceph cluster or radosgw failed to start."""


class Radosgw(Service):
    """A one-mon, one-memstore-OSD Ceph cluster with radosgw; context manager or start()/stop().

    After start(): ``endpoint`` (``http://127.0.0.1:PORT``), ``access_key``, ``secret_key``
    and ``bucket`` (already created) are ready for an S3 client (path-style addressing).
    """

    def __init__(
        self,
        bucket: str = "agentdesk-media",
        *,
        memstore_mb: int = 512,
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.memstore_mb = memstore_mb
        self.access_key = access_key or "AD" + secrets.token_hex(9).upper()
        self.secret_key = secret_key or secrets.token_urlsafe(30)
        self.mon_port = 0
        self.port = 0
        self.start_seconds = 0.0
        self._tmp: Path | None = None
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._saved_logs = ""

    # ----- lifecycle -------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL, ``http://127.0.0.1:PORT``."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether monitor, OSD and radosgw are all alive."""
        names = ("mon", "osd", "rgw")
        return all(n in self._procs and self._procs[n].poll() is None for n in names)

    def start(self, timeout: float = 30.0) -> None:
        """Build the cluster, start the three daemons, create the user and the bucket."""
        if self._tmp is not None:
            raise RadosgwError("already started")
        if not radosgw_available():
            raise RadosgwError("Ceph is not installed: apt-get install radosgw ceph-mon ceph-osd")
        began = time.monotonic()
        deadline = began + timeout
        self._tmp = Path(tempfile.mkdtemp(prefix="radosgw-test-"))
        try:
            self._write_conf()
            self._start_mon(deadline)
            self._start_osd(deadline)
            self._create_user(deadline)
            self._start_rgw(deadline)
            self._create_bucket(deadline)
        except BaseException as exc:
            logs = self.log_tail()
            self.stop()
            if isinstance(exc, Exception):
                raise RadosgwError(
                    f"radosgw did not start within {timeout}s: {exc}\n{logs}"
                ) from exc
            raise
        self.start_seconds = time.monotonic() - began

    def stop(self) -> None:
        """SIGKILL every daemon (nothing to keep: memstore is RAM), then remove the temp dir."""
        procs, self._procs = self._procs, {}
        for proc in procs.values():
            terminate(proc, 0, group=True)
        if self._tmp is not None:
            self._saved_logs = self.log_tail()
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # ----- introspection ---------------------------------------------------------------

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of each daemon's log (kept after stop() for post-mortems)."""
        if self._tmp is None:
            return self._saved_logs
        parts = []
        for log in sorted((self._tmp / "log").glob("*")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def ceph(self, *args: str, timeout: float = 10.0) -> str:
        """Run the ``ceph`` CLI against this cluster; return stdout (raise on failure)."""
        return self._run(["ceph", "--connect-timeout", str(max(1, int(timeout))), *args], timeout)

    # ----- internals -------------------------------------------------------------------

    @property
    def _conf(self) -> Path:
        assert self._tmp is not None
        return self._tmp / "ceph.conf"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CEPH_", "PYTHON"))}
        env["CEPH_CONF"] = str(self._conf)
        return env

    def _run(self, command: list[str], timeout: float) -> str:
        command = [command[0], "-c", str(self._conf), *command[1:]]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=max(timeout, 0.5),
            env=self._env(),
            check=False,
        )
        if result.returncode != 0:
            raise RadosgwError(
                f"{' '.join(command[:4])}… exited {result.returncode}: "
                f"{(result.stderr or result.stdout).strip()[-800:]}"
            )
        return result.stdout

    def _spawn(self, name: str, command: list[str]) -> None:
        assert self._tmp is not None
        out = open(self._tmp / "log" / f"{name}.stderr", "wb")  # noqa: SIM115 - child owns it
        with out:
            self._procs[name] = subprocess.Popen(
                [command[0], "-c", str(self._conf), *command[1:]],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,
            )

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                raise RadosgwError(f"{name} exited with {proc.returncode}")

    def _write_conf(self) -> None:
        assert self._tmp is not None
        for sub in ("run", "log", "crash", "mon", "osd/osd.0", "rgw"):
            (self._tmp / sub).mkdir(parents=True)
        self.mon_port = free_port()
        self.port = free_port()
        self._fsid = str(uuid.uuid4())
        self._conf.write_text(
            _CONF.format(
                fsid=self._fsid,
                host=LOOPBACK,
                mon_port=self.mon_port,
                rgw_port=self.port,
                tmp=self._tmp,
                memstore_bytes=self.memstore_mb * 1024 * 1024,
            )
        )

    def _start_mon(self, deadline: float) -> None:
        assert self._tmp is not None
        monmap = self._tmp / "monmap"
        addr = f"[v2:{LOOPBACK}:{self.mon_port}]"
        subprocess.run(
            ["monmaptool", "--create", "--addv", "a", addr, "--fsid", self._fsid, str(monmap)],
            capture_output=True,
            timeout=10,
            check=True,
        )
        self._run(["ceph-mon", "--mkfs", "-i", "a", "--monmap", str(monmap)], _left(deadline))
        self._spawn("mon", ["ceph-mon", "-f", "-i", "a"])
        wait_tcp(self.mon_port, timeout=_left(deadline))

    def _start_osd(self, deadline: float) -> None:
        osd_id = self.ceph("osd", "create", timeout=_left(deadline)).strip()
        if osd_id != "0":
            raise RadosgwError(f"expected OSD id 0, the monitor gave {osd_id!r}")
        self._run(["ceph-osd", "--mkfs", "-i", "0"], _left(deadline))
        self._spawn("osd", ["ceph-osd", "-f", "-i", "0"])

    def _create_user(self, deadline: float) -> None:
        # Blocks until the OSD is up and the rgw pools it creates are active.
        self._check_alive()
        self._run(
            [
                "radosgw-admin",
                "user",
                "create",
                "--uid",
                "agentdesk-test",
                "--display-name",
                "AgentDesk tests",
                "--access-key",
                self.access_key,
                "--secret",
                self.secret_key,
            ],
            _left(deadline),
        )

    def _start_rgw(self, deadline: float) -> None:
        self._spawn("rgw", ["radosgw", "-f", "-n", "client.rgw"])
        wait_tcp(self.port, timeout=_left(deadline))
        self._check_alive()

    def _create_bucket(self, deadline: float) -> None:
        import boto3
        from botocore.config import Config

        timeout = _left(deadline)
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="default",
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=min(5.0, timeout),
                read_timeout=timeout,
                retries={"total_max_attempts": 1, "mode": "standard"},
            ),
        )
        try:
            client.create_bucket(Bucket=self.bucket)
        finally:
            client.close()


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("start-up deadline passed")
    return left


def radosgw_server(bucket: str = "agentdesk-media", memstore_mb: int = 512) -> Iterator[Radosgw]:
    """Generator for a pytest fixture: ``yield from radosgw_server()``."""
    server = Radosgw(bucket, memstore_mb=memstore_mb)
    server.start()
    try:
        yield server
    finally:
        server.stop()

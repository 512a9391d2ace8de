"""A real PostgreSQL (Debian's) on 127.0.0.1 in a temp dir, for integration tests and benches.

PostgreSQL refuses to run as root, so when we are root the cluster is made and run as the
`postgres` user (``runuser``) in a temp dir it owns: ``initdb -A trust --no-sync``, then
``pg_ctl start`` with ``listen_addresses=127.0.0.1``, a free port, the socket in the temp dir
and ``fsync=off`` (throw-away data). Up in about a second; `stop()` is an immediate shutdown.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.servers.ports import LOOPBACK, free_port


def _bindir() -> Path | None:
    """Debian keeps the server tools in /usr/lib/postgresql/<major>/bin; take the newest."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if found:
        return Path(found[0]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def postgres_available() -> bool:
    bindir = _bindir()
    return bindir is not None and (bindir / "initdb").exists()


class Postgres:
    """One throw-away cluster; `database(name)` gives a fresh database's URL."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        bindir = _bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed: run scripts/setup")
        self.bindir = bindir
        self.port = free_port()
        self.settings = {"fsync": "off", "synchronous_commit": "off", **(settings or {})}
        self.tmp = Path(tempfile.mkdtemp(prefix="agentdesk-pg-"))
        self.data = self.tmp / "data"
        self.user = "postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.tmp, "postgres", "postgres")
        else:
            import getpass

            self.user = getpass.getuser()

    def _run(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr or result.stdout}")
        return result.stdout

    def start(self) -> None:
        self.tmp.chmod(0o755)
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "--no-sync",
            "-U", self.user, "-E", "UTF8", "--locale", "C",
        )  # fmt: skip
        options = f"-c listen_addresses={LOOPBACK} -p {self.port} -k {self.tmp}"
        options += "".join(f" -c {k}={v}" for k, v in self.settings.items())
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.tmp / "log"),
            "-o", options, "-w", "-t", "30", "start",
        )  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{LOOPBACK}:{self.port}/{database}"

    def database(self, name: str) -> str:
        """Create a fresh database and return its URL."""
        psql = str(self.bindir / "psql")
        self._run(psql, "-h", LOOPBACK, "-p", str(self.port), "-U", self.user, "-d", "postgres",
                  "-v", "ON_ERROR_STOP=1", "-qc", f'CREATE DATABASE "{name}"')  # fmt: skip
        return self.url(name)

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.tmp / "log").read_text(errors="replace")
        return ""

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop", timeout=30)  # fmt: skip
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

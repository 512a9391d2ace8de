"""The real AgentDesk store (`agentdesk-store serve`) on 127.0.0.1 as a subprocess.

Users and their tokens are made before the server starts, straight in its database through
`store.users` (the CLI does the same; tests/integration/test_store_cli.py runs the CLI).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import requests

from store.db import connect
from store.migrations import migrate
from store.users import add_user, issue_token
from tests.servers.ports import LOOPBACK, free_port


def store_command() -> list[str]:
    """`agentdesk-store` next to this interpreter, else `python -m store`."""
    script = Path(sys.executable).with_name("agentdesk-store")
    return [str(script)] if script.exists() else [sys.executable, "-m", "store"]


class StoreServer:
    def __init__(
        self,
        data_dir: Path,
        db_url: str | None = None,
        users: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self.users = users or {}
        self.extra_args = extra_args or []
        self.env = env or {}
        self.port = free_port()
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        self.tokens: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"

    def db_args(self) -> list[str]:
        return ["--data", str(self.data_dir), *(["--db", self.db_url] if self.db_url else [])]

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        db = connect(self.db_url or str(self.data_dir / "store.sqlite3"))
        try:
            migrate(db)
            for name, role in self.users.items():
                add_user(db, name, role)
                self.tokens[name] = issue_token(db, name, days=1)[0]
        finally:
            db.close()

    def start(self, timeout: float = 20.0) -> None:
        self._prepare()
        args = [*store_command(), "serve", *self.db_args(), "--port", str(self.port)]
        args += ["--log-level", "warning", *self.extra_args]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"store exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base_url}/api/v1/health", timeout=1).ok:
                    return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"store did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-4000:]
        return ""

    def stop(self) -> int | None:
        """SIGTERM and wait (uvicorn shuts down gracefully); the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        code = self.proc.returncode
        self.proc = None
        return code

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

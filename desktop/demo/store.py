"""The demo's own central store: ``agentdesk-store serve`` on 127.0.0.1 over SQLite + a folder.

It runs as a child process of the app with its data in the user's data folder
(``agentdesk/demo/store``), so the demo's calls survive a restart. The demo users — an agent and
a QA controller — get fresh one-day tokens at every start; the tokens stay in this process's
memory (handed to the store client), never in a file or the keyring. No Qt.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from store.client import StoreClient
from store.client_errors import StoreError

log = logging.getLogger(__name__)

DEMO_USERS = {"operator": "agent", "qa": "qa", "supervisor": "supervisor"}


class DemoStoreError(RuntimeError):
    """The demo store could not be started; the message says why."""


def store_command() -> list[str]:
    """``agentdesk-store`` next to this interpreter (or the bundle's ``-m store``)."""
    script = Path(sys.executable).with_name("agentdesk-store")
    return [str(script)] if script.exists() else [sys.executable, "-m", "store"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DemoStore:
    data_dir: Path
    port: int = 0
    tokens: dict[str, str] = field(default_factory=dict, repr=False)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _cli(self, *args: str) -> str:
        done = subprocess.run(
            [*store_command(), *args, "--data", str(self.data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise DemoStoreError(f"agentdesk-store {args[0]} {args[1]} failed: {tail}")
        return done.stdout

    def start(self, timeout_s: float = 30.0) -> None:
        """Make the users, issue tokens, serve, and wait until /health answers (bounded)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        known = self._cli("user", "list")
        for name, role in DEMO_USERS.items():
            if not any(line.split("\t")[0] == name for line in known.splitlines()):
                self._cli("user", "add", name, "--role", role)
            self.tokens[name] = self._cli("token", "issue", name, "--days", "1").strip()
        self.port = self.port or _free_port()
        command = [*store_command(), "serve", "--data", str(self.data_dir)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        with open(self.data_dir / "server.log", "ab") as out:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ)
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DemoStoreError(
                    f"the demo store exited with {self.proc.returncode}; "
                    f"see {self.data_dir / 'server.log'}"
                )
            with contextlib.suppress(StoreError), StoreClient(self.url, "", timeout=1) as probe:
                probe.health()
                log.info("demo store: serving %s from %s", self.url, self.data_dir)
                return
            time.sleep(0.1)
        self.stop()
        raise DemoStoreError(f"the demo store did not answer on {self.url} within {timeout_s} s")

    def stop(self, timeout_s: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

"""What every test server shares: context-manager use and a bounded, reaping stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import Any, Self


class Service:
    """A server for tests: ``with Server(...) as s:`` starts it and always stops it."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def terminate(proc: subprocess.Popen[Any], timeout: float = 3.0, *, group: bool = False) -> None:
    """SIGTERM (to its process group with ``group``), a bounded wait, then SIGKILL; reaps.

    With ``group`` the whole group is killed at the end too, so no child outlives the test.
    """

    def send(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)

    if proc.poll() is None:
        send(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            send(signal.SIGKILL)
            proc.wait(timeout=5)
    if group:
        send(signal.SIGKILL)
    proc.wait(timeout=5)


def run_client(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    """Run a client of a test server (``xsetroot``, ``pactl`` …) with no stdin, bounded;
    (exit code, stdout, stderr stripped)."""
    result = subprocess.run(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr.strip()

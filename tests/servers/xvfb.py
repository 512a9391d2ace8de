"""A private Xvfb X server on a free display number, for tests that capture a real screen.

Xvfb picks the display number itself (``-displayfd``), so parallel runs never race for one,
and it reports the number only once it accepts connections: that is the readiness signal.
``-nolisten tcp`` keeps it to its unix socket. ``-noreset``: by default the server resets when
its last client disconnects, which would undo an ``xsetroot`` run while nobody else is
connected. :meth:`XvfbServer.stop` sends SIGTERM, waits a
bounded time, then SIGKILL; always reaped.

Drawing helpers use the X11 command-line tools (package ``x11-xserver-utils``): ``xsetroot``
paints the root window, which is what a screen grab sees where no window is mapped.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import IO

from tests.servers.process import Service, run_client, terminate


def xvfb_available() -> bool:
    """Whether Xvfb and xsetroot are on PATH."""
    return all(shutil.which(tool) for tool in ("Xvfb", "xsetroot"))


class XvfbError(RuntimeError):
    """Xvfb failed to start or an X tool failed."""


class XScreen:
    """An X display some X server serves (``DISPLAY``), and the X tools run against it."""

    def __init__(self, display: str) -> None:
        self._display = display

    @property
    def display(self) -> str:
        """The ``DISPLAY`` string, e.g. ``:7``."""
        return self._display

    def env(self, **extra: str) -> dict[str, str]:
        """``os.environ`` with ``DISPLAY`` pointing at this server, plus ``extra``."""
        return {**os.environ, "DISPLAY": self.display, **extra}

    def run_tool(self, *command: str, timeout: float = 10.0) -> str:
        """Run an X client (e.g. ``xsetroot``) against this server; return stdout."""
        code, out, err = run_client(list(command), self.env(), timeout)
        if code != 0:
            raise XvfbError(f"{command[0]} failed ({code}): {err}")
        return out

    def set_root_colour(self, colour: str) -> None:
        """Paint the whole root window one colour (``#rrggbb`` or an X colour name)."""
        self.run_tool("xsetroot", "-solid", colour)


class XvfbServer(Service, XScreen):
    """``Xvfb -screen 0 WxHxD``; a context manager, or start()/stop()."""

    def __init__(self, width: int = 1280, height: int = 720, depth: int = 24) -> None:
        self.width = width
        self.height = height
        self.depth = depth
        self.number: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def display(self) -> str:
        if self.number is None:
            raise XvfbError("not started")
        return f":{self.number}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Launch Xvfb and wait (bounded) until it reports its display number."""
        if self._proc is not None:
            raise XvfbError("already started")
        if not xvfb_available():
            raise XvfbError("Xvfb or xsetroot missing (packages xvfb, x11-xserver-utils)")
        read_fd, write_fd = os.pipe()
        try:
            screen = f"{self.width}x{self.height}x{self.depth}"
            # A file, not a pipe: nobody drains Xvfb's stderr while it runs.
            self._log = tempfile.TemporaryFile(prefix="xvfb-log-")  # noqa: SIM115 (closed in stop)
            self._proc = subprocess.Popen(
                [
                    *("Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen),
                    *("-nolisten", "tcp", "-noreset"),
                ],
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
            )
            os.close(write_fd)
            write_fd = -1
            self.number = self._read_display_number(read_fd, timeout)
        except BaseException:
            self.stop()
            raise
        finally:
            if write_fd >= 0:
                os.close(write_fd)
            os.close(read_fd)

    def _read_display_number(self, read_fd: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise XvfbError(f"Xvfb did not report a display within {timeout:.0f} s")
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(read_fd, 64)
            if not chunk:
                raise XvfbError(f"Xvfb exited before it was ready: {self._stderr_text()}")
            data += chunk
        return int(data.strip())

    def _stderr_text(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()[-2000:]

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, bounded wait, SIGKILL; always reaps."""
        proc, self._proc = self._proc, None
        log, self._log = self._log, None
        if log is not None:
            log.close()
        if proc is not None:
            terminate(proc, timeout)

"""Helpers for the recorder worker's integration tests: the worker as a child process driven
over its JSON pipe, and small Tk windows with a title, a place and a colour."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from formats.clock import utc_us
from tests.integration.recorder_kit import ROOT
from tests.servers.xvfb import XvfbServer

Event = dict[str, Any]


class WorkerProcess:
    """``python -m recorder.worker --display D --out OUT ARGS``; events collected by a thread."""

    def __init__(
        self, xvfb: XvfbServer, out: Path, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "recorder.worker",
                "--display",
                xvfb.display,
                "--out",
                str(out),
                *args,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: list[Event] = []
        self.stderr = ""
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read_events, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_events(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.events.append(json.loads(line))
                self._changed.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr += line

    def send(self, cmd: str, **fields: Any) -> int:
        """Send a command; returns the time it was sent (UTC µs)."""
        assert self.proc.stdin is not None
        sent = utc_us()
        self.proc.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.proc.stdin.flush()
        return sent

    def wait_for(self, match: Callable[[Event], bool], timeout: float = 10.0) -> Event:
        """The first event (already seen or coming) for which ``match`` is true."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self.events:
                    if match(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self._alive_reader()):
                    raise AssertionError(f"no such event; got {self.events}\n{self.stderr}")
                self._changed.wait(min(remaining, 0.2))

    def _alive_reader(self) -> bool:
        return self._readers[0].is_alive()

    def wait_capturing(self) -> Event:
        return self.wait_for(lambda e: e["event"] == "state" and e["capturing"])

    def named(self, name: str) -> list[Event]:
        with self._changed:
            return [e for e in self.events if e["event"] == name]

    def stop(self, timeout: float = 30.0) -> int:
        """``stop``, then wait for the exit; returns the exit status."""
        with contextlib.suppress(BrokenPipeError, ValueError):
            self.send("stop")
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code

    def kill(self) -> None:
        """Kill it if it still runs (SIGKILL), reap it and close the pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        for reader in self._readers:
            reader.join(5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


_TK_WINDOW = """
import sys, tkinter
root = tkinter.Tk()
root.title(sys.argv[1])
root.geometry(sys.argv[2])
root.configure(bg=sys.argv[3])
root.after(300, lambda: print("shown", flush=True))
root.mainloop()
"""


@contextlib.contextmanager
def tk_windows(xvfb: XvfbServer, *windows: tuple[str, str, str]) -> Iterator[None]:
    """Show Tk windows ``(title, WxH+X+Y, colour)`` on ``xvfb`` (no window manager: Tk places
    them where asked) until the block ends."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _TK_WINDOW, *window],
            env=xvfb.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        for window in windows
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "shown", "a Tk window did not show"
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(10)
            if proc.stdout is not None:
                proc.stdout.close()

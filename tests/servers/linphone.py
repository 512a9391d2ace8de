"""A real headless linphonec (Debian's ``linphone-cli`` 5.1) as a SIP far end on 127.0.0.1.

linphonec reads its commands from stdin when that is not a terminal and prints call states
(``-S``) on stdout; both go through a pipe here. Headless needs: its own HOME (liblinphone
stays in its start-up state until its database folder ``~/.local/share/linphone`` exists),
``soundcard use files`` (no sound card: audio comes from a WAV, by default a long tone, and
nothing is played), and automatic network-state monitoring left on (with it off the account
never registers). It registers through the given registrar with digest auth and answers
calls by itself (``-a``). Its own log (SIP messages included) is ``linphone.log``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from tests.servers.baresip import write_tone_wav
from tests.servers.ports import LOOPBACK, free_port
from tests.servers.process import Service, terminate

LINPHONEC = "linphonec"
_CALL_ID = re.compile(r"\bassigned id (\d+)|^Call (\d+) ")


def linphonec_available() -> bool:
    """True when Debian's linphonec is installed."""
    return shutil.which(LINPHONEC) is not None


class LinphoneError(RuntimeError):
    """linphonec failed to start, to register, or went away."""


class Linphonec(Service):
    """A linphonec user agent registered as ``sip:USER@DOMAIN`` at ``registrar`` (host:port),
    answering every call itself and sending ``play_wav`` (default: a 1000 Hz tone)."""

    def __init__(
        self,
        user: str,
        password: str,
        registrar: str,
        *,
        domain: str = LOOPBACK,
        auto_answer: bool = True,
        play_wav: str | os.PathLike[str] | None = None,
        workdir: str | os.PathLike[str] | None = None,
        debug: int = 5,
    ) -> None:
        self.user = user
        self.password = password
        self.registrar = registrar
        self.domain = domain
        self.auto_answer = auto_answer
        self.debug = debug
        self.sip_port = 0  # chosen by start()
        self._play_wav = Path(play_wav).resolve() if play_wav is not None else None
        self._own_dir = workdir is None
        self.dir = Path(workdir).resolve() if workdir is not None else Path()
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._cond = threading.Condition()
        self._lines: list[str] = []

    # ----------------------------------------------------------------- properties

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def log_path(self) -> Path:
        """liblinphone's own log (SIP messages at ``debug`` ≥ 5)."""
        return self.dir / "linphone.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def output(self) -> str:
        """What linphonec printed so far (its answers and call states)."""
        with self._cond:
            return "\n".join(self._lines)

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 10.0) -> None:
        """Write the config, launch linphonec, send the audio set-up and register (bounded)."""
        if self._proc is not None:
            raise LinphoneError("already started")
        if not linphonec_available():
            raise LinphoneError("linphonec is not installed (Debian package linphone-cli)")
        if self._own_dir:
            self.dir = Path(tempfile.mkdtemp(prefix=f"linphonec-{self.user}-"))
        (self.dir / ".local" / "share" / "linphone").mkdir(parents=True, exist_ok=True)
        wav = self._play_wav or write_tone_wav(self.dir / "tone.wav", seconds=300)
        self.sip_port = free_port()
        (self.dir / "linphonerc").write_text(self._config())
        command = [LINPHONEC, "-c", str(self.dir / "linphonerc"), "-S"]
        command += ["-d", str(self.debug), "-l", str(self.log_path)]
        if self.auto_answer:
            command.append("-a")
        self._proc = subprocess.Popen(
            command,
            cwd=self.dir,
            env={**os.environ, "HOME": str(self.dir)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert self._proc.stdout is not None
        self._reader = threading.Thread(
            target=self._read, args=(self._proc.stdout,), name=f"linphonec-{self.user}", daemon=True
        )
        self._reader.start()
        try:
            self.command("soundcard use files", expect="Using wav files", timeout=timeout)
            self.command(f"play {wav}")
            self.command(f"register {self.aor} sip:{self.registrar} {self.password}")
            self.registered(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 5.0) -> None:
        """``quit``, then SIGTERM/SIGKILL of its group, bounded; idempotent. The work dir stays
        until :meth:`close`."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.write(b"quit\n")
                proc.stdin.flush()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout)
        terminate(proc, 2.0, group=True)
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        if self._reader is not None:
            self._reader.join(2.0)
            self._reader = None
        if proc.stdout is not None:
            proc.stdout.close()

    def close(self) -> None:
        """Stop, then delete the work dir if this object made it."""
        self.stop()
        if self._own_dir and self.dir != Path() and self.dir.is_dir():
            shutil.rmtree(self.dir, ignore_errors=True)

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _config(self) -> str:
        # Ranges: linphone picks a random free pair in them, so parallel instances coexist.
        return "\n".join(
            [
                "[sip]",
                f"sip_port={self.sip_port}",
                "sip_tcp_port=0",
                "sip_tls_port=0",
                "inc_timeout=60",
                "[rtp]",
                "audio_rtp_port=20000-29998",
                "video_rtp_port=30000-39998",
                "text_rtp_port=40000-49998",
                "[sound]",
                "echocancellation=0",
                "[video]",
                "capture=0",
                "display=0",
                "",
            ]
        )

    # ------------------------------------------------------------------- commands

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\r\n")
            with self._cond:
                self._lines.append(line.removeprefix("linphonec> "))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def line_count(self) -> int:
        """Lines printed so far; pass as ``since`` to wait for a later one."""
        with self._cond:
            return len(self._lines)

    def command(self, text: str, expect: str | None = None, timeout: float = 5.0) -> str:
        """Send one command line; with ``expect`` (a regex) wait for a line matching it."""
        proc = self._proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise LinphoneError(f"linphonec is not running:\n{self.output()}")
        since = self.line_count()
        proc.stdin.write(text.encode() + b"\n")
        proc.stdin.flush()
        return self.wait_line(expect, timeout, since) if expect else ""

    def wait_line(self, pattern: str, timeout: float = 10.0, since: int = 0) -> str:
        """Wait (bounded) for an output line at index ≥ ``since`` matching ``pattern``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self._lines[since:]:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(self._lines[since:][-20:])
                    raise TimeoutError(f"no line matching {pattern!r} in {timeout}s:\n{tail}")
                if not self.running:
                    raise LinphoneError(f"linphonec exited while waiting for {pattern!r}")
                self._cond.wait(min(left, 0.2))

    def registered(self, timeout: float = 10.0) -> None:
        """Wait (bounded) until its account is registered."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.command("status register", expect=r"^registered", timeout=timeout)
            if line.startswith("registered,"):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"linphonec not registered after {timeout}s: {line}")
            time.sleep(0.1)

    def dial(self, uri: str) -> int:
        """Call ``uri``; returns linphonec's id of the call."""
        line = self.command(f"call {uri}", expect=r"assigned id \d+")
        match = _CALL_ID.search(line)
        assert match is not None
        return int(match.group(1) or match.group(2))

    def terminate_all(self) -> None:
        """Hang up every call."""
        self.command("terminate all")

    def calls(self) -> str:
        """linphonec's table of its current calls."""
        since = self.line_count()
        self.command("calls")
        time.sleep(0.2)
        with self._cond:
            return "\n".join(self._lines[since:])

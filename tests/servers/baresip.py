"""A real headless baresip (Debian 1.0) as a SIP far end on 127.0.0.1, driven via ctrl_tcp.

Audio sent comes from ``aufile`` (a WAV; by default a long 1000 Hz tone). ``sndfile`` writes
two WAVs per call into the work dir: ``dump-<YYYY-MM-DD-HH-MM-SS>-dec.wav`` (decoded received
audio) and ``...-enc.wav`` (what is sent), S16 mono at the codec rate (8 kHz G.711, 16 kHz
G.722). The WAV headers are only final once the call has ended, and names have 1 s
resolution: calls starting in the same second overwrite each other's files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid
import wave
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import numpy as np

from tests.servers.ports import LOOPBACK, free_port

BARESIP = "baresip"
MODULE_DIRS = ("/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules")
TONE_HZ = 1000.0
TONE_RATE = 8000
TONE_SECONDS = 120.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def module_dir() -> Path | None:
    """The directory holding baresip's modules, or None when not installed."""
    for d in MODULE_DIRS:
        if (Path(d) / "ctrl_tcp.so").is_file():
            return Path(d)
    return None


def baresip_available() -> bool:
    """True when a baresip binary and its module directory are installed."""
    return shutil.which(BARESIP) is not None and module_dir() is not None


def write_tone_wav(
    path: Path,
    seconds: float = TONE_SECONDS,
    freq: float = TONE_HZ,
    rate: int = TONE_RATE,
    amplitude: float = 0.3,
) -> Path:
    """Write an S16LE mono WAV holding a pure sine tone."""
    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    samples = (np.sin(2 * np.pi * freq * t) * amplitude * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV as (first-channel float samples in [-1, 1], sample rate)."""
    with wave.open(str(path), "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: not 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.reshape(-1, channels)[:, 0].astype(np.float64) / 32768.0, rate


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    """Frequency (Hz) of the strongest FFT bin, DC excluded."""
    if samples.size < 2:
        return 0.0
    spectrum = np.abs(np.fft.rfft((samples - samples.mean()) * np.hanning(samples.size)))
    spectrum[0] = 0.0
    return float(np.fft.rfftfreq(samples.size, 1.0 / rate)[int(np.argmax(spectrum))])


def wav_complete(path: Path) -> bool:
    """True when a WAV's RIFF header matches its size (libsndfile fixes it on close)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
        size = path.stat().st_size
    except OSError:
        return False
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    return struct.unpack("<I", head[4:8])[0] + 8 == size and size > 44


class BaresipError(RuntimeError):
    """baresip failed to start, or ctrl_tcp went away."""


class _PortInUse(BaresipError):
    """baresip could not bind one of its ports."""


_START_ATTEMPTS = 4


def _bindable(port: int) -> bool:
    """True when ``port`` is free on 127.0.0.1 for both TCP and UDP."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((LOOPBACK, port))
            except OSError:
                return False
    return True


def _pick_ports() -> tuple[int, int]:
    """(sip, ctrl) ports; baresip also binds SIP/TLS on sip+1, so that must be free too."""
    for _ in range(100):
        sip = free_port()
        if sip < 65535 and _bindable(sip + 1):
            ctrl = free_port()
            if ctrl not in (sip, sip + 1):
                return sip, ctrl
    raise BaresipError("no free port pair on 127.0.0.1")


class Baresip:
    """A headless baresip user agent on 127.0.0.1, controlled through ctrl_tcp.

    Without ``registrar`` the account is local (``regint=0``) and reachable at ``sip_uri``;
    with ``registrar="host:port"`` it registers as ``sip:USER@DOMAIN`` (``domain`` defaults to
    the registrar) with digest ``password``.
    """

    def __init__(
        self,
        user: str = "carol",
        password: str | None = None,
        registrar: str | None = None,
        answermode: str = "auto",
        play_wav: str | os.PathLike[str] | None = None,
        *,
        transport: str = "udp",
        domain: str | None = None,
        codecs: Sequence[str] | None = None,
        regint: int = 60,
        workdir: str | os.PathLike[str] | None = None,
        start_timeout: float = 10.0,
    ) -> None:
        """Configure (not start); ``codecs`` like ``["PCMU"]`` or ``["G722/16000/1"]``."""
        if answermode not in ("auto", "manual", "early"):
            raise ValueError(f"answermode must be auto, manual or early, not {answermode!r}")
        if transport not in ("udp", "tcp"):
            raise ValueError(f"transport must be udp or tcp, not {transport!r}")
        self.user = user
        self.password = password
        self.registrar = registrar
        self.answermode = answermode
        self.transport = transport
        self.domain = domain
        self.codecs = list(codecs) if codecs else None
        self.regint = regint
        self.start_timeout = start_timeout
        self.sip_port = 0  # chosen by start()
        self.ctrl_port = 0
        self._play_wav = Path(play_wav).resolve() if play_wav is not None else None
        self._own_dir = workdir is None
        self.dir = Path(workdir).resolve() if workdir is not None else Path()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._events: list[dict[str, Any]] = []
        self._responses: dict[str, dict[str, Any]] = {}
        self._closed = False

    # ----------------------------------------------------------------- properties

    @property
    def sip_uri(self) -> str:
        """URI for direct calls to this UA: ``sip:USER@127.0.0.1:PORT`` (after start())."""
        if not self.sip_port:
            raise BaresipError("not started: the SIP port is chosen by start()")
        return f"sip:{self.user}@{LOOPBACK}:{self.sip_port}"

    @property
    def aor(self) -> str:
        """The account's address of record."""
        if self.registrar is None:
            return self.sip_uri
        return f"sip:{self.user}@{self.domain or self.registrar}"

    @property
    def log_path(self) -> Path:
        """File with baresip's stdout and stderr."""
        return self.dir / "baresip.log"

    def log(self) -> str:
        """baresip's output so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        """True while the baresip process is alive."""
        return self._proc is not None and self._proc.poll() is None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Write the config, launch baresip and connect to ctrl_tcp (bounded)."""
        if self._proc is not None:
            raise BaresipError("already started")
        mods = module_dir()
        if shutil.which(BARESIP) is None or mods is None:
            raise BaresipError("baresip or its modules are not installed")
        if self._own_dir:
            self.dir = Path(tempfile.mkdtemp(prefix=f"baresip-{self.user}-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        wav = self._play_wav or write_tone_wav(self.dir / "tone.wav")
        with wave.open(str(wav), "rb") as w:
            src_rate = w.getframerate()
        (self.dir / "contacts").write_text("")
        for attempt in range(_START_ATTEMPTS):
            # Ports are picked late and retried: another process may take one meanwhile.
            self.sip_port, self.ctrl_port = _pick_ports()
            (self.dir / "config").write_text(self._config(mods, wav, src_rate))
            (self.dir / "accounts").write_text(self._account_line() + "\n")
            try:
                self._launch()
                return
            except _PortInUse:
                if attempt == _START_ATTEMPTS - 1:
                    raise BaresipError(f"ports kept colliding:\n{self.log()}") from None

    def _launch(self) -> None:
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._closed = False
        self._events.clear()
        self._responses.clear()
        try:
            # cwd in the work dir: anything written relative (uuid, dumps) stays there.
            self._proc = subprocess.Popen(
                [BARESIP, "-f", str(self.dir)],
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self._connect()
        except BaseException:
            self.stop()
            raise

    def _connect(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._proc.poll() is not None:
                log = self.log()
                if "Address already in use" in log:
                    raise _PortInUse(log)
                raise BaresipError(f"baresip exited ({self._proc.returncode}):\n{log}")
            try:
                sock = socket.create_connection((LOOPBACK, self.ctrl_port), timeout=0.5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BaresipError(
                        f"ctrl_tcp not up after {self.start_timeout}s:\n{self.log()}"
                    ) from None
                time.sleep(0.05)
        sock.settimeout(0.2)
        self._sock = sock
        self._reader = threading.Thread(
            target=self._read_loop, args=(sock,), name=f"baresip-{self.user}-ctrl", daemon=True
        )
        self._reader.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Quit baresip (ctrl ``quit``, then SIGTERM, then SIGKILL), bounded; idempotent.

        The work dir and its recordings stay until ``close()``.
        """
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError, BaresipError):
                self._send({"command": "quit", "params": "", "token": "quit"})
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout=timeout)
                    break
                except subprocess.TimeoutExpired:
                    continue
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
            self._reader = None
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)
            self._proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def close(self) -> None:
        """Stop, then delete the work dir if this object created it."""
        self.stop()
        if self._own_dir and self.dir != Path() and self.dir.is_dir():
            shutil.rmtree(self.dir, ignore_errors=True)

    # --------------------------------------------------------------------- config

    def _account_line(self) -> str:
        params = [f"answermode={self.answermode}"]
        if self.registrar is None:
            uri = f"<sip:{self.user}@{LOOPBACK}:{self.sip_port};transport={self.transport}>"
            params.append("regint=0")
        else:
            host = self.domain or self.registrar
            uri = f"<sip:{self.user}@{host};transport={self.transport}>"
            if self.domain and self.domain != self.registrar:
                params.append(f'outbound="sip:{self.registrar};transport={self.transport}"')
            params.append(f"regint={self.regint}")
            if self.password is not None:
                params += [f"auth_user={self.user}", f"auth_pass={self.password}"]
        if self.codecs:
            params.append("audio_codecs=" + ",".join(self.codecs))
        params += ["mwi=no", "pubint=0"]
        return uri + ";" + ";".join(params)

    def _config(self, mods: Path, wav: Path, src_rate: int) -> str:
        modules = ["g711.so"]  # offer order = load order: PCMU, PCMA, then G722
        if (mods / "g722.so").is_file():
            modules.append("g722.so")
        modules += ["sndfile.so", "aufile.so", "aubridge.so"]
        lines = [
            "poll_method epoll",
            f"sip_listen {LOOPBACK}:{self.sip_port}",
            "call_local_timeout 120",
            "call_max_calls 4",
            f"audio_source aufile,{wav}",
            "audio_player aubridge,nil",
            "audio_alert aubridge,nil",
            # aufile needs the WAV rate to equal the source rate; baresip resamples to the codec.
            f"ausrc_srate {src_rate}",
            "ausrc_channels 1",
            "audio_level no",
            "ausrc_format s16",
            "auplay_format s16",
            "auenc_format s16",
            "audec_format s16",
            "audio_buffer 20-160",
            "rtp_tos 0",
            "rtcp_mux no",
            "jitter_buffer_delay 5-10",
            "rtp_stats no",
            f"net_interface {LOOPBACK}",
            f"module_path {mods}",
            *(f"module {m}" for m in modules),
            "module_tmp uuid.so",
            "module_tmp account.so",
            "module_app menu.so",
            "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen {LOOPBACK}:{self.ctrl_port}",
            f"snd_path {self.dir}",
            "ringback_disabled yes",
            "statmode_default off",
            "",
        ]
        return "\n".join(lines)

    # ------------------------------------------------------------------- ctrl_tcp

    def _send(self, msg: dict[str, Any]) -> None:
        data = json.dumps(msg).encode()
        with self._send_lock:
            if self._sock is None:
                raise BaresipError("not connected to ctrl_tcp")
            self._sock.sendall(b"%d:%s," % (len(data), data))

    def _read_loop(self, sock: socket.socket) -> None:
        buf = b""
        while not self._closed:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            try:
                while (colon := buf.find(b":")) >= 0:
                    end = colon + 1 + int(buf[:colon])
                    if len(buf) <= end:
                        break
                    payload, buf = buf[colon + 1 : end], buf[end + 1 :]
                    with contextlib.suppress(ValueError):
                        self._dispatch(json.loads(payload))
            except ValueError:  # not a netstring: give up on the stream
                break
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _dispatch(self, msg: dict[str, Any]) -> None:
        with self._cond:
            if msg.get("event"):
                self._events.append(msg)
            elif msg.get("response") and msg.get("token") is not None:
                self._responses[str(msg["token"])] = msg
            self._cond.notify_all()

    def command(self, cmd: str, params: str = "", timeout: float = 5.0) -> dict[str, Any]:
        """Send a ctrl_tcp command; return its response (``ok``, ``data``, ``token``)."""
        token = uuid.uuid4().hex
        self._send({"command": cmd, "params": params, "token": token})
        deadline = time.monotonic() + timeout
        with self._cond:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no response to {cmd!r} within {timeout}s")
                if self._closed:
                    raise BaresipError(f"ctrl_tcp closed while waiting for {cmd!r}")
                self._cond.wait(left)
            return self._responses.pop(token)

    def dial(self, uri: str) -> dict[str, Any]:
        """Start an outgoing call to ``uri``."""
        return self.command("dial", uri)

    def hangup(self) -> dict[str, Any]:
        """Hang up the current call (ok even when there is none)."""
        return self.command("hangup")

    def answer(self) -> dict[str, Any]:
        """Answer the ringing incoming call (ctrl command ``accept``)."""
        return self.command("accept")

    # --------------------------------------------------------------------- events

    @property
    def events(self) -> list[dict[str, Any]]:
        """All events received so far (a copy)."""
        with self._cond:
            return list(self._events)

    def event_count(self) -> int:
        """Number of events so far; pass as ``since`` to wait for a later one."""
        with self._cond:
            return len(self._events)

    def wait_event(
        self, type: str, timeout: float = 10.0, since: int = 0, **match: Any
    ) -> dict[str, Any]:
        """Wait (bounded) for an event of ``type`` at index ≥ ``since`` with fields ``match``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ev in self._events[since:]:
                    if ev.get("type") == type and all(ev.get(k) == v for k, v in match.items()):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [e.get("type") for e in self._events[since:]]
                    raise TimeoutError(f"no {type} event within {timeout}s (seen: {seen})")
                if self._closed:
                    raise BaresipError(f"ctrl_tcp closed while waiting for {type}")
                self._cond.wait(min(left, 0.5))

    def registered(self, timeout: float = 10.0) -> str:
        """Wait (bounded) until the account is registered; return the ``reginfo`` line.

        Polls ``reginfo``: the first REGISTER_OK usually fires before ctrl_tcp is connected.
        """
        if self.registrar is None:
            raise BaresipError("a local account (no registrar) never registers")
        deadline = time.monotonic() + timeout
        while True:
            data = _ANSI.sub("", str(self.command("reginfo").get("data", "")))
            for line in data.splitlines():
                if f"sip:{self.user}@" in line and " OK " in f"{line} ":
                    return line.strip()
            if time.monotonic() > deadline:
                raise TimeoutError(f"not registered after {timeout}s: {data.strip()!r}")
            time.sleep(0.1)

    # ----------------------------------------------------------------- recordings

    def recordings(self, kind: str = "dec") -> list[Path]:
        """sndfile WAVs, oldest first (by name): ``dec`` = decoded received, ``enc`` = sent."""
        if kind not in ("dec", "enc"):
            raise ValueError(f"kind must be dec or enc, not {kind!r}")
        if not self.dir.is_dir() or self.dir == Path():
            return []
        return sorted(self.dir.glob(f"dump-*-{kind}.wav"))

    def wait_recordings(
        self, kind: str = "dec", count: int = 1, timeout: float = 5.0
    ) -> list[Path]:
        """Wait (bounded) until ``count`` finished (header-final) recordings of ``kind`` exist."""
        deadline = time.monotonic() + timeout
        while True:
            done = [p for p in self.recordings(kind) if wav_complete(p)]
            if len(done) >= count:
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(done)} of {count} {kind} recordings after {timeout}s")
            time.sleep(0.05)

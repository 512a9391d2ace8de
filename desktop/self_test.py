"""``agentdesk --self-test``: is this installation able to work?

Each check runs the real part on this machine — the SIP stack on loopback with the null sound
device, a screen grab encoded into a segment and decoded again, the store if one is configured —
and says in one line what worked or what failed and why. Exit status 0 when every check passed,
1 otherwise. No Qt window is opened; no secret is printed.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# What the bundle must carry: our packages (walked) and the third-party parts they load lazily.
PACKAGES = ("formats", "sip", "recorder", "desktop")
MODULES = (
    "store.client",
    "pjsua2",
    "av",
    "mss",
    "numpy",
    "keyring",
    "requests",
    "PySide6.QtCore",
    "PySide6.QtGui",
    "PySide6.QtWidgets",
)
SKIP = ("desktop.__main__", "sip.remote")


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


class CheckFailed(Exception):
    """A check's failure, with the reason to print."""


def _walk(package: str) -> Iterator[str]:
    module = importlib.import_module(package)
    yield package
    for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
        if info.name not in SKIP and ".tests" not in info.name:
            yield info.name


def check_imports() -> str:
    names: list[str] = []
    failed: list[str] = []
    for name in MODULES:
        names.append(name)
        try:
            importlib.import_module(name)
        except Exception as exc:  # every failure is a finding to report
            failed.append(f"{name} ({type(exc).__name__}: {exc})")
    for package in PACKAGES:
        try:
            walked = list(_walk(package))
        except Exception as exc:  # every failure is a finding to report
            failed.append(f"{package} ({type(exc).__name__}: {exc})")
            continue
        for name in walked:
            names.append(name)
            try:
                importlib.import_module(name)
            except Exception as exc:  # every failure is a finding to report
                failed.append(f"{name} ({type(exc).__name__}: {exc})")
    if failed:
        raise CheckFailed("cannot import " + "; ".join(failed))
    return f"{len(names)} modules"


def _options_request(port: int) -> bytes:
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    lines = [
        f"OPTIONS sip:self-test@127.0.0.1:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:9;branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:self-test@127.0.0.1>;tag={uuid.uuid4().hex[:8]}",
        f"To: <sip:self-test@127.0.0.1:{port}>",
        f"Call-ID: {uuid.uuid4().hex}@127.0.0.1",
        "CSeq: 1 OPTIONS",
        "Content-Length: 0",
        "",
        "",
    ]
    return "\r\n".join(lines).encode()


def check_sip() -> str:
    """Start the engine as the app does (its own process) on 127.0.0.1 with the null sound
    device; it must answer an OPTIONS."""
    from sip.config import EngineConfig
    from sip.process import EngineProcess

    engine = EngineProcess(
        EngineConfig(bind_address="127.0.0.1", transports=("udp",), audio="null")
    )
    try:
        try:
            started = engine.start(timeout=15)
        except Exception as exc:
            raise CheckFailed(f"the SIP engine did not start: {exc}") from None
        port = started.sip_ports["udp"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.5)
            sock.bind(("127.0.0.1", 0))
            request = _options_request(port).replace(
                b"127.0.0.1:9;", f"127.0.0.1:{sock.getsockname()[1]};".encode()
            )
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                sock.sendto(request, ("127.0.0.1", port))
                try:
                    reply = sock.recv(65535).decode(errors="replace")
                except TimeoutError:
                    continue
                status = reply.split("\r\n", 1)[0]
                if not status.startswith("SIP/2.0 "):
                    raise CheckFailed(f"the SIP stack answered garbage: {status[:80]!r}")
                return (
                    f"pjsua2 answered on udp 127.0.0.1:{port} ({status[8:]}), null audio, "
                    f"in its own process (pid {engine.pid})"
                )
        raise CheckFailed(f"no answer to OPTIONS on udp 127.0.0.1:{port} within 5 s")
    finally:
        if not engine.stop(timeout=20):
            raise CheckFailed("the SIP engine did not stop within 20 s")


def check_screen(display: str | None) -> str:
    """Grab the screen for a moment, encode it as a segment, decode the segment again."""
    if not display:
        raise CheckFailed("no X display ($DISPLAY is not set): screen recording cannot work here")
    import av

    from recorder.segments.config import RecorderConfig
    from recorder.segments.pipeline import ScreenRecorder

    with tempfile.TemporaryDirectory(prefix="agentdesk-self-test-") as tmp:
        recorder = ScreenRecorder(RecorderConfig(out_dir=Path(tmp), display=display, fps=5))
        manifests = recorder.run(seconds=0.6)
        if not manifests:
            raise CheckFailed("the recorder wrote no segment")
        manifest = manifests[0]
        media = Path(tmp) / manifest.file
        with av.open(str(media)) as container:
            frame = next(container.decode(video=0), None)
        if frame is None:
            raise CheckFailed(f"{manifest.file} holds no decodable frame")
        return (
            f"display {display}: {manifest.width}x{manifest.height}, {manifest.frames} frames, "
            f"{manifest.bytes} bytes of H.264, decoded"
        )


def check_worker() -> str:
    """The recorder worker starts as the app starts it (``sys.executable -m recorder.worker``,
    which a frozen bundle runs itself), says it is ready, and stops when asked."""
    import subprocess

    from formats import pipe, pipe_codec

    with tempfile.TemporaryDirectory(prefix="agentdesk-self-test-") as tmp:
        command = [sys.executable, "-m", "recorder.worker", "--out", tmp, "--no-capture"]
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            first = proc.stdout.readline()  # the worker's first line: ready (or fatal)
            try:
                event = pipe_codec.decode(first, pipe.Event)
            except pipe.PipeError:
                event = None
            if not isinstance(event, pipe.Ready):
                raise CheckFailed(f"the recorder worker did not start: {first.strip()[:200]!r}")
            proc.stdin.write(pipe_codec.encode(pipe.Stop()))
            proc.stdin.flush()
            code = proc.wait(20)
        except subprocess.TimeoutExpired:
            raise CheckFailed("the recorder worker did not stop within 20 s") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        if code != 0:
            raise CheckFailed(f"the recorder worker exited with {code}")
        return f"started (pid {event.pid}), ready, stopped cleanly"


def check_store(url: str, token_lookup: Callable[[], str | None] | None) -> str:
    from store.client import StoreClient

    try:
        token = token_lookup() if token_lookup else None
        why = "no token in the keyring"
    except Exception as exc:
        token, why = None, f"the keyring failed ({type(exc).__name__}: {exc})"
    with StoreClient(url, token or "", timeout=5) as client:
        health = client.health()
        answers = f"{url} answers (schema {health['schema_version']})"
        if not token:
            return f"{answers}; not signed in: {why}"
        me = client.me()
        return f"{answers}, signed in as {me['name']} ({me['role']})"


def run_checks(
    *, display: str | None, store_url: str = "", store_token: Callable[[], str | None] | None = None
) -> list[Outcome]:
    checks: list[tuple[str, Callable[[], str]]] = [
        ("imports", check_imports),
        ("sip", check_sip),
        ("screen", lambda: check_screen(display)),
        ("worker", check_worker),
    ]
    if store_url:
        checks.append(("store", lambda: check_store(store_url, store_token)))
    outcomes = []
    for name, check in checks:
        try:
            outcomes.append(Outcome(name, True, check()))
        except CheckFailed as exc:
            outcomes.append(Outcome(name, False, str(exc)))
        except Exception as exc:  # every failure is a finding to report
            outcomes.append(Outcome(name, False, f"{type(exc).__name__}: {exc}"))
    if not store_url:
        outcomes.append(Outcome("store", True, "not configured (skipped)"))
    return outcomes


def main(store_url: str = "", store_token: Callable[[], str | None] | None = None) -> int:
    outcomes = run_checks(
        display=os.environ.get("DISPLAY"), store_url=store_url, store_token=store_token
    )
    for outcome in outcomes:
        print(outcome.line(), flush=True)
    failed = [o.name for o in outcomes if not o.ok]
    if failed:
        print(f"agentdesk self-test: FAILED ({', '.join(failed)})", file=sys.stderr)
        return 1
    print("agentdesk self-test: all checks passed", file=sys.stderr)
    return 0

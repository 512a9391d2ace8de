"""A headless softphone in its own process, driven by JSON lines over stdin/stdout.

pjsua2 allows one Endpoint per process and aborts that process on several conditions a remote
party can trigger, so the desktop's own engine runs here (:class:`sip.process.EngineProcess`
starts it, and again when it dies), and so do second parties (the demo's simulated caller, the
far ends of integration tests, through :class:`RemoteEngine`). Requests are
``{"id": 1, "cmd": "make_call", "args": {...}}``; answers ``{"id": 1, "ok": true, "result": …}``
or ``{"id": 1, "ok": false, "kind": "LimitError", "error": "…"}``; events ``{"event": {…}}``.
``levels`` and ``list_devices`` are answered by the process itself (sound levels, the devices its
PortAudio sees). Secrets travel only in requests on stdin, never on the command line. The child
ignores SIGINT and stops at ``stop`` or when its stdin closes (the parent went away).
"""

from __future__ import annotations

import argparse
import dataclasses
import faulthandler
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from sip.child import COMMANDS, PROCESS_COMMANDS
from sip.config import AccountSettings, EngineConfig
from sip.devices import list_devices
from sip.engine import Engine

__all__ = ["COMMANDS", "RemoteEngine", "RemoteError", "main", "serve"]


class RemoteError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def serve(config: EngineConfig, stdin: IO[str], stdout: IO[str]) -> int:
    lock = threading.Lock()

    def send(obj: dict[str, Any]) -> None:
        line = json.dumps(obj, default=str)
        with lock:
            stdout.write(line + "\n")
            stdout.flush()

    engine = Engine(config)
    engine.subscribe(lambda e: send({"event": e.to_dict()}))
    try:
        engine.start()
    except Exception as exc:
        send({"id": 0, "ok": False, "kind": type(exc).__name__, "error": str(exc)})
        return 1
    for line in stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            rid, cmd, args = req.get("id"), req.get("cmd"), req.get("args") or {}
        except (ValueError, AttributeError) as exc:
            send({"id": None, "ok": False, "kind": "ProtocolError", "error": str(exc)})
            continue
        if cmd == "stop":
            break
        if cmd in PROCESS_COMMANDS:
            answer_here(engine, cmd, rid, send)
            continue
        if cmd not in COMMANDS:
            send({"id": rid, "ok": False, "kind": "ProtocolError", "error": f"no command {cmd}"})
            continue
        if cmd == "add_account":
            args = {"settings": AccountSettings(**args["settings"])}
        try:
            fut = getattr(engine, cmd)(**args)
        except Exception as exc:
            send({"id": rid, "ok": False, "kind": type(exc).__name__, "error": str(exc)})
            continue

        def done(f: Any, rid: Any = rid) -> None:
            exc = f.exception()
            if exc is None:
                send({"id": rid, "ok": True, "result": f.result()})
            else:
                send({"id": rid, "ok": False, "kind": type(exc).__name__, "error": str(exc)})

        fut.add_done_callback(done)
    clean = engine.stop()
    send({"id": "stop", "ok": clean, "result": clean})
    return 0 if clean else 1


def answer_here(engine: Engine, cmd: str, rid: Any, send: Callable[[dict[str, Any]], None]) -> None:
    """Commands of the process rather than the SIP thread: the sound levels at once, the
    device list from a thread of its own (PortAudio can be slow to answer)."""
    if cmd == "levels":
        send({"id": rid, "ok": True, "result": list(engine.levels())})
        return

    def listed() -> None:
        try:
            devices = [dataclasses.asdict(d) for d in list_devices()]
        except Exception as exc:
            send({"id": rid, "ok": False, "kind": type(exc).__name__, "error": str(exc)})
            return
        send({"id": rid, "ok": True, "result": devices})

    threading.Thread(target=listed, name="list-devices", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sip.remote", description=__doc__)
    parser.add_argument("--config", default="{}", help="EngineConfig fields as JSON")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    faulthandler.enable()  # a native crash still leaves a Python stack on stderr
    # Ctrl+C in a terminal reaches the whole process group: the parent decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    fields = json.loads(args.config)
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    # pjlib prints a few lines to fd 1 before its log writer is set: keep the protocol on a
    # private copy of stdout and send everything else written to fd 1 to stderr.
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    return serve(EngineConfig(**fields), sys.stdin, protocol)


class RemoteEngine:
    """Client side: starts ``python -m sip.remote`` and talks to it."""

    def __init__(
        self,
        config: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        log_level: str = "WARNING",
        stderr: IO[bytes] | int | None = None,
    ) -> None:
        cmd = [
            sys.executable,
            "-m",
            "sip.remote",
            "--config",
            json.dumps(config or {}),
            "--log-level",
            log_level,
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env={**os.environ, **(env or {})},
            bufsize=1,
        )
        self._cond = threading.Condition()
        self._answers: dict[Any, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []  # not yet consumed, the newest max_events
        self.max_events = 10_000
        self._next = 0
        self._reader = threading.Thread(target=self._read, name="remote-reader", daemon=True)
        self._reader.start()
        self.started = self.wait_event("EngineStarted", timeout=20)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                if "event" in msg:
                    self.events.append(msg["event"])
                    del self.events[: -self.max_events]
                else:
                    self._answers[msg.get("id")] = msg
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def call(self, cmd: str, timeout: float = 15.0, **args: Any) -> Any:
        with self._cond:
            self._next += 1
            rid = self._next
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"id": rid, "cmd": cmd, "args": args}) + "\n")
        self.proc.stdin.flush()
        msg = self._wait(lambda: self._answers.pop(rid, None), timeout, f"answer to {cmd}")
        if not msg["ok"]:
            raise RemoteError(msg.get("kind", "Error"), msg.get("error", ""))
        return msg.get("result")

    def _wait(self, probe: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = probe()
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {what} within {timeout}s")
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise RuntimeError(
                        f"the SIP agent exited ({self.proc.returncode}) while waiting for {what}"
                    )
                self._cond.wait(min(left, 0.2))

    def wait_event(
        self, type_: str, timeout: float = 10.0, after_us: int = 0, **match: Any
    ) -> dict[str, Any]:
        """The first not yet consumed event of ``type_`` whose fields equal ``match`` (and,
        with ``after_us``, that happened after that reading of the agent's clock)."""

        def probe() -> dict[str, Any] | None:
            for i, e in enumerate(self.events):
                if e["at_us"] <= after_us or e["type"] != type_:
                    continue
                if all(e.get(k) == v for k, v in match.items()):
                    return self.events.pop(i)
            return None

        return self._wait(probe, timeout, f"{type_} {match or ''}".strip())

    def close(self, timeout: float = 25.0) -> int:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
                self.proc.stdin.flush()
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> RemoteEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    raise SystemExit(main())

"""The child side of :class:`sip.process.EngineProcess`: one ``python -m sip.remote`` process
and its pipe, the protocol's command names and errors, and the calls in progress a lost child
leaves behind (each ended by "system").
"""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any, TypeVar

from formats.clock import utc_us
from sip import errors
from sip import events as ev
from sip.devices import AudioDevice

# The engine's commands the child serves (the names of sip.engine.Engine's methods).
COMMANDS = frozenset(
    {
        "add_account",
        "remove_account",
        "register",
        "make_call",
        "answer",
        "reject",
        "hangup",
        "hold",
        "resume",
        "set_mute",
        "send_dtmf",
        "transfer_blind",
        "transfer_attended",
        "set_dnd",
        "set_auto_answer",
        "play_tone",
        "play_file",
        "stop_playback",
        "start_recording",
        "set_recording_paused",
        "set_kept_headers",
        "stats",
        "set_audio_devices",
        "grant_monitor",
        "set_monitor_mode",
        "revoke_monitor",
        "call_monitor",
    }
)
# Answered by the child's process rather than its SIP thread.
PROCESS_COMMANDS = frozenset({"levels", "list_devices"})
_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        errors.ConfigError,
        errors.EngineStateError,
        errors.LimitError,
        errors.NotFoundError,
        errors.SipError,
    )
}


def remote_error(kind: str, message: str) -> Exception:
    """The exception a child's refusal stands for (its own class when it is one of sip's)."""
    cls = _ERRORS.get(kind)
    return cls(message) if cls is not None else errors.SipError(f"{kind}: {message}")


T = TypeVar("T")


def then(inner: Future[Any], convert: Callable[[Any], T]) -> Future[T]:
    """A future of ``convert(inner's result)``, or of ``inner``'s exception."""
    outer: Future[T] = Future()

    def done(f: Future[Any]) -> None:
        exc = f.exception()
        if exc is not None:
            outer.set_exception(exc)
            return
        try:
            outer.set_result(convert(f.result()))
        except Exception as error:
            outer.set_exception(error)

    inner.add_done_callback(done)
    return outer


def exit_words(code: int | None) -> str:
    """How a child ended: "signal SIGKILL", "exit 1"."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"


class ChildProcess:
    """One ``python -m sip.remote`` process: a writer thread feeds its stdin (no caller ever
    blocks on a full pipe), the owner's reader thread follows its stdout to EOF."""

    def __init__(self, config: dict[str, Any], log_level: str, stderr: IO[Any] | None) -> None:
        command = [sys.executable, "-m", "sip.remote", "--config", json.dumps(config)]
        self.proc = subprocess.Popen(
            [*command, "--log-level", log_level],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            bufsize=1,
        )
        self.pending: dict[int, Future[Any]] = {}
        self.started = threading.Event()  # EngineStarted came, or the child ended
        self.started_event: ev.EngineStarted | None = None
        self.start_error = ""
        self.ended = False
        self.asked_to_stop = False
        self.hung_s = 0.0  # killed for answering nothing this long
        self.reader: threading.Thread | None = None
        self._out: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name="sip-child-writer", daemon=True)
        self._writer.start()

    def send(self, message: dict[str, Any]) -> None:
        """Queue ``message`` for the child (encoded on the writer thread, not the caller's)."""
        self._out.put(message)

    def close_input(self) -> None:
        self._out.put(None)

    def _write(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            while (message := self._out.get()) is not None:
                stdin.write(json.dumps(message) + "\n")
                stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the child is gone: its reader says so
        finally:
            with contextlib.suppress(BrokenPipeError, OSError):
                stdin.close()

    def kill(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()


class Watchdog:
    """Asks a child's SIP thread for a sign of life (``ping``, every ``hang_after_s / 3`` of
    quiet) and calls ``hung`` once a ping stays unanswered for ``hang_after_s``: a deadlock in
    pjsip is as fatal as an abort, only quieter. Runs on a thread of its own."""

    def __init__(
        self,
        ping: Callable[[], tuple[object, Future[Any]] | None],
        hung: Callable[[object, float], None],
        hang_after_s: float | None,
    ) -> None:
        self.ping, self.hung = ping, hung
        self.stopping = threading.Event()
        self._wake = threading.Event()  # stopping, or a new limit: think again now
        self._hang_after_s = hang_after_s
        self.thread = threading.Thread(target=self._run, name="sip-watchdog", daemon=True)

    @property
    def hang_after_s(self) -> float | None:
        return self._hang_after_s

    @hang_after_s.setter
    def hang_after_s(self, limit: float | None) -> None:
        self._hang_after_s = limit
        self._wake.set()

    def stop(self) -> None:
        self.stopping.set()
        self._wake.set()

    def _run(self) -> None:
        """Sleeps until the next thing is due (a ping, or the end of one's grace), not in
        short polls: an idle desktop has nothing to wake this thread for in between."""
        asked: tuple[object, Future[Any]] | None = None
        sent = 0.0
        wait_s = 0.5  # until the limit is known
        while not self.stopping.is_set():
            self._wake.wait(wait_s)
            self._wake.clear()
            if self.stopping.is_set():
                break
            limit, now = self.hang_after_s, time.monotonic()
            if limit is None:
                wait_s = 0.5
                continue
            if asked is not None and not asked[1].done():
                if now - sent > limit:
                    self.hung(asked[0], limit)
                    asked = None
                    wait_s = limit / 3
                else:
                    wait_s = sent + limit - now + 0.01
                continue
            if asked is None or now - sent >= limit / 3:
                asked, sent = self.ping(), now
            # no child to ask (it is starting again): soon; else at the next ping
            wait_s = 0.5 if asked is None else max(sent + limit / 3 - now, 0.01)


class CallsInProgress:
    """What a "system" ``CallEnded`` needs of every call the child has not ended yet, followed
    from its events (on the reader thread)."""

    def __init__(self) -> None:
        self._calls: dict[str, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def follow(self, event: ev.Event) -> None:
        calls = self._calls
        if isinstance(event, ev.IncomingCall):
            calls[event.call_id] = {
                "call_id": event.call_id,
                "direction": "inbound",
                "number": event.number,
                "remote_uri": event.remote_uri,
                "display_name": event.display_name,
                "sip_call_id": event.sip_call_id,
                "ring_at_us": event.at_us,
            }
        elif isinstance(event, ev.CallStateChanged) and event.state != "disconnected":
            call = calls.setdefault(
                event.call_id,
                {"call_id": event.call_id, "direction": "outbound", "ring_at_us": event.at_us},
            )
            if event.sip_call_id:
                call["sip_call_id"] = event.sip_call_id
            if event.state == "confirmed":
                call.setdefault("answer_at_us", event.at_us)
        elif isinstance(event, ev.TransferRequested):
            calls[event.new_call_id] = {
                "call_id": event.new_call_id,
                "direction": "outbound",
                "remote_uri": event.target_uri,
                "ring_at_us": event.at_us,
            }
        elif isinstance(event, ev.CallReplaced):
            old = calls.get(event.old_call_id, {})
            calls[event.new_call_id] = {**old, "call_id": event.new_call_id}
        elif isinstance(event, ev.CallEnded):
            calls.pop(event.call_id, None)

    def end_all(self, cause: str) -> list[ev.CallEnded]:
        """A ``CallEnded`` by "system" for each call still in progress; forgets them."""
        calls, self._calls = self._calls, {}
        now = utc_us()
        return [
            ev.CallEnded(
                call_id=call["call_id"],
                record={
                    **call,
                    "end_at_us": now,
                    "ended_by": "system",
                    "cause_code": 0,
                    "cause_reason": cause,
                },
                at_us=now,
            )
            for call in calls.values()
        ]


class EngineCommands:
    """The engine's commands on calls and settings, as named requests (argument names are the
    engine's); :class:`sip.process.EngineProcess` sends them to its child and keeps the
    settings ("sticky") for a new one."""

    def _request(self, cmd: str, args: dict[str, Any]) -> Future[Any]:
        raise NotImplementedError

    def _sticky_request(self, cmd: str, args: dict[str, Any]) -> Future[None]:
        return self._request(cmd, args)

    def set_dnd(self, on: bool, code: int = 486) -> Future[None]:
        return self._sticky_request("set_dnd", {"on": on, "code": code})

    def set_auto_answer(self, delay_s: float | None) -> Future[None]:
        return self._sticky_request("set_auto_answer", {"delay_s": delay_s})

    def set_kept_headers(self, names: list[str]) -> Future[None]:
        return self._sticky_request("set_kept_headers", {"names": list(names)})

    def set_audio_devices(self, mic: str, speaker: str, ring: str = "") -> Future[None]:
        return self._sticky_request(
            "set_audio_devices", {"mic": mic, "speaker": speaker, "ring": ring}
        )

    def answer(self, call_id: str, code: int = 200, hold_others: bool = True) -> Future[None]:
        return self._request(
            "answer", {"call_id": call_id, "code": code, "hold_others": hold_others}
        )

    def reject(self, call_id: str, code: int = 486) -> Future[None]:
        return self._request("reject", {"call_id": call_id, "code": code})

    def hangup(self, call_id: str) -> Future[None]:
        return self._request("hangup", {"call_id": call_id})

    def hold(self, call_id: str) -> Future[None]:
        return self._request("hold", {"call_id": call_id})

    def resume(self, call_id: str) -> Future[None]:
        return self._request("resume", {"call_id": call_id})

    def set_mute(self, call_id: str, muted: bool) -> Future[None]:
        return self._request("set_mute", {"call_id": call_id, "muted": muted})

    def send_dtmf(self, call_id: str, digits: str, method: str = "rfc4733") -> Future[None]:
        return self._request("send_dtmf", {"call_id": call_id, "digits": digits, "method": method})

    def transfer_blind(self, call_id: str, target: str) -> Future[None]:
        return self._request("transfer_blind", {"call_id": call_id, "target": target})

    def transfer_attended(self, call_id: str, consult_call_id: str) -> Future[None]:
        args = {"call_id": call_id, "consult_call_id": consult_call_id}
        return self._request("transfer_attended", args)

    def play_tone(self, call_id: str, freq1: int, freq2: int = 0) -> Future[None]:
        return self._request("play_tone", {"call_id": call_id, "freq1": freq1, "freq2": freq2})

    def play_file(self, call_id: str, path: str, loop: bool = True) -> Future[None]:
        return self._request("play_file", {"call_id": call_id, "path": path, "loop": loop})

    def stop_playback(self, call_id: str) -> Future[None]:
        return self._request("stop_playback", {"call_id": call_id})

    def start_recording(self, call_id: str, folder: str = "") -> Future[str]:
        return self._request("start_recording", {"call_id": call_id, "folder": folder})

    def set_recording_paused(self, call_id: str, paused: bool) -> Future[None]:
        return self._request("set_recording_paused", {"call_id": call_id, "paused": paused})

    def stats(self) -> Future[dict[str, Any]]:
        return self._request("stats", {})

    def list_devices(self) -> Future[list[AudioDevice]]:
        """The sound devices the child's PortAudio sees (the ones calls can use)."""
        found = self._request("list_devices", {})
        return then(found, lambda devices: [AudioDevice(**d) for d in devices])

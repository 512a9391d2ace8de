"""Demo mode's simulated caller: a second softphone that rings the operator now and then.

pjsua2 allows one endpoint per process, so the caller is a :class:`sip.remote.RemoteEngine`
child process. A worker thread (no Qt) drives it: the first call after ``first_call_s``, then
about every ``interval_s``; when answered it plays a speech-like WAV, sends a few DTMF digits
and hangs up after ``talk_s``; unanswered calls are cancelled after ``ring_timeout_s``.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from desktop.demo.audio import speech, spoken_like, write_wav
from sip.remote import RemoteEngine

log = logging.getLogger("agentdesk.demo")
CALLERS = (
    ("+74951234567", "Ivan Petrov"),
    ("+74997654321", "Maria Sidorova"),
    ("+78123334455", "Oleg Smirnov"),
)
REMOTE_CONFIG = {"bind_address": "127.0.0.1", "transports": ["udp"], "audio": "null"}


class SimulatedCaller:
    """Rings ``target_uri`` from a child process until :meth:`stop`."""

    def __init__(
        self,
        target_uri: str,
        *,
        first_call_s: float = 3.0,
        interval_s: float = 20.0,
        talk_s: float = 30.0,
        ring_timeout_s: float = 25.0,
        digits: str = "42#",
        language: str = "ru",
    ) -> None:
        self.target_uri = target_uri
        self.language = language
        self.first_call_s, self.interval_s = first_call_s, interval_s
        self.talk_s, self.ring_timeout_s = talk_s, ring_timeout_s
        self.digits = digits
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-caller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Hang up, stop the child process and wait for it (a few seconds)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # --- the worker thread ----------------------------------------------------------------
    def _run(self) -> None:
        try:
            remote = RemoteEngine(dict(REMOTE_CONFIG), log_level="ERROR")
        except Exception as exc:
            log.error("demo: the simulated caller could not start: %s", exc)
            return
        with tempfile.TemporaryDirectory(prefix="agentdesk-demo-") as tmp:
            try:
                voice = Path(tmp) / "voice.wav"
                wav = speech(voice, self.language) or write_wav(voice, spoken_like())
                self._loop(remote, wav)
            except Exception as exc:
                if not self._stop.is_set():
                    log.error("demo: the simulated caller stopped: %s", exc)
            finally:
                remote.close()
                log.info("demo: simulated caller stopped")

    def _loop(self, remote: RemoteEngine, wav: Path) -> None:
        accounts = []
        for user, name in CALLERS:
            settings = {"user": user, "domain": "127.0.0.1", "display_name": name}
            accounts.append(remote.call("add_account", settings={**settings, "register": False}))
        log.info("demo: simulated caller ready; first call in %.0f s", self.first_call_s)
        next_at = time.monotonic() + self.first_call_s
        turn = 0
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            began = time.monotonic()
            caller = CALLERS[turn % len(CALLERS)]
            self._one_call(remote, accounts[turn % len(accounts)], caller, wav)
            turn += 1
            next_at = max(began + self.interval_s, time.monotonic() + 2.0)

    def _one_call(
        self, remote: RemoteEngine, account: str, caller: tuple[str, str], wav: Path
    ) -> None:
        call_id = remote.call("make_call", account_id=account, target=self.target_uri)
        log.info("demo: %s (%s) is calling the operator", caller[1], caller[0])
        outcome = self._wait(remote, call_id, self.ring_timeout_s)
        if outcome == "confirmed":
            log.info("demo: the operator answered; talking for %.0f s", self.talk_s)
            try:
                remote.call("play_file", call_id=call_id, path=str(wav))
            except Exception as exc:  # fall back to a plain tone; the call goes on regardless
                log.warning("demo: cannot play the voice file (%s); playing a tone", exc)
                with contextlib.suppress(Exception):
                    remote.call("play_tone", call_id=call_id, freq1=440, freq2=0)
            if not self._stop.wait(1.0):
                with contextlib.suppress(Exception):  # the operator may hang up first
                    remote.call("send_dtmf", call_id=call_id, digits=self.digits)
            outcome = self._wait(remote, call_id, self.talk_s, until_ended=True)
        if outcome != "ended":
            with contextlib.suppress(Exception):
                remote.call("hangup", call_id=call_id)
            self._wait(remote, call_id, 5.0, until_ended=True)
        _forget(remote, call_id)
        why = {"ended": "by the operator", "timeout": "by the caller", "stopped": "demo stopped"}
        log.info("demo: call finished (%s)", why.get(outcome, outcome))

    def _wait(
        self, remote: RemoteEngine, call_id: str, seconds: float, until_ended: bool = False
    ) -> str:
        """'confirmed', 'ended', 'timeout' or 'stopped', polling so that stop() is quick."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._stop.is_set():
                return "stopped"
            if _take(remote, "CallEnded", call_id, 0.25 if until_ended else 0.05):
                return "ended"
            if not until_ended and _take(remote, "CallStateChanged", call_id, 0.2, "confirmed"):
                return "confirmed"
        return "timeout"


def _take(remote: RemoteEngine, kind: str, call_id: str, timeout: float, state: str = "") -> bool:
    match: dict[str, Any] = {"call_id": call_id}
    if state:
        match["state"] = state
    try:
        remote.wait_event(kind, timeout=timeout, **match)
    except TimeoutError:
        return False
    return True


def _forget(remote: RemoteEngine, call_id: str) -> None:
    """Drop the call's remaining events, so a long demo does not pile them up."""
    for kind in ("CallStateChanged", "CallMediaChanged", "CallEnded"):
        while _take(remote, kind, call_id, 0.0):
            pass

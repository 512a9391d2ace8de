"""The softphone engine: one SIP thread owns pjsua2; other threads submit commands.

``libCreate``/``libInit``/``libHandleEvents``/``libDestroy`` all happen on that thread
(pjsua2 aborts the process when called from an unregistered thread). Commands are callables
answered through futures; events are plain dataclasses handed to subscribers on the SIP
thread, so a subscriber must only queue them (the desktop turns them into Qt signals).
The desktop runs this Engine in a child process of its own (``python -m sip.remote``, driven by
:class:`sip.process.EngineProcess`), where a pjsip abort ends nothing but that process.
"""

from __future__ import annotations

import atexit
import gc
import logging
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sip import endpoint
from sip import events as ev
from sip.config import AccountSettings, EngineConfig
from sip.errors import EngineStateError, from_pj
from sip.loop import CommandLoop
from sip.phone import Phone
from sip.sound import SoundSetup
from sip.wake import UdpWaker

log = logging.getLogger(__name__)
T = TypeVar("T")
Sink = Callable[[ev.Event], None]
_POLL_MS = 5  # commands wait for the next poll: at most this long (network events wake it)
# With no call the loop sleeps up to _SLEEP_MS and a command wakes it at once through its UDP
# transport (sip.wake): an idle engine polling every 5 ms woke 200 times a second (1.5 % of a
# core, bench/agent_cpu.py). Without a UDP transport it polls every _IDLE_POLL_MS once no
# command came for _BUSY_S, and a command waits up to that long. Timers (ours and pjsip's)
# still run on time, network events wake it at once.
_IDLE_POLL_MS = 50
_SLEEP_MS = 1000
_BUSY_S = 2.0


class Engine:
    """One per process (pjsua2 allows one Endpoint). Thread-safe; every method returns a
    Future answered on the SIP thread, or raises :class:`EngineStateError` when not running.
    """

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = (config or EngineConfig()).validate()
        self._sinks: list[Sink] = []
        self._loop = CommandLoop()
        self._waker = UdpWaker()
        self._loop.waker = self._waker.wake
        self._thread: threading.Thread | None = None
        self._started: Future[ev.EngineStarted] = Future()
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._phone: Phone | None = None
        self._ep: endpoint.AgentEndpoint | None = None
        self.audio: SoundSetup | None = None  # once started
        self.started_event: ev.EngineStarted | None = None
        self.transport_ids: dict[str, int] = {}

    # --- events ---------------------------------------------------------------------------
    def subscribe(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def emit(self, event: ev.Event) -> None:
        for sink in list(self._sinks):
            try:
                sink(event)
            except Exception:
                log.exception("event subscriber failed on %s", type(event).__name__)

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> ev.EngineStarted:
        if self._thread is not None:
            raise EngineStateError("the engine was already started (one per process)")
        self._thread = threading.Thread(target=self._run, name="sip", daemon=True)
        self._loop.owner = self._thread
        self._thread.start()
        started = self._started.result(timeout)
        ref = weakref.ref(self)
        atexit.register(lambda: (e := ref()) is not None and e.stop())
        return started

    def stop(self, timeout: float = 20.0) -> bool:
        """Hang up, unregister, destroy pjsua2. Returns False if it did not finish in time."""
        if self._thread is None or self._stopped.is_set():
            return True
        self._stopping.set()
        self._loop.wake()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._started.done() and not self._stopping.is_set()

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` on the SIP thread."""
        if not self.running:
            raise EngineStateError("the SIP engine is not running")
        return self._loop.submit(lambda: fn(*args, **kwargs))

    def _phone_call(self, name: str, *args: Any, **kwargs: Any) -> Future[Any]:
        if not self.running:
            raise EngineStateError("the SIP engine is not running")
        return self._loop.submit(lambda: getattr(self._phone, name)(*args, **kwargs))

    # --- commands -------------------------------------------------------------------------
    def add_account(self, settings: AccountSettings) -> Future[str]:
        return self._phone_call("add_account", settings)

    def remove_account(self, account_id: str) -> Future[None]:
        return self._phone_call("remove_account", account_id)

    def register(self, account_id: str, on: bool = True) -> Future[None]:
        return self._phone_call("register", account_id, on)

    def make_call(
        self, account_id: str, target: str, headers: dict[str, str] | None = None
    ) -> Future[str]:
        return self._phone_call("make_call", account_id, target, headers)

    def answer(self, call_id: str, code: int = 200, hold_others: bool = True) -> Future[None]:
        return self._phone_call("answer", call_id, code, hold_others)

    def grant_monitor(
        self, session_id: str, supervisor: str, mode: str, expires_us: int, follow: bool = False
    ) -> Future[None]:
        return self._phone_call("grant_monitor", session_id, supervisor, mode, expires_us, follow)

    def set_monitor_mode(self, session_id: str, mode: str) -> Future[None]:
        return self._phone_call("set_monitor_mode", session_id, mode)

    def revoke_monitor(self, session_id: str) -> Future[None]:
        return self._phone_call("revoke_monitor", session_id)

    def call_monitor(self, target: str, session_id: str, account_id: str = "") -> Future[str]:
        return self._phone_call("call_monitor", target, session_id, account_id)

    def reject(self, call_id: str, code: int = 486) -> Future[None]:
        return self._phone_call("reject", call_id, code)

    def hangup(self, call_id: str) -> Future[None]:
        return self._phone_call("hangup", call_id)

    def hold(self, call_id: str) -> Future[None]:
        return self._phone_call("hold", call_id)

    def resume(self, call_id: str) -> Future[None]:
        return self._phone_call("resume", call_id)

    def set_mute(self, call_id: str, muted: bool) -> Future[None]:
        return self._phone_call("set_mute", call_id, muted)

    def send_dtmf(self, call_id: str, digits: str, method: str = "rfc4733") -> Future[None]:
        return self._phone_call("send_dtmf", call_id, digits, method)

    def transfer_blind(
        self, call_id: str, target: str, timeout_s: float | None = None
    ) -> Future[None]:
        return self._phone_call("transfer_blind", call_id, target, timeout_s)

    def transfer_attended(
        self, call_id: str, consult_call_id: str, timeout_s: float | None = None
    ) -> Future[None]:
        return self._phone_call("transfer_attended", call_id, consult_call_id, timeout_s)

    def set_dnd(self, on: bool, code: int = 486) -> Future[None]:
        return self._phone_call("set_dnd", on, code)

    def set_auto_answer(self, delay_s: float | None) -> Future[None]:
        return self._phone_call("set_auto_answer", delay_s)

    def play_tone(self, call_id: str, freq1: int, freq2: int = 0) -> Future[None]:
        return self._phone_call("play_tone", call_id, freq1, freq2)

    def play_file(self, call_id: str, path: str, loop: bool = True) -> Future[None]:
        return self._phone_call("play_file", call_id, path, loop)

    def stop_playback(self, call_id: str) -> Future[None]:
        return self._phone_call("stop_playback", call_id)

    def start_recording(self, call_id: str, folder: str = "") -> Future[str]:
        return self._phone_call("start_recording", call_id, folder)

    def set_kept_headers(self, names: list[str]) -> Future[None]:
        """INVITE headers the events carry besides the usual ones and X- headers."""
        return self._phone_call("set_kept_headers", list(names))

    def set_recording_paused(self, call_id: str, paused: bool) -> Future[None]:
        """Both channels of the call's recording take silence while ``paused`` (a sensitive
        moment); the call itself goes on."""
        return self._phone_call("set_recording_paused", call_id, paused)

    def stats(self) -> Future[dict[str, Any]]:
        return self._phone_call("stats")

    def set_audio_devices(self, mic: str, speaker: str, ring: str = "") -> Future[None]:
        """Choose sound devices by name ('' = system default); falls back to the null device."""

        def select() -> None:
            assert self.audio is not None and self._phone is not None
            self.audio.select(mic, speaker, ring)
            self._phone.state.use_sound(self.audio.mic, self.audio.speaker)
            self.emit(self.audio.devices_event())

        return self.submit(select)

    def levels(self) -> tuple[float, float]:
        """(mic, speaker) in dBFS; safe from any thread, cheap enough for a UI timer. Asking
        keeps the sound streams open a moment (they are closed while nothing needs them), so
        the first answers after a pause are silence."""
        audio = self.audio
        if audio is None:
            return (-120.0, -120.0)
        audio.levels_asked_at = time.monotonic()
        if not audio.streaming and audio.mode == "portaudio" and self.running:
            self._loop.submit(audio.want_levels)
        return (audio.levels.mic, audio.levels.speaker)

    # --- the SIP thread -------------------------------------------------------------------
    def _sound_moved(self) -> None:
        """The sound's conference ports changed (a device opened or closed): calls follow."""
        if self._phone is not None and self.audio is not None:
            self._phone.state.use_sound(self.audio.mic, self.audio.speaker)

    def _run(self) -> None:
        try:
            ep, self._log_writer, ports, self.transport_ids = endpoint.create(self.config)
            self._ep = ep
            self.audio = audio = SoundSetup(
                ep, self.config, self._loop.call_later, self.emit, self._sound_moved
            )
            self.emit(audio.devices_event())
            self._phone = phone = Phone(
                self.config,
                ep,
                self._loop,
                self.emit,
                self.transport_ids,
                ports,
                audio.mic,
                audio.speaker,
                audio.set_ringing,
                audio.silence,
            )
            ep.listener = phone.handlers
        except BaseException as exc:
            log.error("SIP engine failed to start: %s", exc)
            self._started.set_exception(
                exc if isinstance(exc, Exception) else RuntimeError(str(exc))
            )
            self._destroy(clean=False)
            return
        started = ev.EngineStarted(
            version=ep.libVersion().full,
            sip_ports=ports,
            audio=audio.mode,
            audio_detail=audio.detail,
        )
        del phone, ep, audio  # no frame of this thread may hold them at libDestroy
        self.started_event = started
        self._started.set_result(started)
        self.emit(started)
        self._serve()
        self._shutdown()

    def _serve(self) -> None:
        ep, phone, sound = self._ep, self._phone, self.audio
        assert ep is not None and phone is not None and sound is not None
        busy_until = time.monotonic() + _BUSY_S
        loop = self._loop
        while not self._stopping.is_set():
            try:
                poll_ms = _POLL_MS
                if not phone.calls:
                    self._waker.follow(ep, phone.transports)
                if not phone.calls and (self._waker.ready or time.monotonic() >= busy_until):
                    longest = _SLEEP_MS if self._waker.ready else _IDLE_POLL_MS
                    poll_ms = max(_POLL_MS, min(longest, loop.ms_to_next_timer()))
                    loop.sleeping = poll_ms > _POLL_MS
                    if loop.poked or self._stopping.is_set():
                        poll_ms = 0
                ep.libHandleEvents(poll_ms)
                loop.sleeping = loop.poked = False
                if loop.run_pending(phone.report_error):
                    busy_until = time.monotonic() + _BUSY_S
                phone.collect()
                sound.need(bool(phone.calls))  # calls and monitoring legs: the streams open
            except Exception as exc:  # never let one bad event end the SIP thread
                log.exception("SIP loop")
                phone.report_error("sip-loop", exc)

    def _pump(self, seconds: float, until: Callable[[], bool]) -> None:
        ep, phone = self._ep, self._phone
        assert ep is not None and phone is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            ep.libHandleEvents(_POLL_MS)
            phone.collect()

    def _shutdown(self) -> None:
        """Hang up, unregister, drop every wrapper, then libDestroy — all on this thread."""
        self._loop.fail_pending(EngineStateError("the SIP engine is stopping"))
        try:
            self._end_calls_and_accounts()
        except Exception:
            log.exception("SIP shutdown")
        self._destroy(clean=True)

    def _end_calls_and_accounts(self) -> None:
        # A helper of its own, so no frame keeps a pjsua2 wrapper alive across libDestroy.
        phone = self._phone
        assert phone is not None
        phone.hangup_all()
        self._pump(3.0, lambda: not phone.calls)
        registered = any(acc.registered for acc in phone.accounts.values())
        for account_id in list(phone.accounts):
            phone.remove_account(account_id)
        if registered:  # let the un-REGISTERs leave before the transports close
            self._pump(0.4, lambda: False)

    def _destroy(self, clean: bool) -> None:
        phone, self._phone = self._phone, None
        if self._ep is not None:
            self._ep.listener = None
        if phone is not None:
            phone.calls.clear()
            phone.collect()
            phone.close()
        if self.audio is not None:
            self.audio.close()  # drops the bridge port: it must not outlive the conference
        del phone
        gc.collect()
        ep = self._ep
        if ep is not None:
            try:
                ep.libDestroy()
            except Exception as exc:
                log.warning("libDestroy: %s", from_pj("libDestroy", exc))
            self._ep = None
        self._waker.close()
        self._stopped.set()
        self._loop.fail_pending(EngineStateError("the SIP engine has stopped"))
        self.emit(ev.EngineStopped(clean=clean))

"""The Qt side of the softphone engine: events in as signals, commands out as futures.

The desktop's engine runs in a child process (:func:`make_engine`, :class:`sip.process.
EngineProcess`): a pjsip abort there ends that process only, never the window or the recorder
link. The engine hands events to subscribers on one of its threads; the bridge re-emits each
one as a queued Qt signal (``sip_event``), so slots run on the UI thread. Commands return
futures that the UI never waits on: a failure comes back through ``error(str)``. When the
child dies, its calls arrive ended by "system", the operator reads why in ``error`` and the
engine is started again with its account. A monitoring leg (:mod:`sip.monitor`) is not a
call: the engine tells of it only by Monitor* events, and anything else naming its call id is
not passed on, so the call list, the records and the recordings never see it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

from desktop.threads import assert_gui_thread, run_in_thread, when_done
from sip import events as ev
from sip.config import AccountSettings, EngineConfig
from sip.devices import AudioDevice, list_devices
from sip.engine import Engine
from sip.process import EngineProcess

log = logging.getLogger(__name__)


class EngineLike(Protocol):
    """What the bridge needs of :class:`sip.engine.Engine` (unit tests pass a fake)."""

    def subscribe(self, sink: Callable[[ev.Event], None]) -> None: ...
    def start(self, timeout: float = ...) -> ev.EngineStarted: ...
    def stop(self, timeout: float = ...) -> bool: ...
    def add_account(self, settings: AccountSettings) -> Future[str]: ...
    def levels(self) -> tuple[float, float]: ...


def make_engine(
    config: EngineConfig, *, in_process: bool = False, log_level: str | None = None
) -> Engine | EngineProcess:
    """The desktop's softphone engine: in a child process, restarted when it dies; or, for
    tests and benchmarks that ask for it, on a SIP thread of this process (one per process)."""
    if in_process:
        return Engine(config)
    level = log_level or logging.getLevelName(logging.getLogger().getEffectiveLevel())
    return EngineProcess(config, log_level=str(level))


class EngineBridge(QObject):
    """Owns the engine on behalf of the UI. Every slot runs on the UI thread."""

    sip_event = Signal(object)  # a sip.events.Event, delivered on the UI thread
    error = Signal(str)  # a failed command or start, for the status bar
    account_ready = Signal(str)  # account id
    start_failed = Signal(str)  # why the engine or the account could not start
    dialled = Signal(str, str)  # call id, what was dialled
    mute_changed = Signal(str, bool)  # call id, muted (once the engine did it)
    _from_sip = Signal(object)

    def __init__(self, engine: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.account_id = ""
        self.started = False
        self.lost = 0  # times the engine's process died under us
        self.kept_headers: tuple[str, ...] = ()  # INVITE headers the policy names
        self._lost_us = 0
        self._monitor_legs: set[str] = set()  # call ids of monitoring legs in progress
        self._from_sip.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        engine.subscribe(self._sink)

    # --- events ---------------------------------------------------------------------------
    def _sink(self, event: ev.Event) -> None:
        """On the SIP thread: only queue the event over to the UI thread."""
        # RuntimeError: the bridge was deleted at exit and nobody is listening any more
        with contextlib.suppress(RuntimeError):
            self._from_sip.emit(event)

    @Slot(object)
    def _deliver(self, event: ev.Event) -> None:
        assert_gui_thread()
        if isinstance(event, ev.MonitorStarted):
            self._monitor_legs.add(event.call_id)
        elif isinstance(event, ev.MonitorEnded):
            self._monitor_legs.discard(event.call_id)
        elif getattr(event, "call_id", None) in self._monitor_legs:
            return  # a monitoring leg is nobody's customer call
        if isinstance(event, ev.EngineStarted):
            if not self.started and self.lost:  # the crash's line would be gone by now
                text = self.tr("The softphone runs again after it stopped unexpectedly (%1 s ago)")
                self.error.emit(text.replace("%1", f"{(event.at_us - self._lost_us) / 1e6:.0f}"))
            self.started = True
        elif isinstance(event, ev.EngineStopped):
            self.started = False
        elif isinstance(event, ev.RegistrationChanged):
            # The account's first events may cross to this thread before add_account's answer
            # does: whoever sees "registered" can dial at once.
            self._account_known(event.account_id)
        self.sip_event.emit(event)
        if isinstance(event, ev.EngineLost):
            self.lost += 1
            self._lost_us = event.at_us
            log.error("the softphone stopped unexpectedly (%s)", event.exit)
            text = self.tr(
                "The softphone stopped unexpectedly: %1 call(s) in progress ended. "
                "Starting it again in %2 s…"
            )
            self.error.emit(
                text.replace("%1", str(event.calls_ended)).replace("%2", f"{event.restart_in_s:g}")
            )

    # --- lifecycle ------------------------------------------------------------------------
    def start(
        self, account: AccountSettings | None, password: Callable[[], str] | None = None
    ) -> None:
        """Start the engine and add ``account`` on a worker thread (the keyring may block)."""
        assert_gui_thread()
        problems: list[str] = []

        def boot() -> str:
            self.engine.start()
            if self.kept_headers:  # before the account: its first INVITE carries them
                self.engine.set_kept_headers(list(self.kept_headers)).result(15)
            if account is None:
                return ""
            settings = account
            if password is not None:
                try:
                    settings = _with_password(account, password())
                except Exception as exc:  # reported, and the account is added without one
                    problems.append(str(exc))
            return str(self.engine.add_account(settings).result(15))

        def booted(future: Future[str]) -> None:
            for problem in problems:
                log.warning("%s", problem)
                self.error.emit(problem)
            exc = future.exception()
            if exc is not None:
                log.error("the softphone could not start: %s", _text(exc))
                self.start_failed.emit(_text(exc))
                self.error.emit(
                    self.tr("The softphone could not start: %1").replace("%1", _text(exc))
                )
                return
            self._account_known(future.result())

        run_in_thread(boot, booted)

    def _account_known(self, account_id: str) -> None:
        """The account's id, from add_account's answer or its first event, whichever comes
        first; ``account_ready`` once."""
        if account_id and not self.account_id:
            self.account_id = account_id
            self.account_ready.emit(account_id)

    def stop(self, timeout: float = 20.0) -> bool:
        """Stop the engine (blocks for seconds: call it once the window is gone)."""
        return bool(self.engine.stop(timeout))

    def levels(self) -> tuple[float, float]:
        """(mic, speaker) dBFS; cheap and safe for a UI timer."""
        mic, speaker = self.engine.levels()
        return (float(mic), float(speaker))

    def list_devices(self) -> Future[list[AudioDevice]]:
        """The sound devices the engine's process sees; safe from any thread, never waits."""
        lister = getattr(self.engine, "list_devices", None)
        if lister is not None:
            try:
                devices: Future[list[AudioDevice]] = lister()
                return devices
            except Exception as exc:  # EngineStateError while restarting
                log.info("no device list from the engine: %s", _text(exc))
        future: Future[list[AudioDevice]] = Future()  # in-process or restarting: this process's
        threading.Thread(
            target=lambda: future.set_result(list_devices()), name="list-devices", daemon=True
        ).start()
        return future

    # --- commands -------------------------------------------------------------------------
    def _command(
        self, what: str, name: str, *args: Any, on_result: Callable[[Any], None] | None = None
    ) -> None:
        assert_gui_thread()
        log.info("command %s %s", name, " ".join(str(a) for a in args))
        try:
            future = getattr(self.engine, name)(*args)
        except Exception as exc:  # EngineStateError when not running
            self._failed(what, exc)
            return

        def done(f: Future[Any]) -> None:
            exc = f.exception()
            if exc is not None:
                self._failed(what, exc)
            elif on_result is not None:
                on_result(f.result())

        when_done(future, done)

    def _failed(self, what: str, exc: BaseException) -> None:
        log.warning("%s failed: %s", what, _text(exc))
        self.error.emit(self.tr("Could not %1: %2").replace("%1", what).replace("%2", _text(exc)))

    def make_call(self, target: str, headers: dict[str, str] | None = None) -> None:
        """Dials ``target``; ``headers``: extra INVITE headers (an outbound campaign's caller
        id)."""
        if not self.account_id:
            self.error.emit(
                self.tr("No SIP account is ready: cannot call %1").replace("%1", target)
            )
            return
        self._command(
            self.tr("call %1").replace("%1", target),
            "make_call",
            self.account_id,
            target,
            *((headers,) if headers else ()),
            on_result=lambda call_id: self.dialled.emit(str(call_id), target),
        )

    def answer(self, call_id: str) -> None:
        self._command(self.tr("answer the call"), "answer", call_id)

    def reject(self, call_id: str) -> None:
        self._command(self.tr("reject the call"), "reject", call_id)

    def hangup(self, call_id: str) -> None:
        self._command(self.tr("hang up"), "hangup", call_id)

    def hold(self, call_id: str) -> None:
        self._command(self.tr("put the call on hold"), "hold", call_id)

    def resume(self, call_id: str) -> None:
        self._command(self.tr("resume the call"), "resume", call_id)

    def set_mute(self, call_id: str, muted: bool) -> None:
        self._command(
            self.tr("change mute"),
            "set_mute",
            call_id,
            muted,
            on_result=lambda _: self.mute_changed.emit(call_id, muted),
        )

    def send_dtmf(self, call_id: str, digits: str) -> None:
        self._command(
            self.tr("send the tones %1").replace("%1", digits), "send_dtmf", call_id, digits
        )

    def transfer_blind(self, call_id: str, target: str) -> None:
        what = self.tr("transfer the call to %1").replace("%1", target)
        self._command(what, "transfer_blind", call_id, target)

    def transfer_attended(self, call_id: str, consult_call_id: str) -> None:
        what = self.tr("transfer the call")
        self._command(what, "transfer_attended", call_id, consult_call_id)

    def set_kept_headers(self, names: tuple[str, ...]) -> None:
        """The INVITE headers where the PBX names queue, wait and call id (the recording
        policy's): the engine hands them on with the call, whatever their names (not running
        yet: its start sends them)."""
        assert_gui_thread()
        if names != self.kept_headers:
            self.kept_headers = names
            self._quietly("set_kept_headers", list(names))

    def set_recording_paused(self, call_id: str, paused: bool) -> None:
        """Both channels of the call's recording take silence while ``paused``. A failure is
        logged, not shown: the call may have just ended (the worker silences the uploaded
        audio as well)."""
        assert_gui_thread()
        self._quietly("set_recording_paused", call_id, paused)

    def _quietly(self, name: str, *args: Any) -> None:
        """A command whose failure is only logged."""
        try:
            future = getattr(self.engine, name)(*args)
        except Exception as exc:  # EngineStateError when not running
            log.info("%s %s: %s", name, args, _text(exc))
            return

        def done(f: Future[Any]) -> None:
            exc = f.exception()
            if exc is not None:
                log.warning("%s %s: %s", name, args, _text(exc))

        when_done(future, done)

    def set_dnd(self, on: bool) -> None:
        self._command(self.tr("change Do not disturb"), "set_dnd", on)

    def set_auto_answer(self, delay_s: float | None) -> None:
        self._command(self.tr("change auto-answer"), "set_auto_answer", delay_s)

    def set_audio_devices(self, mic: str, speaker: str, ring: str) -> None:
        self._command(self.tr("switch sound devices"), "set_audio_devices", mic, speaker, ring)


def _with_password(account: AccountSettings, password: str) -> AccountSettings:
    from dataclasses import replace

    return replace(account, password=password)


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__

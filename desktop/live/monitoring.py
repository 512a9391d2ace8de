"""Monitoring sessions on the operator's desktop. Each ``monitor.open`` from the live channel
is handed to the softphone engine, which then takes the supervisor's call carrying that id
(and no other) and mixes it into its own bridge; mode changes and ends follow. What becomes
of a session is reported to the store; the window shows that a supervisor is there: whisper
and barge always, listening only when the store's policy says so (``show_listening``).

The engine's commands (``grant_monitor``, ``set_monitor_mode``, ``revoke_monitor``,
``call_monitor`` of ``sip.process.EngineProcess``, :mod:`sip.monitor_commands`) are reached
through :class:`MonitorEngine`, so an engine without them refuses a session with a clear reason
instead of failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.threads import assert_gui_thread, run_in_thread, when_done
from sip import events as ev

log = logging.getLogger(__name__)
KEEPALIVE_MS = 60_000  # an active session's lease in the store is 180 s


class MonitoringUnsupported(RuntimeError):
    """The softphone engine cannot be monitored (it lacks the commands)."""


class MonitorEngine:
    """The engine's monitoring commands; each returns a Future (done at once when the engine
    answered synchronously)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def _invoke(self, name: str, *args: Any) -> Future[Any]:
        command = getattr(self.engine, name, None)
        if command is None:
            raise MonitoringUnsupported(f"this softphone cannot be monitored (no {name})")
        result = command(*args)
        if isinstance(result, Future):
            return result
        done: Future[Any] = Future()
        done.set_result(result)
        return done

    def grant(self, session_id: str, supervisor: str, mode: str, expires_us: int,
              follow: bool) -> Future[Any]:  # fmt: skip
        return self._invoke("grant_monitor", session_id, supervisor, mode, expires_us, follow)

    def set_mode(self, session_id: str, mode: str) -> Future[Any]:
        return self._invoke("set_monitor_mode", session_id, mode)

    def revoke(self, session_id: str) -> Future[Any]:
        return self._invoke("revoke_monitor", session_id)

    def call(self, target: str, session_id: str) -> Future[Any]:
        """The supervisor's side: dial the agent with ``X-AgentDesk-Monitor: <id>``."""
        return self._invoke("call_monitor", target, session_id)


class MonitorReports(Protocol):
    """What :class:`MonitorGrants` needs of ``store.client.StoreClient``."""

    def report_monitoring(self, session_id: str, state: Any, reason: str = "") -> Any: ...


class MonitorGrants(QObject):
    """The sessions granted to this desktop's engine; every method on the UI thread.
    ``presence_changed`` carries the words for the window ("" when nothing is to show);
    ``granted`` a session's id once the engine took it."""

    presence_changed = Signal(str)
    granted = Signal(str)

    def __init__(
        self,
        engine: MonitorEngine,
        store: MonitorReports,
        show_listening: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.store = store
        self.show_listening = show_listening
        self.sessions: dict[str, dict[str, Any]] = {}  # id → session (with "active")
        self._keepalive = QTimer(self)
        self._keepalive.setInterval(KEEPALIVE_MS)
        self._keepalive.timeout.connect(self._still_active)

    # --- from the live channel ------------------------------------------------------------

    def on_event(self, event: dict[str, Any]) -> None:
        assert_gui_thread()
        kind = event.get("type")
        try:
            if kind == "monitor.open":
                self._open(dict(event["session"]))
            elif kind == "monitor.mode":
                self._mode(str(event["id"]), str(event["mode"]))
            elif kind == "monitor.end":
                self._end(str(event["id"]), str(event.get("reason", "")))
        except (KeyError, TypeError) as exc:
            log.warning("monitoring: an event without %s: %.300r", exc, event)

    def _open(self, session: dict[str, Any]) -> None:
        sid = session["id"]
        if sid in self.sessions:
            return  # the channel repeated it (a reconnect's snapshot)
        if session["expires_us"] <= time.time_ns() // 1000:
            return  # expired on its way: the store ends it
        try:
            caller = session.get("supervisor_sip") or session["supervisor"]  # the SIP user
            granted = self.engine.grant(sid, caller, session["mode"], session["expires_us"],
                                        bool(session["follow"]))  # fmt: skip
        except Exception as exc:
            self._refuse(sid, exc)
            return
        self.sessions[sid] = {**session, "active": False}
        log.info("monitoring: %s may %s (session %s…)", session["supervisor"], session["mode"],
                 sid[:6])  # fmt: skip
        when_done(granted, lambda f: self._granted(sid, f))
        self._show()

    def _granted(self, sid: str, future: Future[Any]) -> None:
        exc = future.exception()
        if exc is None:
            self.granted.emit(sid)
        elif self.sessions.pop(sid, None) is not None:
            self._refuse(sid, exc)
            self._show()

    def _refuse(self, sid: str, exc: BaseException) -> None:
        log.warning("monitoring: session %s… refused: %s", sid[:6], exc)
        self._report(sid, "rejected", str(exc) or type(exc).__name__)

    def _mode(self, sid: str, mode: str) -> None:
        session = self.sessions.get(sid)
        if session is None:
            return
        session["mode"] = mode
        self._command(lambda: self.engine.set_mode(sid, mode), "mode change")
        self._show()

    def _end(self, sid: str, reason: str) -> None:
        if self.sessions.pop(sid, None) is None:
            return
        log.info("monitoring: session %s… ended (%s)", sid[:6], reason)
        self._command(lambda: self.engine.revoke(sid), "end")
        self._show()

    def _command(self, send: Callable[[], Future[Any]], what: str) -> None:
        try:
            future = send()
        except Exception as exc:
            log.warning("monitoring: the engine refused the %s: %s", what, exc)
            return

        def done(f: Future[Any]) -> None:
            if f.exception() is not None:
                log.warning("monitoring: the engine failed the %s: %s", what, f.exception())

        when_done(future, done)

    # --- from the engine --------------------------------------------------------------------

    def on_engine_event(self, event: ev.Event) -> None:
        """The engine's monitoring events of the agent's side; other events pass by."""
        if isinstance(event, ev.MonitorStarted) and event.role == "agent":
            self.engine_reported(event.session_id, "active")
        elif isinstance(event, ev.MonitorEnded) and event.role == "agent":
            self.engine_reported(event.session_id, "ended", event.reason)
        elif isinstance(event, ev.MonitorRejected):
            self.engine_reported(event.session_id, "rejected", f"{event.code} {event.reason}")

    def engine_reported(self, sid: str, state: str, reason: str = "") -> None:
        """The engine's word on a session: ``active`` (the supervisor's call is mixed in),
        ``ended`` (hung up, the customer call ended) or ``rejected``."""
        session = self.sessions.get(sid)
        if session is None:
            return
        if state == "active":
            session["active"] = True
            self._keepalive.start()
        else:
            self.sessions.pop(sid, None)
        self._report(sid, state, reason)
        self._show()

    def _still_active(self) -> None:
        active = [sid for sid, s in self.sessions.items() if s["active"]]
        if not active:
            self._keepalive.stop()
        for sid in active:
            self._report(sid, "active")

    def _report(self, sid: str, state: str, reason: str = "") -> None:
        def done(future: Future[Any]) -> None:
            if future.exception() is not None:
                log.warning("monitoring: cannot tell the store session %s… is %s: %s",
                            sid[:6], state, future.exception())  # fmt: skip

        run_in_thread(lambda: self.store.report_monitoring(sid, state, reason), done)

    # --- what the operator sees -----------------------------------------------------------

    def set_show_listening(self, shown: bool) -> None:
        self.show_listening = shown
        self._show()

    def words(self) -> str:
        modes = {s["mode"] for s in self.sessions.values()}
        if "barge" in modes:
            return self.tr("A supervisor joined the call")
        if "whisper" in modes:
            return self.tr("A supervisor is prompting you")
        if "listen" in modes and self.show_listening:
            return self.tr("A supervisor is listening")
        return ""

    def _show(self) -> None:
        self.presence_changed.emit(self.words())

"""Monitoring on the desktops, at the store's and the engine's boundaries: the supervisor's
controls open a session on the picked agent and dial it with the session's id, change its
mode, stop it; the operator's desktop refuses a session its softphone cannot take (telling
the store why) and shows a supervisor's presence as the policy says."""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Any

from pytestqt.qtbot import QtBot

from desktop.live.monitoring import MonitorEngine, MonitorGrants
from desktop.supervisor.monitor_controls import MonitorControls
from sip import events as ev
from store.client import ConflictError


def session(sid: str, agent: str = "anna", mode: str = "listen") -> dict[str, Any]:
    now = time.time_ns() // 1000
    return {"id": sid, "supervisor": "sam", "supervisor_sip": "900", "agent": agent,
            "agent_sip": "201", "mode": mode, "follow": False, "call_id": None,
            "created_us": now, "expires_us": now + 60_000_000, "ended_us": None,
            "state": "open", "reason": None}  # fmt: skip


class Store:
    """The store's monitoring routes, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.ended = False  # the session ended meanwhile (expired, hung up)

    def open_monitoring(self, agent: str, mode: str, follow: bool = False) -> Any:
        self.calls.append(("open", agent, mode, follow))
        return session("s-1", agent, mode)

    def set_monitoring_mode(self, session_id: str, mode: str) -> Any:
        self.calls.append(("mode", session_id, mode))
        if self.ended:
            raise ConflictError(f"monitoring session {session_id!r} is ended already")
        return session(session_id, mode=mode)

    def revoke_monitoring(self, session_id: str) -> Any:
        self.calls.append(("revoke", session_id))
        return {**session(session_id), "state": "revoked"}

    def report_monitoring(self, session_id: str, state: str, reason: str = "") -> Any:
        self.calls.append(("report", session_id, state, reason))
        return session(session_id)


def test_the_supervisor_picks_an_agent_dials_changes_mode_and_stops(qtbot: QtBot) -> None:
    store = Store()
    dialled: list[tuple[str, str]] = []

    def dial(target: str, session_id: str) -> Future[Any]:
        dialled.append((target, session_id))
        done: Future[Any] = Future()
        done.set_result(None)
        return done

    picked: list[str | None] = [None]
    controls = MonitorControls(store, lambda: picked[0], dial)  # type: ignore[arg-type]
    qtbot.addWidget(controls)
    controls.buttons["listen"].click()
    assert "Pick an agent" in controls.status.text() and not store.calls
    picked[0] = "anna"
    controls.follow.setChecked(True)
    controls.buttons["listen"].click()
    qtbot.waitUntil(lambda: dialled == [("201", "s-1")])
    assert store.calls == [("open", "anna", "listen", True)]
    assert "anna" in controls.status.text() and controls.stop_button.isEnabled()
    controls.buttons["barge"].click()
    qtbot.waitUntil(lambda: store.calls[-1] == ("mode", "s-1", "barge"))
    assert len(dialled) == 1  # the same call, another mode
    controls.stop_button.click()
    qtbot.waitUntil(lambda: store.calls[-1] == ("revoke", "s-1"))
    qtbot.waitUntil(lambda: not controls.stop_button.isEnabled())
    controls.buttons["whisper"].click()  # a new session
    qtbot.waitUntil(lambda: len(dialled) == 2 and controls.stop_button.isEnabled())
    store.ended = True
    controls.buttons["listen"].click()  # it ended meanwhile: refused, forgotten
    qtbot.waitUntil(lambda: not controls.stop_button.isEnabled())
    assert "ended already" in controls.status.text() and controls.session is None
    store.ended = False
    controls.buttons["barge"].click()
    qtbot.waitUntil(lambda: len(dialled) == 3 and controls.stop_button.isEnabled())
    ended = ev.MonitorEnded(session_id="s-1", role="supervisor", call_id="c-7",
                            reason="call_ended", started=True)  # fmt: skip
    controls.on_engine_event(ended)
    assert controls.session is None and "call_ended" in controls.status.text()


class PlainEngine:
    """An engine without the monitoring commands."""


def test_a_softphone_that_cannot_be_monitored_refuses_and_tells_the_store(qtbot: QtBot) -> None:
    store = Store()
    grants = MonitorGrants(MonitorEngine(PlainEngine()), store)
    grants.on_event({"type": "monitor.open", "session": session("s-9")})
    qtbot.waitUntil(lambda: bool(store.calls))
    (_, sid, state, reason) = store.calls[0]
    assert (sid, state) == ("s-9", "rejected") and "grant_monitor" in reason
    assert grants.sessions == {} and grants.words() == ""


class Engine:
    def __init__(self) -> None:
        self.commands: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        if name not in ("grant_monitor", "set_monitor_mode", "revoke_monitor"):
            raise AttributeError(name)
        return lambda *args: self.commands.append((name, *args))


def test_the_operator_sees_whisper_and_barge_always_and_listening_by_policy(
    qtbot: QtBot,
) -> None:
    engine = Engine()
    grants = MonitorGrants(MonitorEngine(engine), Store(), show_listening=False)
    shown: list[str] = []
    grants.presence_changed.connect(shown.append)
    grants.on_event({"type": "monitor.open", "session": session("s-2")})
    assert engine.commands[0][:3] == ("grant_monitor", "s-2", "900") and shown[-1] == ""
    grants.set_show_listening(True)
    assert "listening" in shown[-1]
    grants.on_event({"type": "monitor.mode", "id": "s-2", "mode": "whisper"})
    assert engine.commands[-1] == ("set_monitor_mode", "s-2", "whisper")
    grants.set_show_listening(False)
    assert "prompting" in shown[-1]
    grants.on_event({"type": "monitor.open", "session": session("s-2")})  # a replay: nothing
    assert len(engine.commands) == 2
    grants.on_event({"type": "monitor.end", "id": "s-2", "reason": "revoked"})
    assert engine.commands[-1] == ("revoke_monitor", "s-2") and shown[-1] == ""

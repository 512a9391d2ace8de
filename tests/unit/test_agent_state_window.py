"""The main window's agent state, call controls, shortcuts, recording indicator and tray,
against the fake engine, a stand-in upload queue and a stand-in recorder link."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.agent.state_bar import clock_text
from desktop.calls.engine_bridge import EngineBridge
from desktop.operator.window import STORE_STATES, MainWindow
from desktop.settings.values import AgentSection
from sip import events as ev
from tests.unit.fake_engine import FakeEngine
from tests.unit.test_main_window import deliver, incoming, state

LEFT = Qt.MouseButton.LeftButton


class FakeUploads(QObject):
    """The upload queue's facade at the window's boundary: records agent states."""

    status_changed = Signal(dict)

    def __init__(self) -> None:
        super().__init__()
        self.states: list[tuple[str, str, str, int]] = []

    def agent_state(self, agent: str, state: str, reason: str, at_us: int) -> None:
        self.states.append((agent, state, reason, at_us))


class FakeLink(QObject):
    """The recorder link's surface the window uses (no worker process)."""

    status_changed = Signal(str)
    worker_event = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.state: dict[str, Any] = {}
        self.status_text = ""
        self.pid: int | None = 4242
        self.sent: list[tuple[Any, ...]] = []

    def pause(self) -> None:
        self.sent.append(("pause",))

    def resume(self) -> None:
        self.sent.append(("resume",))

    def consent(self, call_id: str) -> None:
        self.sent.append(("consent", call_id))

    def mark(self, call_id: str, event: str) -> None:
        self.sent.append(("mark", call_id, event))


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def window(qtbot: QtBot, engine: FakeEngine) -> MainWindow:
    options = AgentSection(wrap_up_s=60, not_ready_reasons=("Training",), break_reasons=("Lunch",))
    win = MainWindow(EngineBridge(engine), account="operator@127.0.0.1", agent_options=options)
    qtbot.addWidget(win)
    return win


def online(qtbot: QtBot, engine: FakeEngine, window: MainWindow) -> None:
    registered = ev.RegistrationChanged(
        account_id="acc-1", state="registered", code=200, reason="OK", expires=300
    )
    started = ev.EngineStarted(version="fake", sip_ports={"udp": 5060}, audio="null")
    deliver(qtbot, engine, window, started, registered)


def dnd_commands(engine: FakeEngine) -> list[bool]:
    return [args[0] for name, args in engine.commands if name == "set_dnd"]


def test_ready_on_call_wrap_up_ready_goes_to_the_store_and_sets_dnd(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    assert "on_call" in STORE_STATES  # the store's client types accept every state we send
    uploads = FakeUploads()
    window.attach_uploads(uploads)
    assert window.state_bar.text() == "Offline"
    online(qtbot, engine, window)
    assert window.state_bar.text() == "Ready" and window.state_bar.time_text() == "< 1 min"
    deliver(qtbot, engine, window, incoming(), state("c1", "confirmed"))
    assert window.state_bar.text() == "On call"
    ended = ev.CallEnded(call_id="c1", record={"ended_by": "remote"})
    deliver(qtbot, engine, window, ended)
    assert window.state_bar.text() == "Wrap-up"
    assert window.state_bar.time_text() in ("60 s left", "59 s left")
    assert window.state_bar.end_wrap_up.isVisibleTo(window)
    qtbot.waitUntil(lambda: dnd_commands(engine) == [True], timeout=2000)
    qtbot.mouseClick(window.state_bar.end_wrap_up, LEFT)
    assert window.state_bar.text() == "Ready"
    qtbot.waitUntil(lambda: dnd_commands(engine) == [True, False], timeout=2000)
    assert [s[1] for s in uploads.states] == ["offline", "ready", "on_call", "wrap_up", "ready"]
    assert {(s[0], s[2]) for s in uploads.states} == {("operator", "")}
    assert uploads.states[3][3] == ended.at_us


def test_break_with_a_reason_from_the_menu_refuses_calls(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    online(qtbot, engine, window)
    window.state_bar.actions_by_key[("break", "Lunch")].trigger()
    assert window.state_bar.text() == "Break: Lunch"
    qtbot.waitUntil(lambda: dnd_commands(engine) == [True], timeout=2000)
    window.state_bar.actions_by_key[("ready", "")].trigger()
    qtbot.waitUntil(lambda: dnd_commands(engine) == [True, False], timeout=2000)


def test_upload_backlog_is_shown(window: MainWindow) -> None:
    uploads = FakeUploads()
    window.attach_uploads(uploads)
    uploads.status_changed.emit({"items": 3, "bytes": 5 * 1024 * 1024, "last_error": ""})
    assert window.recording.backlog.text() == "Uploads waiting: 3 (5.0 MB)"
    uploads.status_changed.emit({"items": 9, "bytes": 10, "over_quota": True, "warning": ""})
    assert window.recording.backlog.text().endswith(
        "the upload spool is full: screen recording stopped"
    )
    refused = "PUT /agents/bob/state: 403 agents can only set their own state; supervisors any"
    uploads.status_changed.emit({"items": 4, "bytes": 0, "last_error": refused})
    assert window.recording.backlog.text() == (
        "Uploads waiting: 4 — the store refused: agents can only set their own state"
    )
    assert refused in window.recording.backlog.toolTip()
    away = "cannot reach the store at http://127.0.0.1:9: refused (retrying in 30 s)"
    uploads.status_changed.emit({"items": 4, "bytes": 0, "last_error": away})
    assert window.recording.backlog.text().endswith("— store unreachable (retrying in 30 s)")
    uploads.status_changed.emit({"items": 0, "bytes": 0})
    assert window.recording.backlog.text() == "Uploads: all sent"


def test_recording_indicator_and_its_buttons(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    link = FakeLink()
    window.attach_recorder(link)  # type: ignore[arg-type]
    assert window.recording.label.text() == "Not recording"
    assert not window.recording.mark_button.isEnabled()
    link.state = {"capturing": True, "recording": True, "windows": [{"state": "recording"}]}
    link.status_changed.emit("Screen recording ON")
    assert window.recording.label.text() == "REC"
    assert window.recording.label.toolTip() == "Screen recording ON"
    online(qtbot, engine, window)
    deliver(qtbot, engine, window, incoming(), state("c1", "confirmed"))
    qtbot.mouseClick(window.recording.pause_button, LEFT)
    link.state = {**link.state, "paused": True}
    link.worker_event.emit({"event": "state"})
    assert window.recording.label.text() == "REC paused"
    qtbot.mouseClick(window.recording.pause_button, LEFT)
    qtbot.mouseClick(window.recording.consent_button, LEFT)
    qtbot.mouseClick(window.recording.mark_button, LEFT)
    assert link.sent == [
        ("pause",),
        ("resume",),
        ("consent", "c1"),
        ("mark", "c1", "operator_mark"),
    ]
    deliver(qtbot, engine, window, ev.CallEnded(call_id="c1", record={}))
    assert [c.call_id for c in window.book.in_wrap_up()] == ["c1"]
    finished: list[str] = []
    window.book.wrap_up_finished.connect(lambda call: finished.append(call.call_id))
    qtbot.mouseClick(window.state_bar.end_wrap_up, LEFT)  # ended early: the call's wrap-up too
    assert finished == ["c1"] and not window.book.in_wrap_up()


def test_shortcuts_answer_the_ringing_call_and_hang_up(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    for other in QApplication.topLevelWidgets():  # another visible main window would make
        if isinstance(other, MainWindow) and other is not window:  # the shortcuts ambiguous
            other.hide()
    window.show()
    qtbot.waitExposed(window)
    online(qtbot, engine, window)
    deliver(qtbot, engine, window, incoming())
    window.calls.table.clearSelection()
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    window.dial.field.setFocus()
    qtbot.keyClick(window.dial.field, Qt.Key.Key_A, mods)
    qtbot.waitUntil(lambda: ("answer", ("c1",)) in engine.commands, timeout=2000)
    deliver(qtbot, engine, window, state("c1", "confirmed"))
    qtbot.keyClick(window.dial.field, Qt.Key.Key_M, mods)
    qtbot.waitUntil(lambda: ("set_mute", ("c1", True)) in engine.commands, timeout=2000)
    qtbot.keyClick(window.dial.field, Qt.Key.Key_E, mods)
    qtbot.waitUntil(lambda: ("hangup", ("c1",)) in engine.commands, timeout=2000)


def test_switching_to_a_held_call_holds_the_other(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    deliver(qtbot, engine, window, incoming(), state("c1", "confirmed"))
    deliver(qtbot, engine, window, incoming("c2", True), state("c2", "confirmed"))
    deliver(qtbot, engine, window, ev.CallMediaChanged(call_id="c1", media="local_hold"))
    window.calls.select("c1")
    assert window.controls.buttons["hold"].text() == "Resume"
    qtbot.mouseClick(window.controls.buttons["hold"], LEFT)
    qtbot.waitUntil(lambda: ("resume", ("c1",)) in engine.commands, timeout=2000)
    sent = [c for c in engine.commands if c[0] in ("hold", "resume")]
    assert sent == [("hold", ("c2",)), ("resume", ("c1",))]


def test_pasted_number_is_cleaned(qtbot: QtBot, window: MainWindow, qapp: QApplication) -> None:
    qapp.clipboard().setText("+7 (495) 123-45-67")
    window.dial.field.paste()
    assert window.dial.field.text() == "+74951234567"
    window.dial.field.clear()
    qapp.clipboard().setText(" sip:bob@example.com ")
    window.dial.field.paste()
    window.dial.call_button.click()
    assert "sip:bob@example.com" in window.statusBar().currentMessage()


def test_incoming_call_without_a_tray_raises_the_window_and_keeps_the_notice(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    window.showMinimized()
    deliver(qtbot, engine, window, incoming())
    assert not window.isMinimized()
    assert window.tray.last_notice == ("Incoming call", "Ivan Petrov")
    assert window.tray.tooltip == "AgentDesk — Offline"


def test_idle_the_window_runs_only_its_clock_and_none_while_hidden(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    """What wakes an idle desktop: Ready with nothing happening, only the time-in-state clock
    runs; hidden (in the tray) not even that, except in a wrap-up, which must end on time."""

    def running() -> list[tuple[str, int]]:
        timers = window.findChildren(QTimer)
        return sorted((type(t.parent()).__name__, t.interval()) for t in timers if t.isActive())

    window.show()
    qtbot.waitExposed(window)
    online(qtbot, engine, window)
    [(owner, interval)] = running()  # Ready: it wakes when the shown minute changes
    assert owner == "AgentStateBar" and interval > 58_000
    label = window.state_bar.timer_label
    assert label.width() >= label.fontMetrics().horizontalAdvance(clock_text(9 * 3600 + 3599))
    deliver(qtbot, engine, window, incoming(), state("c1", "confirmed"))
    assert running() == [("AgentStateBar", 1000), ("CallList", 1000)]  # its duration ticks
    deliver(qtbot, engine, window, ev.CallEnded(call_id="c1", record={"ended_by": "remote"}))
    assert window.state_bar.text() == "Wrap-up"
    window.hide()
    assert running() == [("AgentStateBar", 1000)]  # the wrap-up's end is still due
    qtbot.mouseClick(window.state_bar.end_wrap_up, LEFT)
    assert window.state_bar.text() == "Ready" and running() == []
    window.show()
    qtbot.waitExposed(window)
    [(owner, interval)] = running()
    assert owner == "AgentStateBar" and interval > 58_000 and label.text() == "< 1 min"


def test_a_waiting_state_shows_its_time_by_the_minute(qtbot: QtBot) -> None:
    """Ready, not ready or a break: by the minute, the clock waking when the shown minute
    changes; a call keeps its seconds."""
    from desktop.agent import state as st
    from desktop.agent.state_bar import AgentStateBar

    now = [1_000_000_000]
    model = st.AgentState(wrap_up_s=30.0, clock=lambda: now[0], state=st.READY)
    bar = AgentStateBar(model)
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    assert bar.time_text() == "< 1 min" and bar._clock.interval() == 60_000
    now[0] += 59_000_000
    bar._tick()
    assert bar.time_text() == "< 1 min" and bar._clock.interval() == 1000
    now[0] += 66_000_000  # 2 min 5 s in Ready
    bar._tick()
    assert bar.timer_label.text() == "2 min" and bar._clock.interval() == 55_000
    now[0] += 3600_000_000  # 1 h 2 min 5 s
    bar._tick()
    assert bar.timer_label.text() == "1 h 02 min"
    label = bar.timer_label
    assert label.width() >= label.fontMetrics().horizontalAdvance("99 h 59 min")
    model.on_event(incoming())
    model.on_event(
        ev.CallStateChanged(call_id="c1", state="confirmed", code=200, reason="OK", at_us=now[0])
    )
    assert bar.text() == "On call" and bar._clock.interval() == 1000
    now[0] += 125_000_000
    bar._tick()
    assert bar.time_text() == "2:05" and bar._clock.interval() == 1000

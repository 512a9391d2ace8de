"""Threads and the engine bridge: events cross to the UI thread, failures come back as text."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.event_log import describe
from desktop.calls.model import Call, CallBook
from desktop.secret_store import SecretStoreError
from desktop.threads import WrongThread, assert_gui_thread, run_in_thread
from sip import events as ev
from sip.child import CallsInProgress
from sip.config import AccountSettings
from sip.process import LOST
from tests.unit.fake_engine import FakeEngine

ACCOUNT = AccountSettings(user="1001", domain="pbx.example.com")


def test_assert_gui_thread(qapp: QApplication) -> None:
    assert_gui_thread()
    caught: list[BaseException] = []

    def worker() -> None:
        try:
            assert_gui_thread()
        except WrongThread as exc:
            caught.append(exc)

    t = threading.Thread(target=worker, name="not-ui")
    t.start()
    t.join()
    assert caught and "not-ui" in str(caught[0])


def test_run_in_thread_hands_the_result_to_the_ui_thread(qtbot: QtBot) -> None:
    seen: list[tuple[str, bool]] = []

    def done(future: Future[str]) -> None:
        seen.append((future.result(), QThread.currentThread() is qtbot_app_thread()))

    run_in_thread(lambda: threading.current_thread().name, done)
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    name, on_ui = seen[0]
    assert name.startswith("ui-worker") and on_ui


def qtbot_app_thread() -> QThread:
    app = QApplication.instance()
    assert app is not None
    return app.thread()


def test_events_arrive_on_the_ui_thread(qtbot: QtBot) -> None:
    engine = FakeEngine()
    bridge = EngineBridge(engine)
    got: list[bool] = []
    bridge.sip_event.connect(lambda e: got.append(QThread.currentThread() is qtbot_app_thread()))
    engine.emit_from_thread(ev.EngineError(where="x", message="y"))
    qtbot.waitUntil(lambda: bool(got), timeout=2000)
    assert got == [True]


def test_start_adds_the_account_with_the_keyring_password(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = FakeEngine()
    bridge = EngineBridge(engine)
    with qtbot.waitSignal(bridge.account_ready, timeout=3000) as ready:
        bridge.start(ACCOUNT, lambda: "hunter2")
    assert ready.args == ["acc-1"] and bridge.account_id == "acc-1" and bridge.started
    assert engine.accounts[0].password == "hunter2"
    assert "hunter2" not in caplog.text and "hunter2" not in repr(engine.accounts[0])
    bridge.make_call("1002")
    qtbot.waitUntil(lambda: ("make_call", ("acc-1", "1002")) in engine.commands, timeout=2000)


class SlowAnswer(FakeEngine):
    """The account registers (its event sent) before add_account's answer comes back, as
    when the machine is busy: the answer waits until ``answer`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = threading.Event()

    def add_account(self, settings: AccountSettings) -> Future[str]:
        self.accounts.append(settings)
        self.emit(ev.RegistrationChanged(account_id="acc-1", state="registered", code=200,
                                         reason="OK"))  # fmt: skip
        future: Future[str] = Future()
        threading.Thread(
            target=lambda: self.answer.wait(5) and future.set_result("acc-1"), name="fake-pipe"
        ).start()
        return future


def test_a_registration_seen_before_the_answer_to_add_account_can_dial(qtbot: QtBot) -> None:
    engine = SlowAnswer()
    bridge = EngineBridge(engine)
    ready: list[str] = []
    bridge.account_ready.connect(ready.append)
    registered: list[str] = []
    bridge.sip_event.connect(
        lambda e: registered.append(bridge.account_id)
        if isinstance(e, ev.RegistrationChanged) else None
    )  # fmt: skip
    bridge.start(ACCOUNT, lambda: "hunter2")
    qtbot.waitUntil(lambda: bool(registered), timeout=3000)
    assert registered == ["acc-1"] and ready == ["acc-1"]  # known when "registered" shows
    bridge.make_call("1002")
    qtbot.waitUntil(lambda: ("make_call", ("acc-1", "1002")) in engine.commands, timeout=2000)
    engine.answer.set()
    qtbot.wait(300)  # the answer crosses to this thread: the same account, told once
    assert bridge.account_id == "acc-1" and ready == ["acc-1"]


def test_a_keyring_problem_is_reported_and_the_account_still_added(qtbot: QtBot) -> None:
    engine = FakeEngine()
    bridge = EngineBridge(engine)
    errors: list[str] = []
    bridge.error.connect(errors.append)

    def no_keyring() -> str:
        raise SecretStoreError("the SIP password for 1001@pbx.example.com cannot be used: …")

    with qtbot.waitSignal(bridge.account_ready, timeout=3000):
        bridge.start(ACCOUNT, no_keyring)
    assert errors and "cannot be used" in errors[0]
    assert engine.accounts[0].password == ""


def test_event_log_lines_are_short_and_plain() -> None:
    line = describe(
        ev.CallStateChanged(
            call_id="0123456789abcdef",
            state="confirmed",
            code=200,
            reason="OK",
            sip_call_id="secret-ish",
        )
    )
    assert line == "event CallStateChanged call=01234567 state=confirmed code=200 reason=OK"


def test_a_lost_engine_is_said_in_words_and_its_calls_end_by_system(qtbot: QtBot) -> None:
    engine = FakeEngine()
    bridge = EngineBridge(engine)
    book = CallBook.following(bridge, bridge, extension="1001")
    errors: list[str] = []
    bridge.error.connect(errors.append)
    ended: list[Call] = []
    book.ended.connect(ended.append)
    calls = CallsInProgress()
    ring = ev.IncomingCall(
        call_id="c1", account_id="acc-1", remote_uri="sip:200@pbx", number="200",
        display_name="", sip_call_id="x@pbx", headers={}, waiting=False,
    )  # fmt: skip
    answered = ev.CallStateChanged(call_id="c1", state="confirmed", code=200, reason="OK")
    for event in (ev.EngineStarted(version="t", sip_ports={}, audio="null"), ring, answered):
        calls.follow(event)
        engine.emit_from_thread(event)
    lost = [*calls.end_all(LOST), ev.EngineStopped(clean=False)]
    lost.append(ev.EngineLost(exit="signal SIGABRT", calls_ended=1, restart_in_s=1.0))
    for event in lost:
        engine.emit_from_thread(event)
    qtbot.waitUntil(lambda: bool(ended) and bool(errors), timeout=2000)
    call = ended[0]
    assert call.call_id == "c1" and call.answered_us == answered.at_us
    assert call.record is not None and call.record["ended_by"] == "system"
    assert call.record["cause"] == LOST and not bridge.started
    assert errors == [
        "The softphone stopped unexpectedly: 1 call(s) in progress ended. Starting it again in 1 s…"
    ]
    back = lost[-1].at_us + 2_000_000
    engine.emit_from_thread(ev.EngineStarted(version="t", sip_ports={}, audio="null", at_us=back))
    expected = "The softphone runs again after it stopped unexpectedly (2 s ago)"
    qtbot.waitUntil(lambda: errors[-1] == expected, timeout=2000)
    assert len(calls) == 0 and bridge.started


def test_a_monitoring_leg_never_reaches_the_call_list(qtbot: QtBot) -> None:
    engine = FakeEngine()
    bridge = EngineBridge(engine)
    book = CallBook.following(bridge, bridge, extension="1001")
    passed: list[ev.Event] = []
    bridge.sip_event.connect(passed.append)
    leg = "leg-1"
    started = ev.MonitorStarted(session_id="s-0123456789", role="supervisor", call_id=leg)
    strays = [  # were an engine to name the leg in call events, none would pass
        ev.CallStateChanged(call_id=leg, state="confirmed", code=200, reason="OK"),
        ev.RecordingStarted(call_id=leg, path="/x.wav", first_sample_utc_us=1, sample_rate=16000),
        ev.CallEnded(call_id=leg, record={"direction": "outbound"}),
    ]
    ended = ev.MonitorEnded(
        session_id="s-0123456789", role="supervisor", call_id=leg, reason="hung_up", started=True
    )
    for event in (started, *strays, ended):
        engine.emit_from_thread(event)
    qtbot.waitUntil(lambda: ended in passed, timeout=2000)  # delivered in order
    assert passed == [started, ended]
    assert book.calls == {}

"""The main window against a fake engine: events in, buttons and commands out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop import i18n
from desktop.calls.engine_bridge import EngineBridge
from desktop.operator.window import MainWindow
from sip import events as ev
from sip.errors import NotFoundError
from tests.unit.fake_engine import FakeEngine

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def window(qtbot: QtBot, engine: FakeEngine) -> MainWindow:
    bridge = EngineBridge(engine)
    win = MainWindow(bridge, account="operator@127.0.0.1")
    qtbot.addWidget(win)
    return win


def incoming(call_id: str = "c1", waiting: bool = False) -> ev.IncomingCall:
    return ev.IncomingCall(
        call_id=call_id,
        account_id="acc-1",
        remote_uri='"Ivan Petrov" <sip:+74951234567@127.0.0.1>',
        number="+74951234567",
        display_name="Ivan Petrov",
        sip_call_id="x",
        headers={},
        waiting=waiting,
    )


def state(call_id: str, name: str) -> ev.CallStateChanged:
    return ev.CallStateChanged(call_id=call_id, state=name, code=200, reason="OK")


def deliver(qtbot: QtBot, engine: FakeEngine, window: MainWindow, *events: ev.Event) -> None:
    """Emit from a non-UI thread and wait until the window has handled the last one."""
    seen: list[ev.Event] = []
    window.bridge.sip_event.connect(seen.append)
    for event in events:
        engine.emit_from_thread(event)
    qtbot.waitUntil(lambda: len(seen) == len(events), timeout=2000)
    window.bridge.sip_event.disconnect(seen.append)


def enabled(window: MainWindow) -> set[str]:
    return {name for name, b in window.controls.buttons.items() if b.isEnabled()}


def cell(window: MainWindow, row: int, col: int) -> str:
    item = window.calls.table.item(row, col)
    return item.text() if item is not None else ""


def test_incoming_call_shows_a_ringing_row_with_answer(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    deliver(qtbot, engine, window, incoming())
    assert window.calls.table.rowCount() == 1
    assert [cell(window, 0, c) for c in range(3)] == ["+74951234567", "Ivan Petrov", "Ringing"]
    assert enabled(window) == {"answer", "reject"}
    assert window.banner.isVisibleTo(window) and "Ivan Petrov" in window.banner.label.text()
    qtbot.mouseClick(window.controls.buttons["answer"], LEFT)
    qtbot.waitUntil(lambda: ("answer", ("c1",)) in engine.commands, timeout=2000)


def test_confirmed_call_enables_hold_and_transfer(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    deliver(qtbot, engine, window, incoming(), state("c1", "connecting"), state("c1", "confirmed"))
    assert cell(window, 0, 2) == "Talking"
    assert {"hangup", "hold", "transfer", "mute"} <= enabled(window)
    assert "answer" not in enabled(window) and "attended" not in enabled(window)
    assert not window.banner.isVisibleTo(window)
    qtbot.mouseClick(window.controls.buttons["hold"], LEFT)
    deliver(qtbot, engine, window, ev.CallMediaChanged(call_id="c1", media="local_hold"))
    assert window.controls.buttons["hold"].text() == "Resume" and cell(window, 0, 2) == "On hold"
    qtbot.mouseClick(window.controls.buttons["hold"], LEFT)
    qtbot.waitUntil(lambda: ("resume", ("c1",)) in engine.commands, timeout=2000)
    assert ("hold", ("c1",)) in engine.commands


def test_call_waiting_badge_and_attended_transfer(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    deliver(qtbot, engine, window, incoming(), state("c1", "confirmed"), incoming("c2", True))
    assert cell(window, 1, 4) == "waiting"
    deliver(qtbot, engine, window, state("c2", "confirmed"))
    window.calls.select("c2")
    assert "attended" in enabled(window)


def test_call_ended_removes_the_row(qtbot: QtBot, engine: FakeEngine, window: MainWindow) -> None:
    deliver(qtbot, engine, window, incoming(), state("c1", "disconnected"))
    assert window.calls.table.rowCount() == 1
    deliver(qtbot, engine, window, ev.CallEnded(call_id="c1", record={"ended_by": "remote"}))
    assert window.calls.table.rowCount() == 0
    assert enabled(window) == set() and not window.banner.isVisibleTo(window)


def test_failed_registration_shows_code_reason_and_retry(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    failed = ev.RegistrationChanged(
        account_id="acc-1", state="failed", code=403, reason="Forbidden", retry_in_s=30.0
    )
    deliver(qtbot, engine, window, failed)
    text = window.registration.text()
    assert text.startswith("operator@127.0.0.1: Registration failed: 403 Forbidden")
    assert "retrying in 30 s" in text or "retrying in 29 s" in text


def test_null_audio_is_explained(qtbot: QtBot, engine: FakeEngine, window: MainWindow) -> None:
    null = ev.AudioDevicesChanged(mode="null", detail="", mic="", speaker="", ring="")
    deliver(qtbot, engine, window, null)
    assert window.audio_line.text() == "No sound device: calls run without audio"
    failed = ev.AudioDevicesChanged(
        mode="failed", detail="sound device failed", mic="default", speaker="default", ring=""
    )
    deliver(qtbot, engine, window, failed)
    assert window.audio_line.text() == (
        "The sound device did not open: this call runs without audio"
    )


def test_keys_dial_or_send_dtmf(qtbot: QtBot, engine: FakeEngine, window: MainWindow) -> None:
    qtbot.mouseClick(window.dial.keys["5"], LEFT)
    assert window.dial.field.text() == "5"
    deliver(qtbot, engine, window, incoming(), state("c1", "confirmed"))
    qtbot.mouseClick(window.dial.keys["#"], LEFT)
    qtbot.waitUntil(lambda: ("send_dtmf", ("c1", "#")) in engine.commands, timeout=2000)


def test_mute_follows_the_engine(qtbot: QtBot, engine: FakeEngine, window: MainWindow) -> None:
    deliver(qtbot, engine, window, incoming(), state("c1", "confirmed"))
    qtbot.mouseClick(window.controls.buttons["mute"], LEFT)
    qtbot.waitUntil(lambda: cell(window, 0, 4) == "muted", timeout=2000)
    assert ("set_mute", ("c1", True)) in engine.commands
    assert window.controls.buttons["mute"].isChecked()
    engine.failures["set_mute"] = NotFoundError("no call")
    qtbot.mouseClick(window.controls.buttons["mute"], LEFT)
    qtbot.waitUntil(lambda: "no call" in window.statusBar().currentMessage(), timeout=2000)
    assert cell(window, 0, 4) == "muted" and window.controls.buttons["mute"].isChecked()


def test_a_failed_command_reaches_the_status_bar(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    engine.failures["hangup"] = NotFoundError("no call 'c1' (it may have ended)")
    deliver(qtbot, engine, window, incoming(), state("c1", "confirmed"))
    qtbot.mouseClick(window.controls.buttons["hangup"], LEFT)
    qtbot.waitUntil(lambda: "no call 'c1'" in window.statusBar().currentMessage(), timeout=2000)
    assert window.statusBar().currentMessage().startswith("Could not hang up:")


def test_dialling_before_the_account_is_ready_says_so(window: MainWindow) -> None:
    window.dial.field.setText("1002")
    window.dial.call_button.click()
    assert "No SIP account is ready" in window.statusBar().currentMessage()


@pytest.fixture
def russian(qapp: QApplication) -> Iterator[None]:
    translators = i18n.install(qapp, "ru")
    assert translators, "resources/i18n/agentdesk_ru.qm is missing: run scripts/setup"
    yield
    i18n.uninstall(qapp, translators)


def test_language_ru_shows_russian(
    russian: None, qtbot: QtBot, engine: FakeEngine, window: MainWindow
) -> None:
    assert window.controls.buttons["answer"].text() == "Ответить"
    assert window.dnd.text() == "Не беспокоить"
    deliver(qtbot, engine, window, incoming())
    assert cell(window, 0, 2) == "Входящий вызов"
    assert window.banner.label.text().startswith("Входящий звонок: Ivan Petrov")


def test_language_choice() -> None:
    from PySide6.QtCore import QLocale

    assert i18n.choose_language("ru") == "ru" and i18n.choose_language("en") == "en"
    assert i18n.choose_language("auto", QLocale(QLocale.Language.Russian)) == "ru"
    assert i18n.choose_language("auto", QLocale(QLocale.Language.German)) == "en"


def test_blind_transfer_asks_for_a_target(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window.call_actions, "ask_transfer_target", lambda: "1003")
    deliver(qtbot, engine, window, incoming(), state("c1", "confirmed"))
    qtbot.mouseClick(window.controls.buttons["transfer"], LEFT)
    qtbot.waitUntil(lambda: ("transfer_blind", ("c1", "1003")) in engine.commands, timeout=2000)


def test_audio_dialog_lists_devices_and_shows_levels(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.widgets import audio_dialog
    from sip.audio import AudioDevice

    devices = [
        AudioDevice(0, "USB Headset", 1, 2, 48000.0, "ALSA"),
        AudioDevice(1, "Speakers", 0, 2, 48000.0, "ALSA"),
    ]
    monkeypatch.setattr(audio_dialog, "list_devices", lambda: devices)
    dialog = audio_dialog.AudioDevicesDialog(lambda: (-20.0, -120.0), ("", "Speakers", ""))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.speaker.count() == 3, timeout=2000)
    assert dialog.mic.count() == 2  # system default + the headset
    assert dialog.choice() == ("", "Speakers", "")
    qtbot.waitUntil(lambda: dialog.mic_meter.value() == 40, timeout=2000)
    assert dialog.speaker_meter.value() == 0


def test_an_engine_that_cannot_start_shows_offline(
    qtbot: QtBot, engine: FakeEngine, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(timeout: float = 15.0) -> ev.EngineStarted:
        raise OSError("address already in use")

    monkeypatch.setattr(engine, "start", refuse)
    window.bridge.start(None)
    qtbot.waitUntil(lambda: "address already in use" in window.registration.text(), timeout=2000)
    assert window.registration.text().startswith("Not connected:")
    assert "could not start" in window.statusBar().currentMessage()

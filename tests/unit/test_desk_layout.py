"""The operator's window for a working day: first-start size from the screen, geometry and
layout kept between runs, compact and full desk from View; the caller panel's rating and
wrap-up hint only when they apply."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtWidgets import QDockWidget
from pytestqt.qtbot import QtBot

from desktop.operator import desk_layout
from desktop.operator.desk_layout import COMPACT, FULL, first_geometry
from sip import events as ev
from tests.unit import desk_scenes


def test_first_start_takes_a_share_of_the_screen_not_a_dialogs_size() -> None:
    screen = QRect(0, 0, 1920, 1040)  # 1920×1080 less a 40 px panel
    full = first_geometry(screen, FULL)
    assert full.width() >= 1600 and full.height() >= 880
    assert screen.contains(full) and full.center() == screen.center()
    compact = first_geometry(screen, COMPACT)
    assert 460 <= compact.width() < full.width() and screen.contains(compact)
    small = QRect(0, 0, 1024, 700)  # never larger than the screen
    assert small.contains(first_geometry(small, FULL))


def test_the_window_keeps_its_size_place_and_layout(
    qtbot: QtBot, tmp_path: Path, monkeypatch: object
) -> None:
    ini = tmp_path / "window.ini"
    monkeypatch.setattr(desk_layout, "state_file", lambda: ini)  # type: ignore[attr-defined]
    desk = desk_scenes.OperatorDesk(qtbot, tmp_path)
    window = desk.window
    window.show()
    qtbot.waitUntil(lambda: window.desk.dialog_dock is not None, timeout=2000)
    qtbot.wait(20)
    assert window.desk.mode == FULL
    assert window.desk.dialog_dock.isVisible()  # type: ignore[union-attr]
    assert window.desk.dialog_part.isAncestorOf(desk.panel.rating)  # type: ignore[union-attr]
    window.setGeometry(100, 80, 1300, 800)
    qtbot.wait(20)
    full_geometry = window.geometry()
    menu = window.desk.view_menu
    assert [a.objectName() for a in menu.actions()] == ["compactLayout", "fullLayout"]
    window.desk.actions[COMPACT].trigger()
    assert window.desk.mode == COMPACT and window.desk.actions[COMPACT].isChecked()
    assert not window.desk.dialog_dock.isVisible()  # type: ignore[union-attr]
    assert desk.panel.isAncestorOf(desk.panel.rating)  # one column: the card with its dialog
    window.close()

    settings = QSettings(str(ini), QSettings.Format.IniFormat)
    assert settings.value("mode") == COMPACT
    again = desk_scenes.OperatorDesk(qtbot, tmp_path / "again")
    assert again.window.desk.mode == COMPACT
    for mode in (FULL, COMPACT):  # each mode's own geometry (restored: test_screenshots)
        assert not settings.value(f"geometry/{mode}", QByteArray()).isEmpty()
    assert full_geometry.isValid()
    again.window.show()
    again.window.desk.set_mode(FULL)
    qtbot.wait(20)
    docks = {d.objectName() for d in again.window.findChildren(QDockWidget) if d.isVisible()}
    assert "dialogCardDock" in docks


def test_rating_only_after_answer_and_wrap_up_hint_only_in_wrap_up(
    qtbot: QtBot, tmp_path: Path
) -> None:
    desk = desk_scenes.OperatorDesk(qtbot, tmp_path)
    panel = desk.panel
    desk.idle()
    desk.ring()
    assert not panel.rating.isEnabled() and not panel.message.text()
    # The caller gives up before an answer: nothing to rate, no wrap-up to hint at.
    desk.deliver(ev.CallEnded(call_id="c1", record={"ended_by": "remote"}))
    qtbot.wait(20)
    assert not panel.rating.isEnabled()
    assert not panel.message.text(), "a wrap-up hint for a call never answered"
    # The next call only rings: still nothing to rate.
    desk.deliver(
        ev.IncomingCall(
            call_id="c2",
            account_id="acc-1",
            remote_uri="sip:+74951234567@pbx",
            number="+74951234567",
            display_name="",
            sip_call_id="x2",
            headers={},
            waiting=False,
        )
    )
    qtbot.wait(20)
    assert not panel.rating.isEnabled() and not panel.message.text()

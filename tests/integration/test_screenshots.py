"""Screenshots of the main states a user meets, in Russian and English, on a real X11 screen
(1920×1080): the operator's window idle, ringing with the caller card, on a call and in
wrap-up, the QA search and player, the supervisor board. Each asserts what a user would check
in it; the pictures are kept under ``$AGENTDESK_ARTIFACTS`` or ``tests/artifacts``.

A private Xvfb of 1920×1080 is started when Qt has no platform chosen yet; under ``xvfb-run``
(QT_QPA_PLATFORM=xcb) the run's screen is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop import i18n
from desktop.operator import desk_layout
from desktop.operator.desk_layout import COMPACT, FULL
from tests.integration.desktop_kit import artifacts, private_display
from tests.unit import desk_scenes

pytestmark = [pytest.mark.integration, pytest.mark.on_x11]
RUSSIAN = re.compile("[А-Яа-яЁё]")


@pytest.fixture(scope="session", autouse=True)
def display() -> Iterator[str]:
    """Qt on a private 1920×1080 Xvfb unless the run already chose a platform."""
    yield from private_display(1920, 1080)


@pytest.fixture(params=["en", "ru"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    translators = i18n.install(qapp, request.param)
    yield str(request.param)
    i18n.uninstall(qapp, translators)


def shot(qtbot: QtBot, widget: QWidget, name: str) -> Path:
    qtbot.wait(150)  # let the window manager map it and the layout settle
    path = artifacts() / f"screen-{name}.png"
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path


def texts(widget: QWidget) -> list[str]:
    return [t for _where, t in desk_scenes.visible_texts(widget) if t.strip()]


def assert_language(widget: QWidget, language: str, state: str) -> None:
    shown = texts(widget)
    if language == "ru":
        english = desk_scenes.english_texts(widget)
        assert not english, f"{state}: English on a Russian screen: {english}"
        assert sum(bool(RUSSIAN.search(t)) for t in shown) > 10, f"{state}: {shown}"
    else:  # the app's own words (buttons, the title) are English; sample data may not be
        own = [widget.windowTitle()] + [b.text() for b in widget.findChildren(QAbstractButton)]
        assert not [t for t in own if RUSSIAN.search(t)], f"{state}: {own}"


def test_the_operators_day_in_screenshots(
    qtbot: QtBot, tmp_path: Path, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ini = tmp_path / "window.ini"  # a first start: nothing remembered yet
    monkeypatch.setattr(desk_layout, "state_file", lambda: ini)
    desk = desk_scenes.OperatorDesk(qtbot, tmp_path)
    window, panel = desk.window, desk.panel
    window.desk.set_mode(FULL)
    window.show()
    qtbot.waitExposed(window)
    desk.idle()

    # A working day's window: most of the screen, not a dialog.
    screen = window.screen().availableGeometry()
    assert window.width() >= 0.75 * screen.width() and window.height() >= 0.7 * screen.height()
    if screen.width() >= 1920:
        assert window.width() >= 1400
    assert window.geometry().intersects(screen) and screen.contains(window.frameGeometry().center())
    backlog = window.recording.backlog.text()
    want = "хранилище отказало" if language == "ru" else "the store refused"
    assert want in backlog and "agents can only set their own state" in backlog
    assert not panel.rating.isEnabled() and not panel.message.text()
    shot(qtbot, window, f"{language}-1-idle")
    assert_language(window, language, "idle")

    desk.ring()
    card = panel.card
    assert desk_scenes.CALLER_NAME in card.caller.text()
    assert card.isVisible() and card.rows["name"].isVisible()
    # The long open deal is shown whole: wrapped, never cut at the label's edge.
    items = card.rows["items"]
    assert items.text().startswith("Вопрос по счёту за октябрь и перерасчёт абонентской платы")
    assert items.wordWrap() and items.toolTip() == items.text()
    assert items.height() >= items.heightForWidth(items.width()) - 1
    assert not panel.rating.isEnabled(), "rated before the call is answered"
    assert not panel.message.text(), "the wrap-up hint while the call only rings"
    shot(qtbot, window, f"{language}-2-ringing")
    assert_language(window, language, "ringing")

    desk.answer()
    assert panel.rating.isEnabled()
    assert not panel.message.text()
    shot(qtbot, window, f"{language}-3-on-call")
    assert_language(window, language, "on call")

    desk.hang_up()
    qtbot.waitUntil(lambda: bool(panel.message.text()), timeout=3000)
    hint = "Обработка" if language == "ru" else "Wrap-up"
    assert panel.message.isVisible() and panel.message.text().startswith(hint)
    assert panel.finish.isEnabled() and panel.rating.isEnabled()
    shot(qtbot, window, f"{language}-4-wrap-up")
    assert_language(window, language, "wrap-up")

    # The compact softphone: a narrower window (the softphone's own controls set its least
    # width), the caller card and the dialog card in one column.
    full_width = window.width()
    window.desk.set_mode(COMPACT)
    qtbot.wait(100)
    assert window.width() <= 0.75 * full_width
    assert panel.isVisible() and panel.finish.isVisible()
    shot(qtbot, window, f"{language}-5-compact-wrap-up")
    window.desk.set_mode(FULL)
    assert window.width() >= 0.75 * screen.width()
    window.setGeometry(screen.adjusted(60, 40, -200, -120))  # the operator moves and resizes it
    qtbot.wait(50)
    placed = window.geometry()
    caller = window.desk.caller_dock
    assert caller is not None
    window.resizeDocks([caller], [520], Qt.Orientation.Horizontal)  # a wider card
    qtbot.wait(50)
    card_width = caller.width()
    window.close()

    # The next start opens where the operator left it.
    again = desk_scenes.OperatorDesk(qtbot, tmp_path / "next-start")
    again.window.show()
    qtbot.waitExposed(again.window)
    assert again.window.desk.mode == FULL
    assert abs(again.window.x() - placed.x()) <= 2 and abs(again.window.y() - placed.y()) <= 2
    assert again.window.size() == placed.size()
    qtbot.wait(50)
    again_caller = again.window.desk.caller_dock
    assert again_caller is not None and abs(again_caller.width() - card_width) <= 0.1 * card_width
    again.window.close()


def test_qa_and_supervisor_windows_in_screenshots(qtbot: QtBot, language: str) -> None:
    qa = desk_scenes.qa_window(qtbot)
    qa.resize(1400, 800)
    qa.show()
    qtbot.waitExposed(qa)
    model = qa.search.model
    direction, duration = model.item(0, 2).text(), model.item(0, 5).text()
    assert duration == "05:17"
    assert direction == ("входящий" if language == "ru" else "inbound")
    assert "UTC" not in str(model.headerData(0, Qt.Orientation.Horizontal))  # local times
    shot(qtbot, qa, f"{language}-6-qa-search")
    assert_language(qa, language, "QA search")

    player, timeline = desk_scenes.player(qtbot)
    player.show()
    qtbot.waitExposed(player)
    events = [player.events.item(i).text() for i in range(player.events.count())]
    assert len(events) == len(timeline.marks)
    hold = "Удержание оператором" if language == "ru" else "Held by the operator"
    assert any(hold in e for e in events) and not any("media_" in e for e in events)
    shot(qtbot, player, f"{language}-7-qa-player")
    assert_language(player, language, "QA player")

    board = desk_scenes.supervisor_window(qtbot)
    board.resize(1400, 500)
    board.show()
    qtbot.waitExposed(board)
    state = board.board.table.item(1, 1).text()
    assert state == ("Не готов (Обучение)" if language == "ru" else "Not ready (Training)")
    shot(qtbot, board, f"{language}-8-supervisor-board")
    assert_language(board, language, "supervisor board")

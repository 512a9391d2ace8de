"""Every user-visible text of desktop/ has a Russian translation, the .qm is compiled, and no
text built outside tr() (event kinds, directions, defaults, units) reaches a Russian screen."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop import app as composition
from desktop import i18n
from desktop.calls import my_day
from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.my_calls import MyCallsPanel
from desktop.i18n import I18N_DIR
from desktop.operator.window import MainWindow
from desktop.qa.playback.watermark import watermark_text
from desktop.recording.indicator import why_waiting
from desktop.settings.first_run import FirstRunWizard
from desktop.settings.values import StoreSection
from tests.unit import desk_scenes
from tests.unit.fake_engine import FakeEngine

REPO = Path(__file__).resolve().parents[2]


def test_russian_translation_covers_every_text(tmp_path: Path) -> None:
    lupdate = Path(sys.executable).parent / "pyside6-lupdate"
    ts = tmp_path / "agentdesk_ru.ts"
    shutil.copy(I18N_DIR / "agentdesk_ru.ts", ts)
    sources = sorted(str(p) for p in (REPO / "desktop").rglob("*.py"))
    subprocess.run(
        [str(lupdate), *sources, "-ts", str(ts), "-no-obsolete", "-locations", "none", "-silent"],
        check=True,
        capture_output=True,
    )
    text = ts.read_text(encoding="utf-8")
    assert 'type="unfinished"' not in text, "new texts lack a translation: run scripts/i18n"
    assert text == (I18N_DIR / "agentdesk_ru.ts").read_text(encoding="utf-8"), (
        "agentdesk_ru.ts is out of date: run scripts/i18n"
    )
    assert (I18N_DIR / "agentdesk_ru.qm").stat().st_size > 0


def test_switching_the_language_to_russian_shows_russian_texts(
    qtbot: QtBot, tmp_path: Path, memory_keyring: object
) -> None:
    """The override in Settings applies at once: open panels retranslate, new windows too."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window = MainWindow(EngineBridge(FakeEngine()))
    qtbot.addWidget(window)
    composition.add_history_panels(window, window.book, StoreSection(), tmp_path / "calls.sqlite3")
    translators: list[QTranslator] = []
    menu = composition.add_settings_menu(window, tmp_path / "agentdesk.toml", translators)
    day = window.findChild(my_day.MyDayPanel)
    calls = window.findChild(MyCallsPanel)
    assert day is not None and calls is not None
    assert day.captions["answered"].text() == "Calls answered"
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    assert any(menu.action in m.actions() for m in menus)  # type: ignore[union-attr]
    try:
        dialog = menu.open()
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.ready, timeout=5000)
        assert dialog.windowTitle() == "Settings"
        dialog.language.setCurrentIndex(dialog.language.findData("ru"))
        with qtbot.waitSignal(menu.saved, timeout=5000):
            dialog.save()
        assert 'language = "ru"' in (tmp_path / "agentdesk.toml").read_text(encoding="utf-8")
        # Qt posts LanguageChange to every widget: the open panels retranslate on delivery.
        qtbot.waitUntil(lambda: day.captions["answered"].text() == "Принято звонков", timeout=5000)
        assert calls.table.horizontalHeaderItem(0).text() == "Время"
        assert calls.reload.text() == "Обновить"
        again = menu.open()
        qtbot.addWidget(again)
        assert again.windowTitle() == "Настройки"
        qtbot.waitUntil(lambda: again.ready, timeout=5000)
        for tab in range(again.tabs.count()):
            again.tabs.setCurrentIndex(tab)
            assert_russian(again, f"settings, {again.tabs.tabText(tab)}")
        again.close()
    finally:
        i18n.uninstall(app, translators)
    qtbot.waitUntil(lambda: day.captions["answered"].text() == "Calls answered", timeout=5000)


@pytest.fixture
def russian() -> Iterator[None]:
    """The UI in Russian (as ``ui.language = "ru"`` at start)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    translators = i18n.install(app, "ru")
    assert translators, "agentdesk_ru.qm did not load"
    yield
    i18n.uninstall(app, translators)


def assert_russian(widget: QWidget, state: str) -> None:
    english = desk_scenes.english_texts(widget)
    assert not english, f"{state}: texts built outside tr() reach the screen: {english}"


def test_the_operators_window_shows_no_english_in_russian(
    qtbot: QtBot, tmp_path: Path, russian: None
) -> None:
    """Every text of the window, its panels and menus through a whole call, sample data
    included: event kinds, reasons, dispositions, card labels and the backlog's reason."""
    desk = desk_scenes.OperatorDesk(qtbot, tmp_path)
    desk.window.show()
    desk.idle()
    assert_russian(desk.window, "idle")
    assert "хранилище отказало" in desk.window.recording.backlog.text()
    desk.ring()
    assert_russian(desk.window, "ringing")
    desk.answer()
    assert_russian(desk.window, "on call")
    desk.hang_up()
    assert_russian(desk.window, "wrap-up")
    dispositions = desk.panel.dialog.disposition
    assert dispositions.itemText(1) == "решено" and dispositions.itemData(1) == "resolved"
    for (state, _reason), action in desk.window.state_bar.actions_by_key.items():
        assert not desk_scenes.ENGLISH_WORD.search(action.text()), (state, action.text())


def test_the_qa_window_player_and_board_show_no_english_in_russian(
    qtbot: QtBot, russian: None
) -> None:
    qa = desk_scenes.qa_window(qtbot)
    assert_russian(qa, "QA search")
    row = [qa.search.model.item(0, c).text() for c in range(qa.search.model.columnCount())]
    assert row[2] == "входящий" and row[5] == "05:17", row
    player, _timeline = desk_scenes.player(qtbot)
    assert_russian(player, "player")
    events = [player.events.item(i).text() for i in range(player.events.count())]
    assert any("Удержание оператором" in e for e in events), events
    assert any(e.endswith("Перевод: 200 OK") for e in events), events
    board = desk_scenes.supervisor_window(qtbot)
    assert_russian(board, "supervisor board")
    assert board.board.table.item(1, 1).text() == "Не готов (Обучение)"
    board.tabs.setCurrentIndex(1)  # the reports
    qtbot.wait(50)
    assert_russian(board, "reports")


def test_the_first_run_wizard_shows_no_english_in_russian(
    qtbot: QtBot, tmp_path: Path, russian: None
) -> None:
    wizard = FirstRunWizard(tmp_path / "agentdesk.toml")
    qtbot.addWidget(wizard)
    wizard.show()
    for page in wizard.pageIds():  # each page as it is first shown (no page validated)
        wizard.setStartId(page)
        wizard.restart()
        assert_russian(wizard, f"first run, page {page}")


def test_the_export_watermark_is_translated_in_local_time(russian: None) -> None:
    text = watermark_text("quinn", desk_scenes.NOW_US)
    assert text.startswith("Экспортировал quinn, ")
    assert text.endswith(i18n.local_time(desk_scenes.NOW_US, zone=True))
    assert re.search(r"UTC[+-]\d\d:\d\d$", text)


def test_the_backlog_says_why_items_wait() -> None:
    refused = "PUT /agents/bob/state: 403 agents can only set their own state; supervisors any"
    assert why_waiting(refused) == "the store refused: agents can only set their own state"
    away = "cannot reach the store at https://s: Connection refused (retrying in 30 s)"
    assert why_waiting(away) == "store unreachable (retrying in 30 s)"
    assert why_waiting("POST /calls: 401 token expired") == (
        "the store does not accept this computer's sign-in"
    )
    assert why_waiting("upload spool 85 % full") == "the upload spool is 85 % full"

"""Every user-visible text of desktop/ has a Russian translation, and the .qm is compiled."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop import app as composition
from desktop import i18n
from desktop.calls.engine_bridge import EngineBridge
from desktop.i18n import I18N_DIR
from desktop.operator.window import MainWindow
from desktop.settings.values import StoreSection
from desktop.widgets import my_day
from desktop.widgets.my_calls import MyCallsPanel
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
        again.close()
    finally:
        i18n.uninstall(app, translators)
    qtbot.waitUntil(lambda: day.captions["answered"].text() == "Calls answered", timeout=5000)

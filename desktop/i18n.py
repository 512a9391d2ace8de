"""Russian and English: picking the language and installing the Qt translators.

Sources are in English; ``resources/i18n/agentdesk_ru.ts`` holds the Russian texts and
``agentdesk_ru.qm`` is its compiled form (``scripts/i18n`` refreshes both; ``scripts/setup``
recompiles the .qm when the .ts is newer).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)
I18N_DIR = Path(__file__).resolve().parent.parent / "resources" / "i18n"
TRANSLATED = ("ru",)


def choose_language(setting: str, system: QLocale | None = None) -> str:
    """'en' or 'ru' for ``ui.language`` ('auto' follows the system locale)."""
    if setting in ("en", *TRANSLATED):
        return setting
    locale = system or QLocale.system()
    return "ru" if locale.language() == QLocale.Language.Russian else "en"


def install(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Install our and Qt's own translators; keep the returned list alive while in use."""
    if language not in TRANSLATED:
        return []
    installed = []
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name, folder in ((f"agentdesk_{language}", str(I18N_DIR)), (f"qtbase_{language}", qt_dir)):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            installed.append(translator)
        elif name.startswith("agentdesk"):
            log.warning("no translation %s.qm in %s: the UI stays in English", name, folder)
    return installed


def uninstall(app: QCoreApplication, translators: list[QTranslator]) -> None:
    for translator in translators:
        app.removeTranslator(translator)


def switch(app: QCoreApplication, setting: str, current: list[QTranslator]) -> list[QTranslator]:
    """Apply a new ``ui.language`` now: swap the translators (widgets get a LanguageChange
    event and those that handle it retranslate at once; the rest on their next start)."""
    uninstall(app, current)
    return install(app, choose_language(setting))

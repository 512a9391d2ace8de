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


# --- texts made from data ------------------------------------------------------------------
def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks a text for pyside6-lupdate (which looks for this name); translated when shown."""
    return text


# The shipped defaults of the settings (desktop/settings/sections.py, desktop/crm/config.py):
# stored and sent to the store as they are, shown in the operator's language.
DEFAULT_TEXTS = frozenset(
    (
        QT_TRANSLATE_NOOP("Defaults", "Training"),
        QT_TRANSLATE_NOOP("Defaults", "Meeting"),
        QT_TRANSLATE_NOOP("Defaults", "Back office"),
        QT_TRANSLATE_NOOP("Defaults", "Technical problem"),
        QT_TRANSLATE_NOOP("Defaults", "Break"),
        QT_TRANSLATE_NOOP("Defaults", "Lunch"),
        QT_TRANSLATE_NOOP("Defaults", "resolved"),
        QT_TRANSLATE_NOOP("Defaults", "callback"),
        QT_TRANSLATE_NOOP("Defaults", "escalated"),
        QT_TRANSLATE_NOOP("Defaults", "no answer needed"),
        QT_TRANSLATE_NOOP("Defaults", "Topic"),
        QT_TRANSLATE_NOOP("Defaults", "Notes"),
    )
)


def shown(value: str) -> str:
    """A settings value as shown: a shipped default in the UI's language, anything the site
    configured itself as it is."""
    if value in DEFAULT_TEXTS:
        return QCoreApplication.translate("Defaults", value)
    return value


def direction_name(direction: str) -> str:
    names = {
        "inbound": QCoreApplication.translate("Calls", "inbound"),
        "outbound": QCoreApplication.translate("Calls", "outbound"),
        "internal": QCoreApplication.translate("Calls", "internal"),
    }
    return names.get(direction, direction)


def duration_text(seconds: float) -> str:
    """A call's length as mm:ss (h:mm:ss from an hour on)."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def local_time(utc_us: int, seconds: bool = False, zone: bool = False) -> str:
    """A UTC µs time in the operator's time zone, e.g. "2026-03-05 14:07" (with "+03:00")."""
    from PySide6.QtCore import QDateTime

    when = QDateTime.fromMSecsSinceEpoch(int(utc_us) // 1000).toLocalTime()
    text = when.toString("yyyy-MM-dd HH:mm:ss" if seconds else "yyyy-MM-dd HH:mm")
    if zone:
        offset = when.offsetFromUtc()
        sign = "+" if offset >= 0 else "-"
        hours, minutes = divmod(abs(offset) // 60, 60)
        text += f" UTC{sign}{hours:02d}:{minutes:02d}"
    return text


def size_text(size: int) -> str:
    """A byte count with its unit in the UI's language, e.g. "5.0 MB" / "5.0 МБ"."""
    units = (
        (1 << 30, QCoreApplication.translate("Units", "%1 GB")),
        (1 << 20, QCoreApplication.translate("Units", "%1 MB")),
        (1 << 10, QCoreApplication.translate("Units", "%1 KB")),
    )
    for scale, text in units:
        if size >= scale:
            return text.replace("%1", f"{size / scale:.1f}")
    return QCoreApplication.translate("Units", "%1 B").replace("%1", str(size))

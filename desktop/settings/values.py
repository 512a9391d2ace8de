"""Typed user settings from ``agentdesk.toml``: read, validated and written.

A missing file means the embedded default (demo mode). A broken file never stops the app: it
starts in a safe state (no SIP account, engine off) and shows the problems, each naming the
file, the key and, where it can be found, the line. Passwords are never read from the file.
The sections are defined in desktop/settings/sections.py and checked by
desktop/settings/validation.py; this module is where the rest of the desktop takes them from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from desktop.crm.config import CrmSection, DialogCardSection
from desktop.settings.file import locate, parse_settings, to_toml, write_atomically
from desktop.settings.sections import (
    AccountSection,
    AgentSection,
    AudioSection,
    DemoSection,
    RecorderSection,
    Settings,
    SipSection,
    StoreSection,
    UiSection,
    UploadSection,
)
from desktop.settings.validation import recorder_notes, validate

__all__ = [
    "CONFIG_NAME",
    "AccountSection",
    "AgentSection",
    "AudioSection",
    "DemoSection",
    "LoadedSettings",
    "RecorderSection",
    "Settings",
    "SipSection",
    "StoreSection",
    "UiSection",
    "UploadSection",
    "default_path",
    "load",
    "save",
    "validate",
]

CONFIG_NAME = "agentdesk.toml"
# Keys of older files, read without complaint but no longer used: what replaced them.
DEPRECATED = {
    "recorder.wrapup_s": "deprecated and ignored: the screen is recorded through the whole "
    "wrap-up, until the dialog card is finished, at most [agent] wrap_up_max_s",
}


@dataclass
class LoadedSettings:
    """Settings plus where they came from and what was wrong with the file."""

    settings: Settings
    path: Path
    source: str  # "file" | "default" (no file: demo) | "safe" (the file has errors)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def safe_mode(self) -> bool:
        return self.source == "safe"

    @property
    def warnings(self) -> list[str]:
        """Notes the operator must see like problems (a misspelt key or section is ignored,
        so the setting it meant silently keeps its default)."""
        return [n for n in self.notes if ": unknown key " in n or ": unknown section" in n]


def default_path() -> Path:
    """``agentdesk/agentdesk.toml`` in the user's config folder (~/.config on Linux)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "agentdesk" / CONFIG_NAME


def load(path: Path | None = None, *, demo: bool = False) -> LoadedSettings:
    """Read and validate the settings file; never raises for a bad file."""
    path = path or default_path()
    if not path.exists():
        loaded = LoadedSettings(Settings().as_demo(), path, "default")
        loaded.notes.append(f"{path.name}: no settings file at {path}; running the demo")
        return loaded
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _safe(path, [f"{path.name}: cannot be read: {exc}"], [], demo)
    sections, problems, notes = parse_settings(text, path.name, _SECTIONS)
    notes = [_deprecation(note) for note in notes]
    if problems:
        return _safe(path, problems, notes, demo)
    settings = Settings(**sections)
    if demo or settings.demo.enabled:
        settings = settings.as_demo()
    problems = validate(settings, path.name, text)
    if problems:
        return _safe(path, problems, notes, demo)
    notes += [locate(note, text) for note in recorder_notes(settings, path.name)]
    return LoadedSettings(settings, path, "file", [], notes)


def save(settings: Settings, path: Path) -> None:
    """Write ``settings`` as TOML (there is no password field: it cannot reach the file)."""
    sections = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    write_atomically(path, to_toml(sections))


def _deprecation(note: str) -> str:
    """The parser's "unknown key" note of a key older files have, saying what replaced it."""
    for key, why in DEPRECATED.items():
        head, sep, tail = note.partition(f": unknown key {key}")
        if sep and tail.startswith((" (", " —")):
            line = tail[tail.find(" (line") :] if " (line" in tail else ""
            return f"{head}: {key}: {why}{line}"
    return note


def _safe(path: Path, problems: list[str], notes: list[str], demo: bool) -> LoadedSettings:
    if demo:  # the demo runs on embedded defaults; the file's problems are only reported
        return LoadedSettings(Settings().as_demo(), path, "default", [], problems + notes)
    return LoadedSettings(Settings(), path, "safe", problems, notes)


_SECTIONS = {
    "account": AccountSection,
    "sip": SipSection,
    "audio": AudioSection,
    "ui": UiSection,
    "demo": DemoSection,
    "recorder": RecorderSection,
    "crm": CrmSection,
    "dialog_card": DialogCardSection,
    "agent": AgentSection,
    "store": StoreSection,
    "upload": UploadSection,
}

"""Where the app keeps its data on this PC: ``agentdesk`` in the user's data folder
(~/.local/share on Linux) — the call log, the call audio, screen recordings and the outbox.

The demo keeps all of it under ``agentdesk/demo`` (`use_demo`), beside its own store: its
calls, recordings and uploads never mix with the real ones, and nothing the demo leaves in
its outbox is ever sent to the real store."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

_demo = False


def use_demo(on: bool = True) -> None:
    """From now on, this process keeps its data in the demo's folder (or the real one)."""
    global _demo
    _demo = on


def app_data() -> Path:
    """``agentdesk`` in the user's data folder, the demo's or not."""
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(data or Path.home() / ".local" / "share") / "agentdesk"


def demo_data() -> Path:
    return app_data() / "demo"


def data_root() -> Path:
    """Where this process keeps its calls, recordings and outbox."""
    return demo_data() if _demo else app_data()

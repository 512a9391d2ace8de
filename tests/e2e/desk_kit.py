"""Waiting on the desktop app of the end-to-end tests while Qt runs its events."""

from __future__ import annotations

import time
from typing import Any

from pytestqt.qtbot import QtBot


def wait_for(what: str, check: Any, timeout_s: float, qtbot: QtBot) -> Any:
    """Poll ``check()`` (bounded) while Qt runs; its first truthy answer (an exception counts
    as no answer yet)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = check()
        except Exception:
            found = None
        if found:
            return found
        qtbot.wait(200)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")

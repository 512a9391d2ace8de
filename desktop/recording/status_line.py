"""The line the operator reads about the screen recorder: whether the screen is being recorded
now, and if not, why. Its texts keep the ``RecorderLink`` translation context."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication


def describe(state: dict[str, Any], capture: bool) -> str:
    """The operator's line for a worker state (``capture``: the policy records this operator's
    screen at all)."""
    if not capture:
        return QCoreApplication.translate(
            "RecorderLink", "Screen not recorded: the recording policy is off for you"
        )
    if not state.get("capturing"):
        return QCoreApplication.translate("RecorderLink", "Screen recorder starting…")
    windows = state.get("windows", [])
    if state.get("recording"):
        text = QCoreApplication.translate("RecorderLink", "Screen recording ON")
        if state.get("paused"):
            text = QCoreApplication.translate(
                "RecorderLink", "Screen recording ON, PAUSED: the screen is blacked out"
            )
        elif state.get("masked"):
            masked = QCoreApplication.translate("RecorderLink", " (masked: %1)")
            text += masked.replace("%1", ", ".join(state["masked"]))
    elif any(w.get("state") == "awaiting_consent" for w in windows):
        text = QCoreApplication.translate(
            "RecorderLink", "Screen recording waits for the caller's consent"
        )
    elif windows:
        reason = windows[-1].get("reason", "")
        text = QCoreApplication.translate("RecorderLink", "Screen NOT recorded: %1")
        text = text.replace("%1", reason)
    else:
        text = QCoreApplication.translate(
            "RecorderLink", "Screen recorder ready (records during calls)"
        )
    if state.get("mask_failed"):
        text += QCoreApplication.translate(
            "RecorderLink", "; window titles unreadable: whole screen masked"
        )
    return text

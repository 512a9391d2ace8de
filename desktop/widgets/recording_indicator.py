"""Whether the operator is being recorded, right now, and what still waits to be uploaded;
with the privacy pause, the caller's consent and a mark-this-moment button."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDateTime, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

ON, PAUSED, WAITING, OFF = "on", "paused", "waiting", "off"
DOT = {ON: "#d32f2f", PAUSED: "#f9a825", WAITING: "#f9a825", OFF: "#9e9e9e"}


def recording_mode(state: dict[str, Any], alive: bool) -> str:
    """ON / PAUSED / WAITING (consent) / OFF for a recorder worker's state event."""
    if not alive or not state.get("capturing"):
        return OFF
    if state.get("recording"):
        return PAUSED if state.get("paused") else ON
    windows = state.get("windows", [])
    if any(w.get("state") == "awaiting_consent" for w in windows):
        return WAITING
    return OFF


def size_text(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


class RecordingIndicator(QWidget):
    """A red dot while recorded; emits ``pause_toggled(on)``, ``consent_given()``, ``marked()``."""

    pause_toggled = Signal(bool)
    consent_given = Signal()
    marked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = OFF
        self.available = False
        self.in_call = False
        self.dot = QLabel(self)
        self.dot.setObjectName("recordingDot")
        self.label = QLabel(self)
        self.label.setObjectName("recordingLabel")
        self.backlog = QLabel(self)
        self.backlog.setObjectName("uploadBacklog")
        self.pause_button = QPushButton(self.tr("Pause recording"), self)
        self.pause_button.setObjectName("pauseRecordingButton")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.consent_button = QPushButton(self.tr("Caller consented"), self)
        self.consent_button.setObjectName("consentButton")
        self.consent_button.clicked.connect(self.consent_given)
        self.mark_button = QPushButton(self.tr("Mark moment"), self)
        self.mark_button.setObjectName("markButton")
        self.mark_button.clicked.connect(self.marked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label in (self.dot, self.label, self.backlog):
            layout.addWidget(label)
        layout.addStretch(1)
        for button in (self.pause_button, self.consent_button, self.mark_button):
            layout.addWidget(button)
        self.backlog.hide()  # until an upload queue reports (attach_uploads)
        self.show_status(self.tr("Screen recorder off"), {}, alive=False)

    @Slot(bool)
    def _pause_toggled(self, on: bool) -> None:
        self.pause_button.setText(self.tr("Resume recording") if on else self.tr("Pause recording"))
        self.pause_toggled.emit(on)

    def set_available(self, available: bool) -> None:
        """Whether there is a recorder to pause, tell about consent or marks."""
        self.available = available
        self._update_buttons()

    def set_in_call(self, in_call: bool) -> None:
        self.in_call = in_call
        self._update_buttons()

    def show_status(self, text: str, state: dict[str, Any], alive: bool = True) -> None:
        """The worker's status line and state (``RecorderLink.status_text`` / ``.state``)."""
        self.mode = recording_mode(state, alive)
        words = {
            ON: self.tr("REC"),
            PAUSED: self.tr("REC paused"),
            WAITING: self.tr("Awaiting consent"),
            OFF: self.tr("Not recording"),
        }
        self.dot.setText("●")
        self.dot.setStyleSheet(f"color: {DOT[self.mode]}; font-size: 16px;")
        self.label.setText(words[self.mode])
        self.label.setToolTip(text)
        self.dot.setToolTip(text)
        self._update_buttons()

    @Slot(dict)
    def show_backlog(self, status: dict[str, Any]) -> None:
        """The upload queue's status: items and bytes waiting, errors, quota warnings."""
        items, size = int(status.get("items") or 0), int(status.get("bytes") or 0)
        if items:
            text = self.tr("Uploads waiting: %1 (%2)").replace("%1", str(items))
            text = text.replace("%2", size_text(size))
        else:
            text = self.tr("Uploads: all sent")
        rate = int(status.get("rate_bps") or 0)
        if rate:
            text += " · " + self.tr("%1/s").replace("%1", size_text(rate // 8))
        problem = status.get("warning") or status.get("last_error") or ""
        if status.get("over_quota"):
            problem = self.tr("spool over quota") + (f": {problem}" if problem else "")
        if problem:
            text += " ⚠"
        tip = [str(problem)] if problem else []
        oldest = status.get("oldest_us")
        if items and oldest:
            since = QDateTime.fromMSecsSinceEpoch(int(oldest) // 1000).toString("yyyy-MM-dd HH:mm")
            tip.append(self.tr("Oldest waiting since %1").replace("%1", since))
        self.backlog.setText(text)
        self.backlog.show()
        self.backlog.setToolTip("\n".join(tip))
        self.backlog.setStyleSheet("color: #b23c17;" if problem else "")

    def _update_buttons(self) -> None:
        self.pause_button.setEnabled(self.available)
        self.consent_button.setEnabled(self.available and self.in_call)
        self.mark_button.setEnabled(self.available and self.in_call)

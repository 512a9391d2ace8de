"""Whether the operator is being recorded, right now, and what still waits to be uploaded;
with the privacy pause, the caller's consent and a mark-this-moment button."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from desktop.i18n import size_text

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


RETRY = re.compile(r"\s*\(retrying in (\d+) s\)$")
REFUSED = re.compile(r"^[A-Z]+ \S+: (\d{3}) (.*)$", re.S)
SPOOL = re.compile(r"^upload spool (\d+) % full$")


def why_waiting(message: str) -> str:
    """The uploader's last error (desktop.recording.uploads status) in the operator's words,
    e.g. "the store refused: agents can only set their own state" or "store unreachable"."""
    retry = RETRY.search(message)
    message = RETRY.sub("", message)
    if m := SPOOL.match(message):
        return QCoreApplication.translate(
            "RecordingIndicator", "the upload spool is %1 % full"
        ).replace("%1", m.group(1))
    refused = REFUSED.match(message)
    if refused and refused.group(1) == "401":
        text = QCoreApplication.translate(
            "RecordingIndicator", "the store does not accept this computer's sign-in"
        )
    elif refused and refused.group(1).startswith("5"):
        text = QCoreApplication.translate(
            "RecordingIndicator", "the store has a problem (%1)"
        ).replace("%1", refused.group(1))
    elif refused:
        detail = refused.group(2).split(";")[0].strip() or refused.group(1)
        text = QCoreApplication.translate("RecordingIndicator", "the store refused: %1").replace(
            "%1", detail
        )
    elif message.startswith(("cannot reach the store", "cannot reach object storage")):
        text = QCoreApplication.translate("RecordingIndicator", "store unreachable")
    elif message.startswith("TLS verification"):
        text = QCoreApplication.translate(
            "RecordingIndicator", "the store's certificate is not trusted"
        )
    elif message.startswith("object storage refused"):
        text = QCoreApplication.translate(
            "RecordingIndicator", "the file storage refused the upload"
        )
    elif "not queued for the store" in message or message.startswith("the upload outbox"):
        text = QCoreApplication.translate(
            "RecordingIndicator", "the outbox on this computer failed: %1"
        ).replace("%1", message.rsplit(": ", 1)[-1])
    else:
        text = message
    if retry:
        text += " " + QCoreApplication.translate(
            "RecordingIndicator", "(retrying in %1 s)"
        ).replace("%1", retry.group(1))
    return text


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
        self.backlog.setWordWrap(True)  # the reason may be long: wrapped, never widening
        self.backlog.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
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
        line = QHBoxLayout()
        for label in (self.dot, self.label):
            line.addWidget(label)
        line.addStretch(1)
        for button in (self.pause_button, self.consent_button, self.mark_button):
            line.addWidget(button)
        layout = QVBoxLayout(self)  # the backlog under it, the whole width for its reason
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(line)
        layout.addWidget(self.backlog)
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
        """The upload queue's status: items and bytes waiting and, in words, why they wait."""
        items, size = int(status.get("items") or 0), int(status.get("bytes") or 0)
        if items:
            text = self.tr("Uploads waiting: %1").replace("%1", str(items))
            if size:
                text += f" ({size_text(size)})"
        else:
            text = self.tr("Uploads: all sent")
        rate = int(status.get("rate_bps") or 0)
        if rate:
            text += " · " + self.tr("%1/s").replace("%1", size_text(rate // 8))
        error = str(status.get("last_error") or "")
        warning = str(status.get("warning") or "")
        reasons = []
        if status.get("over_quota"):
            reasons.append(self.tr("the upload spool is full: screen recording stopped"))
        elif warning:
            reasons.append(why_waiting(warning))
        if error:
            reasons.append(why_waiting(error))
        if reasons:
            text += " — " + "; ".join(reasons)
        tip = [self.tr("The last error, as reported: %1").replace("%1", error)] if error else []
        oldest = status.get("oldest_us")
        if items and oldest:
            since = QDateTime.fromMSecsSinceEpoch(int(oldest) // 1000).toString("yyyy-MM-dd HH:mm")
            tip.append(self.tr("Oldest waiting since %1").replace("%1", since))
        self.backlog.setText(text)
        self.backlog.show()
        self.backlog.setToolTip("\n".join(tip))
        self.backlog.setStyleSheet("color: #b23c17;" if reasons else "")

    def _update_buttons(self) -> None:
        self.pause_button.setEnabled(self.available)
        self.consent_button.setEnabled(self.available and self.in_call)
        self.mark_button.setEnabled(self.available and self.in_call)

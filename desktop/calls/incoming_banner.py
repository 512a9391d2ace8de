"""A banner across the top of the window while a call rings (there is no tray icon)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.calls.model import Call


class IncomingBanner(QFrame):
    """Hidden until :meth:`show_call`; emits ``answer(call_id)`` / ``reject(call_id)``."""

    answer = Signal(str)
    reject = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incomingBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#incomingBanner { background: #fff3c4; }")
        self.call_id = ""
        self.label = QLabel(self)
        self.answer_button = QPushButton(self.tr("Answer"), self)
        self.reject_button = QPushButton(self.tr("Reject"), self)
        self.answer_button.clicked.connect(lambda: self.answer.emit(self.call_id))
        self.reject_button.clicked.connect(lambda: self.reject.emit(self.call_id))
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.answer_button)
        layout.addWidget(self.reject_button)
        self.hide()

    def show_call(self, call: Call | None) -> None:
        """Show the ringing ``call``, or hide the banner when there is none."""
        if call is None:
            self.call_id = ""
            self.hide()
            return
        self.call_id = call.call_id
        who = f"{call.display_name} ({call.number})" if call.display_name else call.number
        text = self.tr("Incoming call from %1").replace("%1", who)
        if call.waiting:
            text += " — " + self.tr("another call is in progress")
        self.label.setText(text)
        self.show()

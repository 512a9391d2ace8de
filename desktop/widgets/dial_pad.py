"""The dial field, the Call button and a 12-key pad (digits become DTMF during a call)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

KEYS = "123456789*0#"


class DialPanel(QWidget):
    """Emits ``call_requested(target)`` and ``key_pressed(digit)``."""

    call_requested = Signal(str)
    key_pressed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QLineEdit(self)
        self.field.setObjectName("dialField")
        self.field.setPlaceholderText(self.tr("Number or SIP address"))
        self.field.returnPressed.connect(self._call)
        self.call_button = QPushButton(self.tr("Call"), self)
        self.call_button.setObjectName("callButton")
        self.call_button.clicked.connect(self._call)
        top = QHBoxLayout()
        top.addWidget(self.field, 1)
        top.addWidget(self.call_button)
        pad = QGridLayout()
        self.keys: dict[str, QPushButton] = {}
        for i, key in enumerate(KEYS):
            button = QPushButton(key, self)
            button.setObjectName(f"key_{key}")
            button.clicked.connect(lambda _=False, k=key: self.key_pressed.emit(k))
            pad.addWidget(button, i // 3, i % 3)
            self.keys[key] = button
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(pad)

    def _call(self) -> None:
        target = self.field.text().strip()
        if target:
            self.call_requested.emit(target)

    def append(self, key: str) -> None:
        """A key pressed with no call to send it to goes into the dial field."""
        self.field.insert(key)

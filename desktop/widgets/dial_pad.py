"""The dial field, the Call button and a 12-key pad (digits become DTMF during a call).

Numbers pasted or typed with spaces, dashes, dots or brackets ("+7 (495) 123-45-67") are cleaned
to what can be dialled; SIP addresses are only trimmed.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

KEYS = "123456789*0#"
_NOT_DIALLABLE = re.compile(r"[^0-9*#+]")


def clean_number(text: str) -> str:
    """A phone number as it can be dialled; SIP addresses and names are only trimmed."""
    text = text.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    elif "@" in text or re.search(r"[A-Za-z]", text):
        return text
    plus = text.lstrip().startswith("+")
    digits = _NOT_DIALLABLE.sub("", text).replace("+", "")
    return ("+" if plus else "") + digits


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
        self.field.textEdited.connect(self._clean)
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

    def _clean(self, text: str) -> None:
        cleaned = clean_number(text)
        if cleaned != text and not text.endswith(" "):  # let a SIP name be typed word by word
            self.field.setText(cleaned)

    def _call(self) -> None:
        target = clean_number(self.field.text())
        if target:
            self.call_requested.emit(target)

    def append(self, key: str) -> None:
        """A key pressed with no call to send it to goes into the dial field."""
        self.field.insert(key)

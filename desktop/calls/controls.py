"""The call buttons (answer, reject, hang up, hold/resume, mute, blind and attended transfer)
for the call selected in the call list; enabled by what that call allows."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from desktop.calls.model import CallBook, actions


class CallControls(QWidget):
    """Emits ``action(name, call_id)``; ``hold`` becomes ``resume`` for a held call."""

    action = Signal(str, str)

    def __init__(self, book: CallBook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.call_id = ""
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for name, text in (
            ("answer", self.tr("Answer")),
            ("reject", self.tr("Reject")),
            ("hangup", self.tr("Hang up")),
            ("hold", self.tr("Hold")),
            ("mute", self.tr("Mute")),
            ("transfer", self.tr("Transfer…")),
            ("attended", self.tr("Attended transfer…")),
        ):
            button = QPushButton(text, self)
            button.setObjectName(f"{name}Button")
            button.clicked.connect(lambda _=False, n=name: self.trigger(n))
            row.addWidget(button)
            self.buttons[name] = button
        self.buttons["mute"].setCheckable(True)
        self.show_call("")

    def show_call(self, call_id: str) -> None:
        """Enable the buttons for ``call_id`` ('' = no call selected)."""
        self.call_id = call_id
        call = self.book.get(call_id)
        allowed = actions(call, self.book)
        for name, button in self.buttons.items():
            button.setEnabled(name in allowed or (name == "hold" and "resume" in allowed))
        held = call is not None and call.held
        self.buttons["hold"].setText(self.tr("Resume") if held else self.tr("Hold"))
        self.buttons["mute"].setChecked(call is not None and call.muted)

    def trigger(self, name: str) -> None:
        """Act on the shown call as if the button ``name`` were clicked (shortcuts use it)."""
        call = self.book.get(self.call_id)
        button = self.buttons.get(name)
        if call is None or button is None or not button.isEnabled():
            return
        if name == "hold" and call.held:
            name = "resume"
        self.action.emit(name, call.call_id)

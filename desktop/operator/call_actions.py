"""What the operator does to calls from the softphone window: the call buttons, the Call
menu's keyboard shortcuts, the transfer dialogs and the dial pad's keys (DTMF during a call).
Its texts keep the ``MainWindow`` translation context."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, Slot
from PySide6.QtWidgets import QInputDialog, QWidget

from desktop.calls.call_list import CallList
from desktop.calls.controls import CallControls
from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.model import CallBook, actions
from desktop.widgets.dial_pad import DialPanel


class CallActions(QObject):
    """Turns the operator's clicks, shortcuts and keys into engine commands; the dialogs it
    asks open over ``window``."""

    def __init__(
        self,
        window: QWidget,
        bridge: EngineBridge,
        book: CallBook,
        calls: CallList,
        controls: CallControls,
        dial: DialPanel,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.bridge = bridge
        self.book = book
        self.calls = calls
        self.controls = controls
        self.dial = dial
        controls.action.connect(self.on_call_action)
        dial.key_pressed.connect(self.on_key)

    @Slot(str, str)
    def on_call_action(self, name: str, call_id: str) -> None:
        b = self.bridge
        row = self.book.get(call_id)
        if name == "mute" and row is not None:
            b.set_mute(call_id, not row.muted)
            self.calls.refresh()  # the button shows the real state until the engine confirms
        elif name == "transfer":
            target = self.ask_transfer_target()
            if target:
                b.transfer_blind(call_id, target)
        elif name == "attended":
            consult = self.ask_consult_call(call_id)
            if consult:
                b.transfer_attended(call_id, consult)
        elif name == "resume":  # switching between two calls: the other one waits on hold
            for other in self.book.rows.values():
                if other.call_id != call_id and other.state == "confirmed" and not other.held:
                    b.hold(other.call_id)
            b.resume(call_id)
        elif name in ("answer", "reject", "hangup", "hold"):
            getattr(b, name)(call_id)

    def shortcut(self, name: str) -> None:
        """A keyboard shortcut: answer the ringing call; the others act on the selected call."""
        if name == "answer":
            ringing = self.book.ringing()
            if ringing:
                self.on_call_action("answer", ringing[0].call_id)
            return
        self.controls.trigger(name)

    def ask_transfer_target(self) -> str:
        text, ok = QInputDialog.getText(
            self.window,
            QCoreApplication.translate("MainWindow", "Transfer"),
            QCoreApplication.translate(
                "MainWindow", "Transfer the call to (number or SIP address):"
            ),
        )
        return text.strip() if ok else ""

    def ask_consult_call(self, call_id: str) -> str:
        candidates = self.book.consult_candidates(call_id)
        labels = [f"{c.number} {c.display_name}".strip() for c in candidates]
        if not labels:
            return ""
        label, ok = QInputDialog.getItem(
            self.window,
            QCoreApplication.translate("MainWindow", "Attended transfer"),
            QCoreApplication.translate("MainWindow", "Connect the caller with:"),
            labels,
            0,
            False,
        )
        return candidates[labels.index(label)].call_id if ok and label in labels else ""

    @Slot(str)
    def on_key(self, key: str) -> None:
        """During a call a key sends DTMF; otherwise it goes into the dial field."""
        call_id = self.calls.selected_call_id()
        if "dtmf" in actions(self.book.get(call_id), self.book):
            self.bridge.send_dtmf(call_id, key)
        else:
            self.dial.append(key)

"""The call table: one row per call of the call model (number, name, state, duration, notes),
one selected; it follows the model's signals."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.calls.model import Call, CallBook

COLUMNS = 5  # number, name, state, duration, note


class CallList(QWidget):
    """Shows a :class:`CallBook`; emits ``selected(call_id)`` ('' = none) as the choice moves."""

    selected = Signal(str)

    def __init__(self, book: CallBook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.table = QTableWidget(0, COLUMNS, self)
        self.table.setObjectName("callTable")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Number"), self.tr("Name"), self.tr("State"), self.tr("Duration"), ""]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self.update_buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)  # runs while there are calls to time
        for signal in (book.added, book.changed, book.ended):
            signal.connect(self.refresh)
        self.refresh()

    # --- view ---------------------------------------------------------------------------
    def refresh(self, _call: object = None) -> None:
        """Rebuild the rows from the book (at most a few calls), keeping the selection."""
        keep = self.selected_call_id()
        rows = list(self.book.rows.values())
        self.table.setRowCount(len(rows))
        for i, call in enumerate(rows):
            for col, text in enumerate(self._cells(call)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, call.call_id)
                self.table.setItem(i, col, item)
        if rows and not self._clock.isActive():
            self._clock.start()
        elif not rows:
            self._clock.stop()
        ids = [r.call_id for r in rows]
        if keep in ids:
            self.select(keep)
        elif ids:
            self.select(ids[-1])
        self.update_buttons()

    def _cells(self, call: Call) -> list[str]:
        minutes, seconds = divmod(call.duration_s(), 60)
        return [
            call.number,
            call.display_name,
            self.state_text(call),
            f"{minutes}:{seconds:02d}",
            self.note_text(call),
        ]

    def state_text(self, call: Call) -> str:
        if call.ringing:
            return self.tr("Ringing")
        if call.state == "confirmed":
            return self.tr("On hold") if call.held else self.tr("Talking")
        names = {
            "calling": self.tr("Calling"),
            "early": self.tr("Ringing at the other end"),
            "connecting": self.tr("Connecting"),
            "disconnected": self.tr("Ended"),
        }
        return names.get(call.state, call.state)

    def note_text(self, call: Call) -> str:
        notes = []
        if call.waiting and call.ringing:
            notes.append(self.tr("waiting"))
        if call.media == "remote_hold":
            notes.append(self.tr("held by the other side"))
        if call.muted:
            notes.append(self.tr("muted"))
        return ", ".join(notes)

    def _tick(self) -> None:
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 3)
            call = self.book.get(item.data(Qt.ItemDataRole.UserRole)) if item else None
            if item is not None and call is not None:
                minutes, seconds = divmod(call.duration_s(), 60)
                item.setText(f"{minutes}:{seconds:02d}")

    # --- selection and buttons ----------------------------------------------------------
    def selected_call_id(self) -> str:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else ""

    def select(self, call_id: str) -> None:
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == call_id:
                flags = QItemSelectionModel.SelectionFlag
                index = self.table.model().index(i, 0)
                self.table.selectionModel().select(index, flags.ClearAndSelect | flags.Rows)
                return

    def update_buttons(self) -> None:
        """Tell the call controls which call is selected (also after its state changed)."""
        self.selected.emit(self.selected_call_id())

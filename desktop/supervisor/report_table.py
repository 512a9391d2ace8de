"""A report's rows as a Qt table model: cells are formatted when the view shows them, and
sorting reorders row numbers, so a year of day × agent (109,500 rows × 31 columns) loads at
once instead of making an item per cell on the UI thread."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
NO_INDEX = QModelIndex()


def number_text(value: Any) -> str:
    """A metric as shown: thousands spaced, one decimal for seconds and percentages."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ")
    return str(value)


class ReportTableModel(QAbstractTableModel):
    """Columns: the report's keys (shown by `key_text`), then its metrics."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: Sequence[Mapping[str, Any]] = []
        self._order: list[int] = []
        self._keys: list[str] = []
        self._columns: list[str] = []
        self._headers: list[str] = []
        self._key_text: Callable[[str, Mapping[str, Any]], str] = lambda _k, _r: ""

    def set_report(
        self,
        rows: Sequence[Mapping[str, Any]],
        keys: list[str],
        columns: list[str],
        headers: list[str],
        key_text: Callable[[str, Mapping[str, Any]], str],
    ) -> None:
        self.beginResetModel()
        self._rows, self._order = rows, list(range(len(rows)))
        self._keys, self._columns, self._headers = keys, [*keys, *columns], headers
        self._key_text = key_text
        self.endResetModel()

    def row(self, visible: int) -> Mapping[str, Any]:
        """The report row shown at `visible` (after sorting)."""
        return self._rows[self._order[visible]]

    def rowCount(self, parent: Index = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: Index = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self._headers)
        ):
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        name = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            row = self.row(index.row())
            if index.column() < len(self._keys):
                return self._key_text(name, row)
            return number_text(row.get(name))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= len(self._keys):
            return int(RIGHT.value)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """By the column's values (not their text); empty cells last either way."""
        if not 0 <= column < len(self._columns):
            return
        name = self._columns[column]
        rows = self._rows
        present = [i for i in range(len(rows)) if rows[i].get(name) is not None]
        empty = [i for i in range(len(rows)) if rows[i].get(name) is None]
        present.sort(key=lambda i: rows[i][name], reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutAboutToBeChanged.emit()
        kept = self.persistentIndexList()  # the selection follows its rows
        shown = [self._order[i.row()] for i in kept]
        self._order = present + empty
        at = {row: visible for visible, row in enumerate(self._order)}
        self.changePersistentIndexList(
            kept, [self.index(at[row], i.column()) for row, i in zip(shown, kept, strict=True)]
        )
        self.layoutChanged.emit()

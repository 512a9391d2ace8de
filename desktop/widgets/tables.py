"""Tables the user reads but does not edit (the supervisors' boards and lists)."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QWidget


def read_only_table(
    parent: QWidget,
    name: str,
    headers: list[str],
    *,
    pick_row: bool = False,
    fill_width: bool = False,
) -> QTableWidget:
    """An empty table named ``name`` with these column headers. ``pick_row``: a click selects
    one whole row (the row a button acts on); ``fill_width``: no row numbers, and the columns
    share the table's width."""
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    if pick_row:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    if fill_width:
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table

"""The window of ``bench.browser_screen``: a CRM in a browser, in PySide6 widgets.

Imported only once the screen runs (it imports Qt). Drawn like ``bench.operator_window``
(Fusion, DejaVu Sans 10 pt, a frameless window over the whole 1920×1080 screen).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtWidgets

from bench.browser_script import BROWSER_COLUMNS, BROWSER_PAGES, ROW_PX, BrowserData
from bench.operator_script import HEIGHT, WIDTH
from bench.operator_window import CaretLine


@dataclass
class BrowserWindow:
    """The window and the widgets the script changes."""

    window: QtWidgets.QWidget
    clock: QtWidgets.QLabel
    call: QtWidgets.QLabel
    tab_bar: QtWidgets.QTabBar
    address: QtWidgets.QLineEdit
    loading: QtWidgets.QProgressBar
    nav: QtWidgets.QListWidget
    table: QtWidgets.QTableWidget
    chat: QtWidgets.QListWidget
    typing: QtWidgets.QLabel
    chat_input: CaretLine
    chat_tab: QtWidgets.QLabel


def fill_table(view: QtWidgets.QTableWidget, page: str, data: BrowserData) -> None:
    """Show ``page``'s rows (a page load: the table starts at the top)."""
    rows, headers = data.tables[page], BROWSER_COLUMNS[page]
    view.setUpdatesEnabled(False)
    view.clearContents()
    view.setRowCount(len(rows))
    view.setColumnCount(len(headers))
    view.setHorizontalHeaderLabels(list(headers))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            view.setItem(r, c, QtWidgets.QTableWidgetItem(value))
    view.verticalScrollBar().setValue(0)
    view.clearSelection()
    view.setUpdatesEnabled(True)


def _labelled(text: str, style: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setStyleSheet(style)
    return label


def build_browser_window(data: BrowserData) -> BrowserWindow:
    """Browser chrome (tabs, address bar, loading bar), the CRM's header, side bar, table and
    chat; not shown yet."""
    window = QtWidgets.QWidget()
    window.setWindowTitle("CRM in a browser (bench)")
    window.setWindowFlag(QtCore.Qt.WindowType.FramelessWindowHint)
    window.setGeometry(0, 0, WIDTH, HEIGHT)
    window.setFixedSize(WIDTH, HEIGHT)
    window.setStyleSheet(
        "#chrome { background: #dee1e6; } #header { background: #2d6a4f; }"
        "#header QLabel { color: white; font-size: 11pt; } #chatpane { background: #f7f7f9; }"
        "QProgressBar { border: 0; background: #dee1e6; } "
        "QProgressBar::chunk { background: #1a73e8; }"
    )
    root = QtWidgets.QVBoxLayout(window)
    root.setContentsMargins(0, 0, 0, 0)
    root.setSpacing(0)

    chrome = QtWidgets.QFrame()
    chrome.setObjectName("chrome")
    chrome_rows = QtWidgets.QVBoxLayout(chrome)
    chrome_rows.setContentsMargins(8, 4, 8, 4)
    tab_bar = QtWidgets.QTabBar()
    for title in ("CRM · Leads", "Mail (3)", "Knowledge base", "Tariffs 2024"):
        tab_bar.addTab(title)
    address = QtWidgets.QLineEdit("https://crm.example/leads")
    address.setReadOnly(True)
    chrome_rows.addWidget(tab_bar)
    chrome_rows.addWidget(address)
    root.addWidget(chrome)
    loading = QtWidgets.QProgressBar()
    loading.setFixedHeight(3)
    loading.setTextVisible(False)
    loading.setValue(0)
    root.addWidget(loading)

    header = QtWidgets.QFrame()
    header.setObjectName("header")
    header.setFixedHeight(44)
    header_row = QtWidgets.QHBoxLayout(header)
    header_row.setContentsMargins(16, 0, 16, 0)
    header_row.addWidget(QtWidgets.QLabel("<b>SalesDesk CRM</b>   Anna Petrova · ext. 1017"))
    header_row.addStretch(1)
    call = QtWidgets.QLabel("On call  00:01:35")
    clock = QtWidgets.QLabel("00:00:00 UTC")
    header_row.addWidget(call)
    header_row.addSpacing(32)
    header_row.addWidget(clock)
    root.addWidget(header)
    for label in (call, clock):  # fixed widths: ticking text must not move the layout
        label.ensurePolished()
        label.setFixedWidth(label.sizeHint().width() + 16)
        label.setAlignment(
            QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        )

    body = QtWidgets.QHBoxLayout()
    body.setSpacing(0)
    root.addLayout(body, 1)
    nav = QtWidgets.QListWidget()
    nav.setFixedWidth(220)
    for page in BROWSER_PAGES:
        nav.addItem(page.capitalize())
    nav.setCurrentRow(0)
    body.addWidget(nav)

    table = QtWidgets.QTableWidget()
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(ROW_PX)
    table.horizontalHeader().setStretchLastSection(True)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setVerticalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerPixel)
    fill_table(table, BROWSER_PAGES[0], data)
    for column, width in enumerate((90, 100, 190, 190, 190, 120, 110)):
        table.setColumnWidth(column, width)
    body.addWidget(table, 1)

    pane = QtWidgets.QFrame()
    pane.setObjectName("chatpane")
    pane.setFixedWidth(440)
    pane_rows = QtWidgets.QVBoxLayout(pane)
    chat_tab = _labelled("<b>Chat</b> with the customer", "font-size: 11pt;")
    chat = QtWidgets.QListWidget()
    chat.setWordWrap(True)
    chat.setVerticalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerPixel)
    typing = _labelled("", "color: #666; font-style: italic;")
    typing.setFixedHeight(22)
    chat_input = CaretLine()
    chat_input.setPlaceholderText("Write a message…")
    for widget in (chat_tab, chat, typing, chat_input):
        pane_rows.addWidget(widget, 1 if widget is chat else 0)
    body.addWidget(pane)
    return BrowserWindow(
        window, clock, call, tab_bar, address, loading, nav, table, chat, typing, chat_input,
        chat_tab,
    )  # fmt: skip

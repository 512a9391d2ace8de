"""The window of ``bench.operator_screen``: a CRM-like operator desktop in PySide6 widgets.

Imported only once the screen runs (it imports Qt). The caret of the fields is drawn by the
script, not by Qt (no widget takes focus), so it blinks at scripted times too.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from bench.operator_script import (
    CUSTOMER_FIELDS,
    FIELD_LABELS,
    HEIGHT,
    MULTILINE_FIELDS,
    PAGE_TITLES,
    STATUSES,
    TICKET_CATEGORIES,
    WIDTH,
    DemoData,
)


class CaretLine(QtWidgets.QLineEdit):
    """A line edit that draws our scripted caret instead of Qt's focus-driven one."""

    caret = False

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        super().paintEvent(event)
        if self.caret:
            rect = self.cursorRect()
            painter = QtGui.QPainter(self)
            painter.fillRect(
                rect.center().x(), rect.top(), 1, rect.height(), QtCore.Qt.GlobalColor.black
            )
            painter.end()


class CaretText(QtWidgets.QPlainTextEdit):
    caret = False

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        super().paintEvent(event)
        if self.caret:
            rect = self.cursorRect()
            painter = QtGui.QPainter(self.viewport())
            painter.fillRect(rect.left(), rect.top(), 1, rect.height(), QtCore.Qt.GlobalColor.black)
            painter.end()

    def set_text(self, text: str) -> None:
        self.setPlainText(text)
        self.moveCursor(QtGui.QTextCursor.MoveOperation.End)


def table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> QtWidgets.QTableWidget:
    view = QtWidgets.QTableWidget(len(rows), len(headers))
    view.setHorizontalHeaderLabels(list(headers))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            view.setItem(r, c, QtWidgets.QTableWidgetItem(value))
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.setVerticalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerItem)
    view.resizeColumnsToContents()
    return view


@dataclass
class OperatorWindow:
    """The window and the widgets the script changes."""

    window: QtWidgets.QWidget
    clock: QtWidgets.QLabel
    call: QtWidgets.QLabel
    queue: QtWidgets.QLabel
    tabs: QtWidgets.QTabWidget
    editors: dict[str, CaretLine | CaretText]
    scrollers: dict[str, QtWidgets.QAbstractScrollArea]
    recent_orders: QtWidgets.QTableWidget
    ticket_list: QtWidgets.QListWidget


def build_window(data: DemoData) -> OperatorWindow:
    """The whole screen: top bar, four pages (as tabs) and a status bar; not shown yet."""
    window = QtWidgets.QWidget()
    window.setWindowTitle("AgentDesk CRM - operator screen (bench)")
    window.setWindowFlag(QtCore.Qt.WindowType.FramelessWindowHint)
    window.setGeometry(0, 0, WIDTH, HEIGHT)
    window.setFixedSize(WIDTH, HEIGHT)
    window.setStyleSheet(
        "#topbar { background: #1f3a5f; } #topbar QLabel { color: white; font-size: 11pt; }"
        "#statusbar { background: #e6e9ee; } QGroupBox { font-weight: bold; }"
    )
    root = QtWidgets.QVBoxLayout(window)
    root.setContentsMargins(0, 0, 0, 0)
    root.setSpacing(0)

    top = QtWidgets.QFrame()
    top.setObjectName("topbar")
    top.setFixedHeight(48)
    top_row = QtWidgets.QHBoxLayout(top)
    top_row.setContentsMargins(16, 0, 16, 0)
    title = QtWidgets.QLabel("<b>AgentDesk CRM</b>")
    who = QtWidgets.QLabel("Operator: Anna Petrova  ·  ext. 1017  ·  queue Support")
    call = QtWidgets.QLabel("On call  00:01:35")
    clock = QtWidgets.QLabel("00:00:00 UTC")
    for widget in (title, who):
        top_row.addWidget(widget)
    top_row.addStretch(1)
    top_row.addWidget(call)
    top_row.addSpacing(32)
    top_row.addWidget(clock)
    root.addWidget(top)
    for label in (call, clock):  # fixed widths: ticking text must not move the layout
        label.ensurePolished()  # in the window now: the style sheet's font size applies
        label.setFixedWidth(label.sizeHint().width() + 16)
        label.setAlignment(
            QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        )

    tabs = QtWidgets.QTabWidget()
    tabs.setDocumentMode(True)
    root.addWidget(tabs, 1)
    editors: dict[str, CaretLine | CaretText] = {}
    scrollers: dict[str, QtWidgets.QAbstractScrollArea] = {}

    def editor(field: str) -> CaretLine | CaretText:
        widget: CaretLine | CaretText = CaretText() if field in MULTILINE_FIELDS else CaretLine()
        editors[field] = widget
        return widget

    # Customer page: the card being filled in and the customer's recent orders.
    page = QtWidgets.QWidget()
    row = QtWidgets.QHBoxLayout(page)
    card = QtWidgets.QGroupBox("Customer card")
    card.setFixedWidth(720)
    form = QtWidgets.QFormLayout(card)
    form.setVerticalSpacing(12)
    for field in CUSTOMER_FIELDS:
        form.addRow(FIELD_LABELS[field], editor(field))
    editors["comment"].setFixedHeight(200)
    buttons = QtWidgets.QHBoxLayout()
    for caption in ("Save", "Clear", "New ticket", "Send SMS"):
        buttons.addWidget(QtWidgets.QPushButton(caption))
    form.addRow(buttons)
    history = table(
        [(f"2024-11-{d:02d} 1{d % 9}:2{d % 6}", "Inbound", f"{d % 7 + 1}:{d * 7 % 60:02d}",
          ("Resolved", "Callback", "Escalated")[d % 3]) for d in range(1, 9)],
        ("When", "Direction", "Duration", "Outcome"),
    )  # fmt: skip
    form.addRow("Call history", history)
    row.addWidget(card)
    orders_box = QtWidgets.QGroupBox("Recent orders")
    box = QtWidgets.QVBoxLayout(orders_box)
    recent_orders = table(
        data.recent_orders, ("Order", "Date", "Customer", "Product", "Qty", "Amount", "Status")
    )
    scrollers["recent_orders"] = recent_orders
    box.addWidget(recent_orders)
    row.addWidget(orders_box, 1)
    tabs.addTab(page, PAGE_TITLES["customer"])

    # Orders page: a search field over a big table.
    page = QtWidgets.QWidget()
    col = QtWidgets.QVBoxLayout(page)
    bar = QtWidgets.QHBoxLayout()
    bar.addWidget(QtWidgets.QLabel(FIELD_LABELS["order_search"]))
    bar.addWidget(editor("order_search"), 1)
    status_filter = QtWidgets.QComboBox()
    status_filter.addItems(["All statuses", *STATUSES])
    bar.addWidget(status_filter)
    col.addLayout(bar)
    scrollers["orders"] = table(
        data.orders,
        ("Order", "Date", "Customer", "Product", "Qty", "Amount", "Status", "Phone", "City"),
    )
    col.addWidget(scrollers["orders"], 1)
    tabs.addTab(page, PAGE_TITLES["orders"])

    # Tickets page: the queue on the left, the ticket being written on the right.
    page = QtWidgets.QWidget()
    row = QtWidgets.QHBoxLayout(page)
    ticket_list = QtWidgets.QListWidget()
    ticket_list.addItems(data.tickets)
    ticket_list.setFixedWidth(760)
    ticket_list.setVerticalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerItem)
    scrollers["ticket_list"] = ticket_list
    row.addWidget(ticket_list)
    ticket_box = QtWidgets.QGroupBox("New ticket")
    ticket_form = QtWidgets.QFormLayout(ticket_box)
    ticket_form.addRow(FIELD_LABELS["subject"], editor("subject"))
    category = QtWidgets.QComboBox()
    category.addItems(list(TICKET_CATEGORIES))
    ticket_form.addRow("Category", category)
    ticket_form.addRow(FIELD_LABELS["description"], editor("description"))
    editors["description"].setFixedHeight(320)
    ticket_form.addItem(
        QtWidgets.QSpacerItem(
            0, 0, QtWidgets.QSizePolicy.Policy.Minimum, QtWidgets.QSizePolicy.Policy.Expanding
        )
    )
    row.addWidget(ticket_box, 1)
    tabs.addTab(page, PAGE_TITLES["tickets"])

    # Knowledge base: a search field and a long article.
    page = QtWidgets.QWidget()
    col = QtWidgets.QVBoxLayout(page)
    bar = QtWidgets.QHBoxLayout()
    bar.addWidget(QtWidgets.QLabel(FIELD_LABELS["kb_search"]))
    bar.addWidget(editor("kb_search"), 1)
    col.addLayout(bar)
    article = QtWidgets.QTextBrowser()
    article.setHtml(
        "".join(
            f"<h3>{line}</h3>" if line[0].isdigit() else f"<p>{line}</p>" for line in data.article
        )
    )
    scrollers["article"] = article
    col.addWidget(article, 1)
    tabs.addTab(page, PAGE_TITLES["knowledge"])

    status = QtWidgets.QFrame()
    status.setObjectName("statusbar")
    status.setFixedHeight(28)
    status_row = QtWidgets.QHBoxLayout(status)
    status_row.setContentsMargins(16, 0, 16, 0)
    queue = QtWidgets.QLabel("Queue Support: 0 waiting")
    status_row.addWidget(queue)
    status_row.addStretch(1)
    status_row.addWidget(QtWidgets.QLabel("CRM connected  ·  SIP registered  ·  recording on"))
    root.addWidget(status)

    for child in window.findChildren(QtWidgets.QWidget):
        child.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # no Qt caret: ours is scripted
    return OperatorWindow(
        window, clock, call, queue, tabs, editors, scrollers, recent_orders, ticket_list
    )

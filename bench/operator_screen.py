"""A synthetic operator desktop on a 1920×1080 X display, for screen-recording benches and tests.

One frameless PySide6 window covers the screen: a top bar with a ticking clock and call timer,
four pages (customer card, orders, tickets, knowledge base) and a status bar. A script built
from ``--seed`` drives it over time, the same for every run with the same seed and duration:

- fields typed into character by character at human speed (with the odd typo and backspace),
- tables and the article scrolled now and then, rows selected,
- a page switch every 20-40 s, the clock and call timer ticking each second,
- a caret blinking every 0.5 s in the field being edited (drawn by us, so its phase is scripted
  too; Qt's own caret is off because no widget takes focus).

Every change is applied, painted (``QWidget.repaint``, synchronous) and then written to the
timeline as one JSON line: ``{"utc_us", "t", "kind", ...}`` where ``t`` is the planned script
time in seconds and ``utc_us`` the wall clock right after the paint. The first line is
``kind=start`` (script time 0, with the screen rectangles of the visible widgets under
``regions``: the clock, the fields, the tables; page switches log them again), the last
``kind=end``. ``ready <utc_us>`` is printed on stdout once the window is on screen and the
script starts. Run on an X display, for example::

    DISPLAY=:99 .venv/bin/python -m bench.operator_screen --duration 120 --seed 7 \\
        --timeline timeline.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/operator_screen.py``
    sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT = 1920, 1080
CARET_HALF_PERIOD_S = 0.5
PAGES = ("customer", "orders", "tickets", "knowledge")
PAGE_TITLES = {
    "customer": "Customer",
    "orders": "Orders",
    "tickets": "Tickets",
    "knowledge": "Knowledge base",
}
# Fields typed into, per page, in the order an operator fills them.
CUSTOMER_FIELDS = (
    "last_name",
    "first_name",
    "phone",
    "email",
    "street",
    "city",
    "postcode",
    "contract",
    "comment",
)
FIELD_LABELS = {
    "last_name": "Last name",
    "first_name": "First name",
    "phone": "Phone",
    "email": "E-mail",
    "street": "Street, house",
    "city": "City",
    "postcode": "Postcode",
    "contract": "Contract no.",
    "comment": "Comment",
    "order_search": "Search orders",
    "subject": "Subject",
    "description": "Description",
    "kb_search": "Search articles",
}
MULTILINE_FIELDS = frozenset({"comment", "description"})
PAGE_FIELDS = {
    "customer": CUSTOMER_FIELDS,
    "orders": ("order_search",),
    "tickets": ("subject", "description"),
    "knowledge": ("kb_search",),
}
# Scrollable views per page: name -> number of rows (articles scroll in lines of text).
PAGE_SCROLLERS = {
    "customer": "recent_orders",
    "orders": "orders",
    "tickets": "ticket_list",
    "knowledge": "article",
}
TABLE_ROWS = {"recent_orders": 300, "orders": 1000, "ticket_list": 80}

FIRST_NAMES = (
    "Anna", "Ivan", "Olga", "Sergey", "Maria", "Dmitry", "Elena", "Pavel", "Natalia", "Alexey",
    "James", "Emily", "Oliver", "Sophie", "Lucas", "Hannah", "Marco", "Giulia", "Ahmed", "Leila",
)  # fmt: skip
LAST_NAMES = (
    "Petrova", "Ivanov", "Smirnova", "Kuznetsov", "Popova", "Sokolov", "Lebedeva", "Kozlov",
    "Novikova", "Morozov", "Walker", "Thompson", "Fischer", "Rossi", "Haddad", "Nowak",
)  # fmt: skip
STREETS = (
    "Lenina", "Sadovaya", "Tverskaya", "Mira", "Gagarina", "Baker Street", "High Street",
    "Station Road", "Church Lane", "Oak Avenue", "Lindenstrasse", "Via Roma",
)  # fmt: skip
CITIES = (
    "Moscow", "Kazan", "Novosibirsk", "Samara", "Tver", "London", "Leeds", "Bristol",
    "Hamburg", "Milan", "Warsaw", "Riga",
)  # fmt: skip
MAIL_DOMAINS = ("mail.example", "inbox.example", "post.example", "corp.example")
PRODUCTS = (
    "Fibre 500 Mbit/s", "Mobile unlimited", "TV basic package", "Router rental",
    "Static IP address", "Fibre 1 Gbit/s", "Mobile 20 GB", "TV premium package",
    "Home phone", "Antivirus licence", "Cloud backup 1 TB", "Installation visit",
)  # fmt: skip
STATUSES = ("New", "Paid", "Shipped", "Delivered", "Cancelled", "Refund pending", "On hold")
TICKET_CATEGORIES = ("Billing", "Technical", "Delivery", "Contract", "Complaint")
COMMENT_WORDS = (
    "customer", "asks", "about", "the", "last", "invoice", "router", "does", "not", "connect",
    "after", "moving", "to", "a", "new", "address", "wants", "to", "change", "tariff", "from",
    "next", "month", "please", "call", "back", "tomorrow", "morning", "payment", "was", "made",
    "twice", "refund", "requested", "technician", "visit", "on", "Friday", "confirmed", "by",
    "phone", "signal", "drops", "every", "evening", "since", "Monday",
)  # fmt: skip
KB_SEARCHES = (
    "router reset", "refund policy", "change tariff", "move address", "invoice copy",
    "technician visit", "static ip", "roaming",
)  # fmt: skip
ORDER_SEARCHES = ("Petrova", "Ivanov", "Walker", "Rossi", "Fibre", "Router", "Refund", "2024-")


# --------------------------------------------------------------------------------------------
# The script: pure data, built from the seed, no Qt.


@dataclass(frozen=True, order=True)
class Action:
    """One scripted change of the screen, ``t`` seconds after the script starts."""

    t: float
    seq: int
    kind: str
    data: tuple[tuple[str, Any], ...] = ()

    def fields(self) -> dict[str, Any]:
        return dict(self.data)


@dataclass(frozen=True)
class DemoData:
    """Static contents of tables and lists, also derived from the seed."""

    recent_orders: list[tuple[str, ...]]
    orders: list[tuple[str, ...]]
    tickets: list[str]
    article: list[str]


def demo_data(seed: int) -> DemoData:
    rng = random.Random(f"data-{seed}")

    def order_row(n: int) -> tuple[str, ...]:
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        qty = rng.randint(1, 4)
        price = rng.choice((9.9, 14.5, 19.0, 24.9, 39.0, 59.0, 79.9, 129.0))
        return (
            f"ORD-{n:06d}",
            f"2024-{month:02d}-{day:02d}",
            f"{rng.choice(LAST_NAMES)} {rng.choice(FIRST_NAMES)[0]}.",
            rng.choice(PRODUCTS),
            str(qty),
            f"{qty * price:,.2f}",
            rng.choice(STATUSES),
            f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-"
            f"{rng.randint(10, 99)}",
            rng.choice(CITIES),
        )

    recent = [order_row(480_000 + i)[:7] for i in range(TABLE_ROWS["recent_orders"])]
    orders = [order_row(470_000 + i) for i in range(TABLE_ROWS["orders"])]
    tickets = [
        f"#{31_000 + i}  {rng.choice(TICKET_CATEGORIES):<10}  {rng.choice(LAST_NAMES)}: "
        f"{' '.join(rng.choice(COMMENT_WORDS) for _ in range(rng.randint(3, 6)))}"
        for i in range(TABLE_ROWS["ticket_list"])
    ]
    article = []
    for section in range(1, 25):
        article.append(f"{section}. {rng.choice(KB_SEARCHES).capitalize()}")
        for _ in range(rng.randint(3, 6)):
            words = [rng.choice(COMMENT_WORDS) for _ in range(rng.randint(25, 60))]
            article.append(" ".join(words).capitalize() + ".")
    return DemoData(recent, orders, tickets, article)


def _customer(rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    words = [rng.choice(COMMENT_WORDS) for _ in range(rng.randint(8, 18))]
    return {
        "last_name": last,
        "first_name": first,
        "phone": f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-"
        f"{rng.randint(10, 99)}",
        "email": f"{first.lower()}.{last.lower()}@{rng.choice(MAIL_DOMAINS)}",
        "street": f"{rng.choice(STREETS)} {rng.randint(1, 120)}, apt {rng.randint(1, 300)}",
        "city": rng.choice(CITIES),
        "postcode": f"{rng.randint(100000, 699999)}",
        "contract": f"C-{rng.randint(2019, 2024)}-{rng.randint(10000, 99999)}",
        "comment": " ".join(words).capitalize() + ".",
    }


def _ticket(rng: random.Random) -> dict[str, str]:
    subject = " ".join(rng.choice(COMMENT_WORDS) for _ in range(rng.randint(3, 6)))
    body = " ".join(rng.choice(COMMENT_WORDS) for _ in range(rng.randint(12, 24)))
    return {"subject": subject.capitalize(), "description": body.capitalize() + "."}


class _ScriptBuilder:
    """Simulates an operator and records what they do as timed actions."""

    def __init__(self, seed: int, duration: float) -> None:
        self.rng = random.Random(seed)
        self.duration = duration
        self.actions: list[Action] = []
        self.text: dict[str, str] = {f: "" for fields in PAGE_FIELDS.values() for f in fields}
        self.next_field = {page: 0 for page in PAGES}
        self.scroll_pos = {name: 0 for name in PAGE_SCROLLERS.values()}
        self.customer = _customer(self.rng)
        self.ticket = _ticket(self.rng)
        self.saved = 0
        self.focus = ""

    def add(self, t: float, kind: str, **data: Any) -> None:
        if kind == "focus":
            if data["field"] == self.focus:
                return
            self.focus = data["field"]
        if t < self.duration:
            self.actions.append(Action(round(t, 4), len(self.actions), kind, tuple(data.items())))

    # -- typing -----------------------------------------------------------------------------
    def key_delay(self, ch: str, prev: str) -> float:
        delay = self.rng.lognormvariate(-1.85, 0.35)  # median ~0.16 s: ~6 characters a second
        if ch.isdigit():
            delay *= 1.3
        if prev == " ":
            delay += self.rng.uniform(0.0, 0.25)  # a short hesitation between words
        if ch.isupper() or ch in "@.-,":
            delay += 0.08
        return delay

    def type_text(self, t: float, end: float, page: str, field: str, target: str) -> float:
        """Types ``target`` into ``field`` until done or ``end``; returns the time reached."""
        self.add(t, "focus", page=page, field=field)
        t += self.rng.uniform(0.3, 0.9)
        prev = ""
        for ch in target[len(self.text[field]) :]:
            if self.rng.random() < 0.03 and ch.isalpha():  # a typo, noticed and corrected
                t += self.key_delay(ch, prev)
                if t >= end:
                    return t
                wrong = self.rng.choice("qwertyuiopasdfghjklzxcvbnm")
                self.text[field] += wrong
                self.add(t, "type", page=page, field=field, text=self.text[field])
                t += self.rng.uniform(0.25, 0.6)
                self.text[field] = self.text[field][:-1]
                self.add(t, "type", page=page, field=field, text=self.text[field])
            t += self.key_delay(ch, prev)
            if t >= end:
                return t
            self.text[field] += ch
            self.add(t, "type", page=page, field=field, text=self.text[field])
            prev = ch
        return t

    def fill_next_field(self, t: float, end: float, page: str) -> float:
        fields = PAGE_FIELDS[page]
        index = self.next_field[page]
        if index >= len(fields):  # form complete: save it and start the next one
            t += self.rng.uniform(0.5, 1.5)
            self.save_form(t, page)
            return t + self.rng.uniform(1.0, 3.0)
        field = fields[index]
        if page == "customer":
            target = self.customer[field]
        elif page == "tickets":
            target = self.ticket[field]
        elif page == "orders":
            target = self.rng.choice(ORDER_SEARCHES)
            self.clear_field(t, page, field)
        else:
            target = self.rng.choice(KB_SEARCHES)
            self.clear_field(t, page, field)
        t = self.type_text(t, end, page, field, target)
        if self.text[field] == target and page in ("customer", "tickets"):
            self.next_field[page] = index + 1
        return t

    def clear_field(self, t: float, page: str, field: str) -> None:
        if self.text[field]:
            self.text[field] = ""
            self.add(t, "type", page=page, field=field, text="")

    def save_form(self, t: float, page: str) -> None:
        self.saved += 1
        if page == "customer":
            c = self.customer
            row = (
                f"ORD-{490_000 + self.saved:06d}",
                "2024-12-02",
                f"{c['last_name']} {c['first_name'][0]}.",
                self.rng.choice(PRODUCTS),
                "1",
                f"{self.rng.choice((19.0, 24.9, 39.0)):,.2f}",
                "New",
            )
            self.add(t, "save", page=page, row=row)
            self.customer = _customer(self.rng)
        else:
            self.add(t, "save", page=page, row=(self.ticket["subject"],))
            self.ticket = _ticket(self.rng)
        for field in PAGE_FIELDS[page]:
            self.text[field] = ""
        self.next_field[page] = 0
        self.add(t, "focus", page=page, field=PAGE_FIELDS[page][0])

    # -- scrolling --------------------------------------------------------------------------
    def scroll(self, t: float, end: float, page: str) -> float:
        """A burst of mouse-wheel notches (3 rows each), then sometimes a row selection."""
        name = PAGE_SCROLLERS[page]
        limit = TABLE_ROWS.get(name, 120) - 20
        down = self.rng.random() < 0.75 or self.scroll_pos[name] < 6
        for _ in range(self.rng.randint(2, 8)):
            t += self.rng.uniform(0.05, 0.14)
            if t >= end:
                return t
            step = 3 if down else -3
            self.scroll_pos[name] = max(0, min(limit, self.scroll_pos[name] + step))
            self.add(t, "scroll", page=page, view=name, pos=self.scroll_pos[name])
        if name != "article" and self.rng.random() < 0.5:
            t += self.rng.uniform(0.4, 1.2)
            row = self.scroll_pos[name] + self.rng.randint(0, 15)
            self.add(t, "select", page=page, view=name, row=row)
        return t

    # -- the whole run ----------------------------------------------------------------------
    def build(self) -> list[Action]:
        page, t = "customer", 0.0
        self.add(0.0, "focus", page=page, field=PAGE_FIELDS[page][0])
        while t < self.duration:
            end = min(self.duration, t + self.rng.uniform(20.0, 40.0))
            self.page_activity(page, t, end)
            t = end
            if t < self.duration:
                others = [p for p in PAGES if p != page]
                weights = [3 if p == "customer" else 1 for p in others]
                page = self.rng.choices(others, weights)[0]
                self.add(t, "page", page=page)
                field = PAGE_FIELDS[page][min(self.next_field[page], len(PAGE_FIELDS[page]) - 1)]
                self.add(t, "focus", page=page, field=field)
        for second in range(1, int(self.duration) + 1):
            if second < self.duration:
                self.add(float(second), "clock", second=second)
        queue_t = self.rng.uniform(5, 15)
        while queue_t < self.duration:
            self.add(queue_t, "queue", waiting=self.rng.randint(0, 9))
            queue_t += self.rng.uniform(7, 20)
        self.add_caret_blinks()
        return sorted(self.actions)

    def page_activity(self, page: str, t: float, end: float) -> None:
        t += self.rng.uniform(1.0, 3.0)  # look at the page first
        while t < end:
            roll = self.rng.random()
            if roll < 0.6:
                t = self.fill_next_field(t, end, page)
            elif roll < 0.9:
                t = self.scroll(t, end, page)
            t += self.rng.uniform(0.8, 5.0)  # read, think, talk to the caller

    def add_caret_blinks(self) -> None:
        """Qt-like caret: shown on every key press or focus change, then toggles every 0.5 s."""
        resets = sorted({a.t for a in self.actions if a.kind in ("type", "focus", "page")})
        resets.append(self.duration)
        for start, stop in itertools.pairwise(resets):
            self.add(start, "caret", on=True)
            k, on = 1, True
            while start + k * CARET_HALF_PERIOD_S < stop - 1e-6:
                on = not on
                self.add(start + k * CARET_HALF_PERIOD_S, "caret", on=on)
                k += 1


def build_script(seed: int, duration: float) -> list[Action]:
    """The timed actions of a run: the same list for the same seed and duration."""
    return _ScriptBuilder(seed, duration).build()


# --------------------------------------------------------------------------------------------
# The window (imports Qt only when run).


@dataclass
class _Progress:
    index: int = 0  # next action of the script
    focus: str = ""  # the field with the caret
    start_mono: float = 0.0
    start_wall: float = 0.0


def _run_window(args: argparse.Namespace, timeline: IO[str]) -> int:
    # Thousands of void Qt calls: PySide6 6.12 on CPython 3.11 would abort (none_dealloc).
    from desktop.pyguard import check_runtime

    check_runtime()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ.setdefault("QT_FONT_DPI", "96")  # the same layout whatever the X server claims
    from PySide6 import QtCore, QtGui, QtWidgets

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
                painter.fillRect(
                    rect.left(), rect.top(), 1, rect.height(), QtCore.Qt.GlobalColor.black
                )
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

    data = demo_data(args.seed)
    app = QtWidgets.QApplication([sys.argv[0]])
    app.setStyle("Fusion")
    app.setFont(QtGui.QFont("DejaVu Sans", 10))
    app.setCursorFlashTime(0)

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

    script = build_script(args.seed, args.duration)
    state = _Progress()
    timer = QtCore.QTimer()
    timer.setSingleShot(True)
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)

    def log(kind: str, t: float, **data: Any) -> None:
        line = {"utc_us": time.time_ns() // 1000, "t": t, "kind": kind, **data}
        timeline.write(json.dumps(line, ensure_ascii=False) + "\n")

    def set_caret(field: str, on: bool) -> QtWidgets.QWidget:
        widget = editors[field]
        widget.caret = on
        return widget.viewport() if isinstance(widget, CaretText) else widget

    def apply(action: Action) -> list[QtWidgets.QWidget]:
        """Changes the widgets; returns those to repaint."""
        f = action.fields()
        if action.kind == "clock":
            wall = time.gmtime(state.start_wall + f["second"])
            clock.setText(time.strftime("%H:%M:%S UTC", wall))
            elapsed = 95 + f["second"]  # the call was already running when the script began
            hms = f"{elapsed // 3600:02d}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}"
            call.setText(f"On call  {hms}")
            return [clock, call]
        if action.kind == "caret":
            return [set_caret(state.focus, f["on"])] if state.focus else []
        if action.kind == "focus":
            old = [set_caret(state.focus, False)] if state.focus else []
            state.focus = f["field"]
            return [*old, set_caret(state.focus, True)]
        if action.kind == "type":
            widget = editors[f["field"]]
            if isinstance(widget, CaretText):
                widget.set_text(f["text"])
                return [widget.viewport()]
            widget.setText(f["text"])
            return [widget]
        if action.kind == "page":
            tabs.setCurrentIndex(PAGES.index(f["page"]))
            return [tabs]
        if action.kind == "scroll":
            view = scrollers[f["view"]]
            step = view.fontMetrics().lineSpacing() if f["view"] == "article" else 1
            view.verticalScrollBar().setValue(f["pos"] * step)
            return [view]
        if action.kind == "select":
            view = scrollers[f["view"]]
            if isinstance(view, QtWidgets.QTableWidget):
                view.selectRow(f["row"])
            elif isinstance(view, QtWidgets.QListWidget):
                view.setCurrentRow(f["row"])
            return [view]
        if action.kind == "save":
            if f["page"] == "customer":
                recent_orders.insertRow(0)
                for c, value in enumerate(f["row"]):
                    recent_orders.setItem(0, c, QtWidgets.QTableWidgetItem(value))
                repaint: list[QtWidgets.QWidget] = [recent_orders]
            else:
                ticket_list.insertItem(0, f"#NEW  {f['row'][0]}")
                repaint = [ticket_list]
            for field in PAGE_FIELDS[f["page"]]:
                widget = editors[field]
                if isinstance(widget, CaretText):
                    widget.set_text("")
                    repaint.append(widget.viewport())
                else:
                    widget.setText("")
                    repaint.append(widget)
            return repaint
        if action.kind == "queue":
            queue.setText(f"Queue Support: {f['waiting']} waiting")
            return [queue]
        raise ValueError(f"unknown action {action.kind}")

    def step() -> None:
        now = time.monotonic() - state.start_mono
        while state.index < len(script) and script[state.index].t <= now + 0.002:
            action = script[state.index]
            state.index += 1
            for widget in apply(action):
                widget.repaint()  # synchronous: the X server has it when we stamp the time
            extra = {"regions": regions()} if action.kind == "page" else {}
            log(action.kind, action.t, **action.fields(), **extra)
        if state.index < len(script):
            due = state.start_mono + script[state.index].t
            timer.start(max(0, round((due - time.monotonic()) * 1000)))
        else:
            due = state.start_mono + args.duration
            QtCore.QTimer.singleShot(max(0, round((due - time.monotonic()) * 1000)), app.quit)

    timer.timeout.connect(step)

    def regions() -> dict[str, list[int]]:
        """Screen rectangles [x, y, w, h] of the named widgets now visible (the window is at
        0,0): lets a test look at the right pixels, e.g. the clock for timing checks."""
        named: dict[str, QtWidgets.QWidget] = {
            "clock": clock,
            "call_timer": call,
            "queue": queue,
            "tabs": tabs.tabBar(),
            **editors,
            **scrollers,
        }
        out = {}
        for name, widget in named.items():
            if widget.isVisible():
                top_left = widget.mapTo(window, QtCore.QPoint(0, 0))
                out[name] = [top_left.x(), top_left.y(), widget.width(), widget.height()]
        return out

    def begin() -> None:
        handle = window.windowHandle()
        if handle is None or not handle.isExposed():
            QtCore.QTimer.singleShot(20, begin)
            return
        state.start_wall = time.time()
        clock.setText(time.strftime("%H:%M:%S UTC", time.gmtime(state.start_wall)))
        window.repaint()
        state.start_mono = time.monotonic()
        log(
            "start",
            0.0,
            seed=args.seed,
            duration=args.duration,
            width=WIDTH,
            height=HEIGHT,
            display=os.environ.get("DISPLAY", ""),
            pid=os.getpid(),
            actions=len(script),
            regions=regions(),
        )
        print(f"ready {time.time_ns() // 1000}", flush=True)
        step()

    def stop(_signum: int, _frame: object) -> None:
        app.quit()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    window.show()
    QtCore.QTimer.singleShot(0, begin)
    app.exec()
    log("end", round(time.monotonic() - state.start_mono, 4), applied=state.index)
    return 0


def read_timeline(path: str) -> Iterator[dict[str, Any]]:
    """The timeline's lines as dicts (for tests and benches)."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=120.0, help="seconds (default 120)")
    parser.add_argument("--seed", type=int, default=7, help="script seed (default 7)")
    parser.add_argument(
        "--timeline", default="-", help="JSON-lines timeline file ('-': stderr, the default)"
    )
    parser.add_argument(
        "--print-script", action="store_true", help="print the script as JSON lines and exit"
    )
    args = parser.parse_args(argv)
    if args.duration <= 0:
        parser.error("--duration must be positive")
    if args.print_script:
        for action in build_script(args.seed, args.duration):
            print(json.dumps({"t": action.t, "kind": action.kind, **action.fields()}))
        return 0
    if args.timeline == "-":
        return _run_window(args, sys.stderr)
    with open(args.timeline, "w", encoding="utf-8", buffering=1) as timeline:
        return _run_window(args, timeline)


if __name__ == "__main__":
    sys.exit(main())

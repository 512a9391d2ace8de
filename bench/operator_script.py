"""The scripted operator of ``bench.operator_screen``: what happens on screen and when.

Pure data, no Qt: a list of timed :class:`Action` built from a seed and a duration (the same
list for the same seed and duration), the static contents of the tables (:func:`demo_data`), and
the reader of the timeline the screen writes (:func:`read_timeline`).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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


def read_timeline(path: str) -> Iterator[dict[str, Any]]:
    """The timeline's lines as dicts (for tests and benches)."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)

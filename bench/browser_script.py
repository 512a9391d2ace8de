"""The script of ``bench.browser_screen``: a busier operator screen, a CRM in a browser.

Pure data, no Qt, like :mod:`bench.operator_script` (whose :class:`Action`, names and words it
reuses): timed actions built from a seed and a duration, the same for the same arguments.
What happens, on top of the clock and call timer ticking every second:

- a page switch every 4-8 s (leads, deals, contacts, tasks): another table, the address bar
  and the tab title change, and a loading bar runs across the top for 0.3 s;
- the table scrolled smoothly, as a browser does: a wheel notch moves 100 px in four steps
  40 ms apart, bursts of 1-4 notches every 1.5-4 s, now and then a row selected;
- a chat beside it: the customer's messages every 3-8 s, each after 1-2.5 s of "typing…";
  the operator answering now and then, typed at ~6 characters a second into the chat's
  input (with its caret blinking every 0.5 s) and sent;
- the unread counter of the chat tab and of the tasks in the side bar changing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from bench.operator_script import (
    CARET_HALF_PERIOD_S,
    CITIES,
    COMMENT_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    PRODUCTS,
    STATUSES,
    Action,
)

BROWSER_PAGES = ("leads", "deals", "contacts", "tasks")
BROWSER_COLUMNS = {
    "leads": ("Lead", "Created", "Name", "Source", "Interest", "City", "Owner", "Stage"),
    "deals": ("Deal", "Opened", "Customer", "Product", "Amount", "Probability", "Stage", "Due"),
    "contacts": ("Contact", "Name", "Phone", "E-mail", "City", "Company", "Last call", "Tag"),
    "tasks": ("Task", "Due", "Customer", "What", "Priority", "Assignee", "Status", "Note"),
}
BROWSER_ROWS = 400
ROW_PX = 30  # the table's row height: the script scrolls in pixels
NOTCH_PX, NOTCH_STEPS, STEP_S = 100, 4, 0.04
SOURCES = ("Web form", "Call", "E-mail", "Partner", "Chat", "Exhibition")
PRIORITIES = ("Low", "Normal", "High", "Urgent")


@dataclass(frozen=True)
class BrowserData:
    """The tables of each page, derived from the seed."""

    tables: dict[str, list[tuple[str, ...]]]


def browser_data(seed: int) -> BrowserData:
    rng = random.Random(f"browser-{seed}")

    def person() -> str:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    def date() -> str:
        return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def words(low: int, high: int) -> str:
        return " ".join(rng.choice(COMMENT_WORDS) for _ in range(rng.randint(low, high)))

    def row(page: str, n: int) -> tuple[str, ...]:
        if page == "leads":
            return (f"L-{n:05d}", date(), person(), rng.choice(SOURCES), rng.choice(PRODUCTS),
                    rng.choice(CITIES), rng.choice(FIRST_NAMES), rng.choice(STATUSES))  # fmt: skip
        if page == "deals":
            return (f"D-{n:05d}", date(), person(), rng.choice(PRODUCTS),
                    f"{rng.randint(10, 5000) * 9.9:,.2f}", f"{rng.randint(1, 19) * 5} %",
                    rng.choice(STATUSES), date())  # fmt: skip
        if page == "contacts":
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            return (f"C-{n:05d}", f"{first} {last}",
                    f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}",
                    f"{first.lower()}.{last.lower()}@mail.example", rng.choice(CITIES),
                    f"{rng.choice(LAST_NAMES)} Ltd", date(), rng.choice(SOURCES))  # fmt: skip
        return (f"T-{n:05d}", date(), person(), words(3, 6).capitalize(), rng.choice(PRIORITIES),
                rng.choice(FIRST_NAMES), rng.choice(STATUSES), words(2, 5))  # fmt: skip

    tables = {
        page: [row(page, 10_000 + 37 * index + n) for n in range(BROWSER_ROWS)]
        for index, page in enumerate(BROWSER_PAGES)
    }
    return BrowserData(tables)


class _BrowserScript:
    def __init__(self, seed: int, duration: float) -> None:
        self.rng = random.Random(f"browser-script-{seed}")
        self.duration = duration
        self.actions: list[Action] = []
        self.max_px = (BROWSER_ROWS - 25) * ROW_PX

    def add(self, t: float, kind: str, **data: Any) -> None:
        if t < self.duration:
            self.actions.append(Action(round(t, 4), len(self.actions), kind, tuple(data.items())))

    def pages(self) -> list[tuple[float, str]]:
        """When each page is shown, with its loading bar; the table starts at the top."""
        rng, t, page, shown = self.rng, 0.0, BROWSER_PAGES[0], []
        while t < self.duration:
            shown.append((t, page))
            t += rng.uniform(4.0, 8.0)
            page = rng.choice([p for p in BROWSER_PAGES if p != page])
            for step, value in enumerate((30, 70, 100)):
                self.add(t + step * 0.1, "loading", value=value)
            self.add(t + 0.3, "page", page=page)
            self.add(t + 0.4, "loading", value=0)
        return shown

    def scrolling(self, shown: list[tuple[float, str]]) -> None:
        rng = self.rng
        for index, (start, _page) in enumerate(shown):
            end = shown[index + 1][0] if index + 1 < len(shown) else self.duration
            t, pos = start + 0.3 + rng.uniform(0.5, 1.5), 0
            while t < end - 0.5:
                direction = 1 if pos < self.max_px // 2 or rng.random() < 0.3 else -1
                for _ in range(rng.randint(1, 4)):
                    for _ in range(NOTCH_STEPS):
                        pos = min(max(pos + direction * NOTCH_PX // NOTCH_STEPS, 0), self.max_px)
                        self.add(t, "scroll", view="table", pos=pos)
                        t += STEP_S
                    t += rng.uniform(0.05, 0.2)
                if rng.random() < 0.3:
                    self.add(
                        t + 0.3, "select", view="table", row=pos // ROW_PX + rng.randint(0, 20)
                    )
                t += rng.uniform(1.5, 4.0)

    def chat(self) -> None:
        rng, unread = self.rng, 0
        t = rng.uniform(1.0, 3.0)
        typed_until = 0.0
        while t < self.duration:
            self.add(t, "typing", on=True)
            t += rng.uniform(1.0, 2.5)
            self.add(t, "typing", on=False)
            text = " ".join(rng.choice(COMMENT_WORDS) for _ in range(rng.randint(4, 16)))
            self.add(t, "chat", who="customer", text=text.capitalize() + "?")
            unread += 1
            self.add(t, "badge", name="chat", count=unread)
            if rng.random() < 0.5 and t > typed_until:  # the operator answers
                reply = " ".join(rng.choice(COMMENT_WORDS) for _ in range(rng.randint(3, 9)))
                at, text = t + rng.uniform(0.5, 1.5), ""
                for ch in reply.capitalize() + ".":
                    at += rng.lognormvariate(-1.85, 0.35)
                    text += ch
                    self.add(at, "type", field="chat_input", text=text)
                at += rng.uniform(0.2, 0.6)
                self.add(at, "chat", who="operator", text=text)
                self.add(at, "type", field="chat_input", text="")
                unread = 0
                self.add(at, "badge", name="chat", count=0)
                typed_until = at
            t = max(t, typed_until) + rng.uniform(3.0, 8.0)

    def side_counters(self) -> None:
        t, tasks = 0.0, 12
        while t < self.duration:
            t += self.rng.uniform(5.0, 15.0)
            tasks = max(0, tasks + self.rng.choice((-1, 1, 1)))
            self.add(t, "badge", name="tasks", count=tasks)

    def build(self) -> list[Action]:
        self.scrolling(self.pages())
        self.chat()
        self.side_counters()
        for second in range(1, int(self.duration) + 1):
            self.add(float(second), "clock", second=second)
        on, t = True, CARET_HALF_PERIOD_S
        while t < self.duration:  # the chat input's caret (shown whatever is typed)
            on = not on
            self.add(t, "caret", on=on)
            t += CARET_HALF_PERIOD_S
        return sorted(self.actions)


def build_browser_script(seed: int, duration: float) -> list[Action]:
    """The browser screen's actions for ``duration`` seconds, in time order."""
    return _BrowserScript(seed, duration).build()

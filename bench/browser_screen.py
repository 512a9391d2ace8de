"""A busier scripted operator screen: a CRM in a browser, on a 1920×1080 X display.

The second screen of the recorder bench (``bench/record_vs_ffmpeg.py --screen browser``): browser
tabs and an address bar, a loading bar, the CRM's header with a ticking clock and call timer,
a side bar, a table scrolled smoothly in pixels, and a chat that updates. What happens and when
is in ``bench/browser_script.py``; the command line, the timeline (JSON lines, the same kinds
as ``bench.operator_screen`` plus ``loading``, ``chat``, ``typing`` and ``badge``) and
``ready <utc_us>`` on stdout are those of ``bench.operator_screen``::

    DISPLAY=:99 .venv/bin/python -m bench.browser_screen --duration 120 --seed 7 \\
        --timeline timeline.jsonl
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/browser_screen.py``
    sys.path.insert(0, str(ROOT))

from bench.browser_script import (  # noqa: E402
    BROWSER_PAGES,
    browser_data,
    build_browser_script,
)
from bench.operator_screen import drive, qt_app, screen_main  # noqa: E402
from bench.operator_script import Action  # noqa: E402


def _run_window(args: argparse.Namespace, timeline: IO[str]) -> int:
    app = qt_app()
    from PySide6 import QtCore, QtWidgets

    from bench.browser_window import build_browser_window, fill_table

    data = browser_data(args.seed)
    screen = build_browser_window(data)
    script = build_browser_script(args.seed, args.duration)
    start_wall = [0.0]
    badges = {"chat": 0, "tasks": 12}

    def apply(action: Action) -> list[QtWidgets.QWidget]:
        f = action.fields()
        if action.kind == "clock":
            wall = time.gmtime(start_wall[0] + f["second"])
            screen.clock.setText(time.strftime("%H:%M:%S UTC", wall))
            elapsed = 95 + f["second"]
            hms = f"{elapsed // 3600:02d}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}"
            screen.call.setText(f"On call  {hms}")
            return [screen.clock, screen.call]
        if action.kind == "caret":
            screen.chat_input.caret = f["on"]
            return [screen.chat_input]
        if action.kind == "type":
            screen.chat_input.setText(f["text"])
            return [screen.chat_input]
        if action.kind == "loading":
            screen.loading.setValue(f["value"])
            return [screen.loading]
        if action.kind == "page":
            page = f["page"]
            fill_table(screen.table, page, data)
            screen.nav.setCurrentRow(BROWSER_PAGES.index(page))
            screen.address.setText(f"https://crm.example/{page}")
            screen.tab_bar.setTabText(0, f"CRM · {page.capitalize()}")
            return [screen.table, screen.nav, screen.address, screen.tab_bar]
        if action.kind == "scroll":
            screen.table.verticalScrollBar().setValue(f["pos"])
            return [screen.table]
        if action.kind == "select":
            screen.table.selectRow(f["row"])
            return [screen.table]
        if action.kind == "typing":
            screen.typing.setText("Customer is typing…" if f["on"] else "")
            return [screen.typing]
        if action.kind == "chat":
            who = "You" if f["who"] == "operator" else "Customer"
            screen.chat.addItem(f"{who}: {f['text']}")
            screen.chat.scrollToBottom()
            return [screen.chat]
        if action.kind == "badge":
            badges[f["name"]] = f["count"]
            chat = badges["chat"]
            screen.chat_tab.setText(
                f"<b>Chat</b> with the customer  ({chat} new)"
                if chat
                else "<b>Chat</b> with the customer"
            )
            screen.nav.item(BROWSER_PAGES.index("tasks")).setText(f"Tasks ({badges['tasks']})")
            return [screen.chat_tab, screen.nav]
        raise ValueError(f"unknown action {action.kind}")

    def regions() -> dict[str, list[int]]:
        named: dict[str, QtWidgets.QWidget] = {
            "clock": screen.clock,
            "call_timer": screen.call,
            "table": screen.table,
            "chat": screen.chat,
            "chat_input": screen.chat_input,
            "address": screen.address,
        }
        out = {}
        for name, widget in named.items():
            top_left = widget.mapTo(screen.window, QtCore.QPoint(0, 0))
            out[name] = [top_left.x(), top_left.y(), widget.width(), widget.height()]
        return out

    def begin(wall: float) -> None:
        start_wall[0] = wall
        screen.clock.setText(time.strftime("%H:%M:%S UTC", time.gmtime(wall)))

    return drive(app, screen.window, script, apply, regions, args, timeline, begin)


def main(argv: list[str] | None = None) -> int:
    return screen_main(argv, __doc__.split("\n\n")[0], build_browser_script, _run_window)


if __name__ == "__main__":
    sys.exit(main())

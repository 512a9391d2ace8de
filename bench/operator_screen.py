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
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/operator_screen.py``
    sys.path.insert(0, str(ROOT))

from bench.operator_script import (  # noqa: E402  (read_timeline, build_script: re-exported)
    HEIGHT,
    PAGE_FIELDS,
    PAGES,
    WIDTH,
    Action,
    build_script,
    demo_data,
    read_timeline,
)

__all__ = ["Action", "build_script", "drive", "main", "read_timeline"]


@dataclass
class _Progress:
    index: int = 0  # next action of the script
    focus: str = ""  # the field with the caret
    start_mono: float = 0.0
    start_wall: float = 0.0


def qt_app() -> Any:
    """The QApplication of a scripted screen: xcb, 96 dpi, Fusion, DejaVu Sans 10 pt."""
    # Thousands of void Qt calls: PySide6 6.12 on CPython 3.11 would abort (none_dealloc).
    from desktop.pyguard import check_runtime

    check_runtime()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ.setdefault("QT_FONT_DPI", "96")  # the same layout whatever the X server claims
    from PySide6 import QtGui, QtWidgets

    app = QtWidgets.QApplication([sys.argv[0]])
    app.setStyle("Fusion")
    app.setFont(QtGui.QFont("DejaVu Sans", 10))
    app.setCursorFlashTime(0)
    return app


def _run_window(args: argparse.Namespace, timeline: IO[str]) -> int:
    app = qt_app()
    from PySide6 import QtCore, QtWidgets

    from bench.operator_window import CaretText, build_window

    data = demo_data(args.seed)
    screen = build_window(data)
    window, clock, call, queue, tabs = (
        screen.window,
        screen.clock,
        screen.call,
        screen.queue,
        screen.tabs,
    )
    editors, scrollers = screen.editors, screen.scrollers
    recent_orders, ticket_list = screen.recent_orders, screen.ticket_list

    script = build_script(args.seed, args.duration)
    state = _Progress()

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

    def begin(start_wall: float) -> None:
        state.start_wall = start_wall
        clock.setText(time.strftime("%H:%M:%S UTC", time.gmtime(start_wall)))

    return drive(app, window, script, apply, regions, args, timeline, begin)


def drive(
    app: Any,
    window: Any,
    script: list[Action],
    apply: Callable[[Action], list[Any]],
    regions: Callable[[], dict[str, list[int]]],
    args: argparse.Namespace,
    timeline: IO[str],
    begin: Callable[[float], None],
) -> int:
    """Shows ``window`` and plays ``script`` on it: each action applied, the widgets it
    changed repainted at once, then logged to ``timeline``; ``begin(wall_time)`` runs just
    before the first paint. Returns when the script's duration is over (or on SIGTERM)."""
    from PySide6 import QtCore

    progress = _Progress()
    timer = QtCore.QTimer()
    timer.setSingleShot(True)
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)

    def log(kind: str, t: float, **data: Any) -> None:
        line = {"utc_us": time.time_ns() // 1000, "t": t, "kind": kind, **data}
        timeline.write(json.dumps(line, ensure_ascii=False) + "\n")

    def step() -> None:
        now = time.monotonic() - progress.start_mono
        while progress.index < len(script) and script[progress.index].t <= now + 0.002:
            action = script[progress.index]
            progress.index += 1
            for widget in apply(action):
                widget.repaint()  # synchronous: the X server has it when we stamp the time
            extra = {"regions": regions()} if action.kind == "page" else {}
            log(action.kind, action.t, **action.fields(), **extra)
        if progress.index < len(script):
            due = progress.start_mono + script[progress.index].t
            timer.start(max(0, round((due - time.monotonic()) * 1000)))
        else:
            due = progress.start_mono + args.duration
            QtCore.QTimer.singleShot(max(0, round((due - time.monotonic()) * 1000)), app.quit)

    timer.timeout.connect(step)

    def start() -> None:
        handle = window.windowHandle()
        if handle is None or not handle.isExposed():
            QtCore.QTimer.singleShot(20, start)
            return
        begin(time.time())
        window.repaint()
        progress.start_mono = time.monotonic()
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
    QtCore.QTimer.singleShot(0, start)
    app.exec()
    log("end", round(time.monotonic() - progress.start_mono, 4), applied=progress.index)
    return 0


def screen_main(
    argv: list[str] | None,
    description: str,
    script: Callable[[int, float], list[Action]],
    run_window: Callable[[argparse.Namespace, IO[str]], int],
) -> int:
    """The command line of a scripted screen (this one and ``bench.browser_screen``)."""
    parser = argparse.ArgumentParser(description=description)
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
        for action in script(args.seed, args.duration):
            print(json.dumps({"t": action.t, "kind": action.kind, **action.fields()}))
        return 0
    if args.timeline == "-":
        return run_window(args, sys.stderr)
    with open(args.timeline, "w", encoding="utf-8", buffering=1) as timeline:
        return run_window(args, timeline)


def main(argv: list[str] | None = None) -> int:
    return screen_main(argv, __doc__.split("\n\n")[0], build_script, _run_window)


if __name__ == "__main__":
    sys.exit(main())

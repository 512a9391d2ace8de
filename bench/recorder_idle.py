"""The recorder worker's CPU on a still screen: per thread, with its wake-ups (issue 23).

The worker (``python -m recorder.worker``) records a private Xvfb (1280×800, as
``bench.agent_cpu``'s) into its spool, journalling only (no store), nothing drawn on the screen
(``--screen still``), or a Qt window that changes a little while the operator does nothing:
``timer``, a label counting the seconds as the desktop's "Ready 0:33" does (a change a second),
or ``caret``, a focused text field whose caret blinks (Qt's default: twice a second).
After ``--warmup-s`` its threads' user + system CPU (/proc) and voluntary context switches are
counted for ``--seconds``. With several ``--code`` trees (the worker's code, e.g. a checkout of
an older commit), the rounds alternate between them (A B A B), each round in a new worker::

    .venv/bin/python -m bench.recorder_idle [--seconds 30] [--rounds 2] [--screen still|timer|caret]
                                            [--code DIR ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/recorder_idle.py``
    sys.path.insert(0, str(ROOT))

from bench.measured_process import Xvfb, start_worker, stop_process, tree_usage  # noqa: E402

# Each window's script runs between these two parts.
WINDOW_START = """
import time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
app = QApplication([])
def shown(widget):
    widget.resize(400, 40)
    widget.move(100, 100)
    widget.show()
    return widget
"""
WINDOW_END = "app.exec()\n"
WINDOWS = {
    "caret": """
field = QLineEdit("+7 495 000 00 00")
shown(field)
field.activateWindow()
field.setFocus()
""",
    "timer": """
label = shown(QLabel("Ready 0:00"))
start = time.monotonic()
def tick():
    seconds = int(time.monotonic() - start)
    label.setText(f"Ready {seconds // 60}:{seconds % 60:02d}")
timer = QTimer()
timer.timeout.connect(tick)
timer.start(1000)
""",
}


def screen_window(display: str, screen: str) -> subprocess.Popen[bytes] | None:
    """The window of ``screen`` (see the module docstring) on ``display``; None: still."""
    if screen not in WINDOWS:
        return None
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    return subprocess.Popen(
        [sys.executable, "-c", WINDOW_START + WINDOWS[screen] + WINDOW_END],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _drain(stream: object) -> None:
    for _ in stream:  # type: ignore[attr-defined]
        pass


def measure(code: Path, display: str, warmup_s: float, seconds: float) -> dict[str, float]:
    """One worker of ``code`` on ``display``: CPU % of one core, in all and per thread, and
    wake-ups per second per thread (keys ``tid:<n>``)."""
    with tempfile.TemporaryDirectory(prefix="recorder-idle-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(code), "DISPLAY": display}
        env.pop("AGENTDESK_STORE_TOKEN", None)
        proc = start_worker(display, tmp, cwd=str(code), env=env)
        threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
        try:
            time.sleep(warmup_s)
            before = {t.name: t for t in tree_usage(proc.pid)[proc.pid][1]}
            t0 = time.monotonic()
            time.sleep(seconds)
            after = tree_usage(proc.pid)[proc.pid][1]
            wall = time.monotonic() - t0
        finally:
            stop_process(proc)
    out = {"cpu_pct": 0.0}
    for thread in after:
        old = before.get(thread.name)
        cpu = thread.cpu_s - (old.cpu_s if old else 0.0)
        wakes = thread.wakeups - (old.wakeups if old else 0)
        out["cpu_pct"] += 100 * cpu / wall
        if cpu > 0 or wakes > 0:
            out[f"{thread.name} cpu_pct"] = 100 * cpu / wall
            out[f"{thread.name} wakeups/s"] = wakes / wall
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup-s", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--code", type=Path, action="append", help="default: this checkout")
    parser.add_argument("--screen", choices=("still", *WINDOWS), default="still")
    args = parser.parse_args(argv)
    codes = [c.resolve() for c in args.code or [ROOT]]
    xvfb = Xvfb("1280x800x24")
    window = screen_window(xvfb.display, args.screen)
    totals: dict[Path, list[float]] = {c: [] for c in codes}
    try:
        for number in range(args.rounds):
            for code in codes:
                load = os.getloadavg()[0]
                figures = measure(code, xvfb.display, args.warmup_s, args.seconds)
                totals[code].append(figures["cpu_pct"])
                print(
                    f"round {number + 1} {code}: {figures['cpu_pct']:.3f} % of one core"
                    f" (load average {load:.2f})",
                    flush=True,
                )
                threads = sorted(
                    (k.removesuffix(" cpu_pct") for k in figures if k.endswith(" cpu_pct")),
                    key=lambda name: -figures[f"{name} cpu_pct"],
                )
                for name in threads:
                    print(
                        f"    {name:<20} {figures[f'{name} cpu_pct']:6.3f} %"
                        f"  {figures[f'{name} wakeups/s']:6.1f} wake-ups/s",
                        flush=True,
                    )
    finally:
        if window is not None:
            stop_process(window)
        xvfb.stop()
    print()
    for code, values in totals.items():
        listed = ", ".join(f"{v:.3f}" for v in values)
        print(f"{code}: {listed} % (median {statistics.median(values):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

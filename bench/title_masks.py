"""What title masks cost the recorder worker: its CPU (whole process, /proc) with a
``--mask-title`` on a private Xvfb (1920×1080) showing ``--windows`` titled Tk windows, in two
phases: ``idle`` (nothing maps or moves) and ``churn`` (a window with a masked title is mapped
and withdrawn every 0.5 s); first, what the check after each grab costs when nothing changed.
Runs the worker of this checkout, and with ``--baseline DIR`` also the worker of another
checkout of the project for comparison, alternating ``--rounds`` times.

    .venv/bin/python -m bench.title_masks [--seconds 20] [--windows 12] [--rounds 2]
                                          [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.measured_process import Xvfb, cpu_s, stop_process
from recorder.capture.titles import TitleMasks

ROOT = Path(__file__).resolve().parents[1]

_WINDOW = """
import sys, tkinter
root = tkinter.Tk()
root.title(sys.argv[1])
root.geometry(sys.argv[2])
root.configure(bg=sys.argv[3])
toggle = sys.argv[4] == "toggle"
def flip(shown=[True]):
    shown[0] = not shown[0]
    root.deiconify() if shown[0] else root.withdraw()
    root.after(500, flip)
if toggle:
    root.withdraw()
    root.after(500, flip)
root.mainloop()
"""


def window(display: str, title: str, geometry: str, colour: str, toggle: bool) -> Any:
    env = {**os.environ, "DISPLAY": display}
    return subprocess.Popen(
        [sys.executable, "-c", _WINDOW, title, geometry, colour, "toggle" if toggle else "-"],
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def worker_cpu(source: Path, display: str, seconds: float, out: Path) -> float:
    """Worker CPU in % of one core over ``seconds`` after a 3 s start."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "recorder.worker",
            "--display",
            display,
            "--out",
            str(out),
            "--mask-title",
            "(?i)card pay",
        ],
        cwd=source,
        env={**os.environ, "PYTHONPATH": str(source)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # events: not needed
    try:
        time.sleep(3)
        start_cpu, start = cpu_s(proc.pid), time.monotonic()
        time.sleep(seconds)
        used = cpu_s(proc.pid) - start_cpu
        proc.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
        proc.stdin.flush()
        proc.wait(30)
        return 100 * used / (time.monotonic() - start)
    finally:
        stop_process(proc)


def check_cost(display: str, rounds: int = 2000) -> tuple[float, float]:
    """µs wall and CPU of the check the capture thread makes after each grab when nothing
    changed (``TitleMasks.changed()``: one X round trip)."""
    masks = TitleMasks(["(?i)card pay"], display)
    try:
        masks.poll()
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(rounds):
            masks.changed()
        wall_us = (time.perf_counter() - wall) * 1e6 / rounds
        return wall_us, (time.process_time() - cpu) * 1e6 / rounds
    finally:
        masks.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--windows", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="another checkout of the project")
    args = parser.parse_args()
    sources = {"this": ROOT, **({"baseline": args.baseline} if args.baseline else {})}
    xvfb = Xvfb()
    shown = [
        window(xvfb.display, f"Window {i}", f"300x200+{40 + 120 * i}+{40 + 60 * i}", "blue", False)
        for i in range(args.windows)
    ]
    results: dict[tuple[str, str], list[float]] = {}
    try:
        time.sleep(2)
        wall_us, cpu_us = check_cost(xvfb.display)
        print(f"check after a grab, nothing changed: {wall_us:.0f} µs wall, {cpu_us:.0f} µs CPU")
        with tempfile.TemporaryDirectory() as tmp:
            for phase in ("idle", "churn"):
                churn = (
                    window(xvfb.display, "Card payment", "400x300+700+500", "red", True)
                    if phase == "churn"
                    else None
                )
                try:
                    for n in range(args.rounds):
                        for name, source in sources.items():
                            out = Path(tmp) / f"{phase}-{name}-{n}"
                            cpu = worker_cpu(source, xvfb.display, args.seconds, out)
                            results.setdefault((phase, name), []).append(cpu)
                            print(f"{phase} {name} round {n + 1}: worker CPU {cpu:.2f} %")
                finally:
                    if churn is not None:
                        stop_process(churn)
    finally:
        for proc in shown:
            stop_process(proc)
        xvfb.stop()
    print(f"\nworker CPU, % of one core, {args.seconds:.0f} s per run, {args.windows} windows:")
    for (phase, name), figures in results.items():
        print(f"  {phase:6} {name:9} " + ", ".join(f"{f:.2f}" for f in figures))


if __name__ == "__main__":
    main()

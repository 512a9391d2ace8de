"""A window with a masked title is black from the first frame that could show it: mapped at
random moments during a recording (the worker on a real Xvfb), it never appears in any decoded
frame, and the manifests' masked periods cover every frame it was on screen."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from formats.clock import utc_us
from tests.integration.recorder_kit import check_manifest_files, decode, paint, xvfb
from tests.integration.worker_kit import WorkerProcess
from tests.servers.xvfb import XvfbServer

pytestmark = pytest.mark.integration
__all__ = ["xvfb"]  # fixture, imported for pytest

MAPS = 20
TITLE = "Card payment – Acme Bank"
X0, Y0, W, H = 200, 150, 360, 240

# A Tk window that is shown on "show" and withdrawn on "hide" (without a window manager these
# map and unmap it; its red background is drawn by the X server the moment it maps).
_TOGGLED_WINDOW = """
import sys, tkinter
root = tkinter.Tk()
root.title(sys.argv[1])
root.geometry(sys.argv[2])
root.configure(bg="red")
root.withdraw()
def command():
    line = sys.stdin.readline().strip()
    if line == "show":
        root.deiconify()
    elif line == "hide":
        root.withdraw()
    else:
        root.destroy()
        return
    root.update()
    print(line, flush=True)
    root.after(1, command)
root.after(1, command)
root.mainloop()
"""


def toggle(window: subprocess.Popen[str], what: str) -> None:
    assert window.stdin is not None and window.stdout is not None
    window.stdin.write(what + "\n")
    window.stdin.flush()
    assert window.stdout.readline().strip() == what, f"the Tk window did not {what}"


def red_in_window(rgb: np.ndarray[Any, Any]) -> int:
    """How many pixels of the window's place are red (decoded colours are a few levels off)."""
    area = rgb[Y0 : Y0 + H, X0 : X0 + W].astype(int)
    red = (area[..., 0] > 160) & (area[..., 1] < 96) & (area[..., 2] < 96)
    return int(red.sum())


def test_a_masked_window_mapped_at_random_moments_never_shows(
    xvfb: XvfbServer, tmp_path: Path
) -> None:
    paint(xvfb, "green")
    window = subprocess.Popen(
        [sys.executable, "-c", _TOGGLED_WINDOW, TITLE, f"{W}x{H}+{X0}+{Y0}"],
        env=xvfb.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    rng = random.Random(16)
    shown: list[tuple[int, int]] = []  # (mapped, about to unmap) in UTC µs
    worker = WorkerProcess(xvfb, tmp_path, "--preroll", "1", "--mask-title", "(?i)card pay")
    try:
        worker.wait_for(lambda e: e["event"] == "state" and e["capturing"])
        worker.send("open_window", call_id="M")
        time.sleep(0.5)
        for _ in range(MAPS):
            time.sleep(rng.uniform(0.05, 0.4))
            toggle(window, "show")
            mapped = utc_us()
            time.sleep(rng.uniform(0.3, 0.6))
            shown.append((mapped, utc_us()))
            toggle(window, "hide")
        time.sleep(0.3)
        worker.send("close_window", call_id="M")
        assert worker.stop() == 0, worker.stderr
    finally:
        worker.kill()
        window.kill()
        window.communicate(timeout=10)  # reaps it and closes its pipes

    found = check_manifest_files(tmp_path)
    frames = [f for m in found for f in decode(tmp_path / m["file"], int(m["utc_start_us"]))]
    assert len(frames) > MAPS, "the windows coming and going should have been recorded"
    leaks = [f.utc_us for f in frames if red_in_window(f.rgb)]
    assert not leaks, f"{len(leaks)} frames show the masked window, first at {leaks[0]}"

    periods = [
        (p["start_us"], p["end_us"] or m["utc_end_us"], p["rects"], p["reasons"])
        for m in found
        for p in m["masked_periods"]
    ]
    assert periods and all(reasons == ["masked_title"] for *_, reasons in periods)
    assert all(rects == [[X0, Y0, W, H]] for _, _, rects, _ in periods)

    # Decoded frame times are rounded to the video's time base.
    tick_us = max(1_000_000 * Fraction(m["time_base"]) for m in found)

    def masked(at_us: int) -> bool:
        return any(start - tick_us <= at_us < end for start, end, _, _ in periods)

    # Every frame taken while the window was on screen lies in a masked period, and a masked
    # period overlaps each time it was shown (each lasted longer than a frame interval).
    for mapped, hidden in shown:
        inside = [f.utc_us for f in frames if mapped <= f.utc_us < hidden]
        assert all(masked(t) for t in inside), (mapped, hidden, inside)
    covered = [(m, h) for m, h in shown if any(s < h and e > m for s, e, _, _ in periods)]
    assert len(covered) == MAPS, f"masked periods overlap only {len(covered)} of {MAPS} showings"

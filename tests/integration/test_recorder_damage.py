"""Partial grabs driven by the X DAMAGE extension, on a real Xvfb with another X client drawing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from Xlib import display as xdisplay

from formats.clock import utc_us
from recorder.capture.damage import DamageTracker
from recorder.capture.geometry import Rect
from recorder.segments import pipeline
from recorder.segments.capture_step import DAMAGE_MISSES_TOLERATED
from recorder.segments.config import RecorderConfig
from tests.integration.recorder_kit import (
    RecordingThread,
    check_manifest_files,
    colour_of,
    decode_all,
    manifests,
    paint,
    shown_at,
    wait_until,
    xvfb,
)
from tests.servers.xvfb import XvfbServer

pytestmark = pytest.mark.integration
__all__ = ["xvfb"]  # the fixture, imported for pytest

PIXELS = {
    "red": 0xFF0000, "green": 0x00FF00, "blue": 0x0000FF, "yellow": 0xFFFF00, "black": 0x000000,
}  # fmt: skip


class Painter:
    """Another X client: a white window over the screen in which it fills small rectangles."""

    def __init__(self, server: XvfbServer) -> None:
        self.conn = xdisplay.Display(server.display)
        screen = self.conn.screen()
        self.window = screen.root.create_window(
            0, 0, 1280, 720, 0, screen.root_depth,
            background_pixel=screen.white_pixel, override_redirect=True,
        )  # fmt: skip
        self.window.map()
        self.conn.sync()

    def fill(self, rect: Rect, colour: str) -> int:
        """Fill ``rect``; the UTC time once the X server has done it."""
        gc = self.window.create_gc(foreground=PIXELS[colour])
        self.window.fill_rectangle(gc, *rect)
        gc.free()
        self.conn.sync()
        return utc_us()

    def close(self) -> None:
        self.window.destroy()
        self.conn.close()


@pytest.fixture
def painter(xvfb: XvfbServer) -> Iterator[Painter]:
    painter = Painter(xvfb)
    try:
        yield painter
    finally:
        painter.close()


def test_damage_reports_what_another_client_drew(xvfb: XvfbServer, painter: Painter) -> None:
    tracker = DamageTracker(xvfb.display)
    assert tracker.open()
    try:
        tracker.collect()  # the damage of the window's mapping
        painter.fill(Rect(100, 200, 30, 10), "red")
        painter.fill(Rect(700, 50, 4, 4), "blue")
        rects = tracker.collect()
        assert rects is not None
        for drawn in (Rect(100, 200, 30, 10), Rect(700, 50, 4, 4)):
            assert any(r.intersect(drawn) == drawn for r in rects), (drawn, rects)
        assert tracker.collect() == [], "nothing drawn since: nothing reported"
        for colour in ("green", "yellow", "red"):  # the same place again and again
            painter.fill(Rect(100, 200, 30, 10), colour)
            rects = tracker.collect()
            assert rects is not None
            assert any(r.intersect(Rect(100, 200, 30, 10)) == Rect(100, 200, 30, 10) for r in rects)
    finally:
        tracker.close()
    assert tracker.collect() is None, "closed: damage unknown"


def test_small_changes_are_recorded_from_partial_grabs(
    xvfb: XvfbServer, painter: Painter, tmp_path: Path
) -> None:
    time.sleep(0.3)
    config = RecorderConfig(out_dir=tmp_path, display=xvfb.display)
    start = time.monotonic()
    recording = RecordingThread(config, seconds=5.0)
    drawn = []
    for at, rect, colour in (
        (1.0, Rect(40, 36, 24, 16), "red"),  # a word typed: inside one tile
        (2.0, Rect(630, 350, 40, 40), "blue"),  # across four tiles
        (3.0, Rect(1264, 704, 16, 16), "green"),  # the bottom right corner
        (3.0, Rect(300, 600, 16, 16), "yellow"),  # two places in one tick
    ):
        wait_until(start + at)
        drawn.append((painter.fill(rect, colour), rect, colour))
    recorder = recording.join()

    check_manifest_files(tmp_path)
    frames = decode_all(tmp_path)
    end = frames[-1].utc_us
    for done_us, rect, colour in drawn:
        x, y = rect.x + rect.w // 2, rect.y + rect.h // 2
        before = shown_at(frames, done_us - 400_000).rgb
        assert colour_of(before[y, x]) == "white", (colour, "shown before it was drawn")
        after = shown_at(frames, min(done_us + 700_000, end)).rgb
        assert colour_of(after[y, x]) == colour, (colour, after[y, x])
    last = shown_at(frames, end).rgb
    assert colour_of(last[100, 640]) == "white", "nothing else changed"
    stats = recorder.stats
    assert stats.partial_grabs > stats.grabs * 0.7, (stats.partial_grabs, stats.grabs)
    assert stats.damage_misses == 0


def test_small_changes_close_together_share_frames_and_are_never_shown_early(
    xvfb: XvfbServer, painter: Painter, tmp_path: Path
) -> None:
    time.sleep(0.3)
    config = RecorderConfig(out_dir=tmp_path, display=xvfb.display, hold_small_s=0.4)
    start = time.monotonic()
    recording = RecordingThread(config, seconds=4.5)
    typed = []  # a word typed at 10 characters a second, then nothing
    for n in range(12):
        wait_until(start + 1.0 + n * 0.1)
        rect = Rect(40 + 12 * n, 36, 8, 12)
        before = utc_us()
        typed.append((before, painter.fill(rect, "blue"), rect))
    recorder = recording.join()

    check_manifest_files(tmp_path)
    frames = decode_all(tmp_path)
    end = frames[-1].utc_us
    for before, done, rect in typed:
        x, y = rect.x + rect.w // 2, rect.y + rect.h // 2
        for frame in frames:  # a frame's time is when what it shows was on screen
            if colour_of(frame.rgb[y, x]) == "blue":
                assert frame.utc_us >= before, ("shown before it was drawn", rect)
                break
        later = shown_at(frames, min(done + 900_000, end)).rgb  # hold + a tick + slack
        assert colour_of(later[y, x]) == "blue", rect
    # 1.2 s of typing: 6-7 ticks see a change; held 0.4 s, they make 3 or 4 frames
    assert recorder.stats.kinds["held"].count >= 2
    assert recorder.stats.kinds["small change"].count <= 4, recorder.stats.lines()


def test_a_burst_of_large_changes_is_paced_never_early_and_its_end_and_masks_are_prompt(
    xvfb: XvfbServer, painter: Painter, tmp_path: Path
) -> None:
    """A scroll: the whole window redrawn every 0.1 s for 1.6 s, a thumb (a black square)
    moving along; a mask put on, taken off and put on again during it."""
    time.sleep(0.3)
    config = RecorderConfig(out_dir=tmp_path, display=xvfb.display, hold_large_s=0.4)
    start = time.monotonic()
    recording = RecordingThread(config, seconds=4.0)
    colours = ("red", "green", "blue", "yellow")
    steps, hidden = [], Rect(640, 0, 640, 720)
    for n in range(16):
        wait_until(start + 1.0 + n * 0.1)
        before = utc_us()
        painter.fill(Rect(0, 0, 1280, 720), colours[n % 4])
        steps.append((before, painter.fill(_thumb(n), "black")))
        if n in (5, 8, 11):
            recording.recorder.set_mask([hidden] if n != 8 else [])
    recorder = recording.join()

    check_manifest_files(tmp_path)
    frames = decode_all(tmp_path)
    end = frames[-1].utc_us
    periods = [period for m in manifests(tmp_path) for period in m["masked_periods"]]
    assert len(periods) == 2, periods
    # Frame times come from 90 kHz timestamps: up to 11 µs before the capture time.
    spans = [(p["start_us"] - 12, (p["end_us"] or end + 13) - 12) for p in periods]
    shown_steps = []
    for frame in frames[:-1]:  # the last one repeats the picture at the end, as it was
        thumbs = [n for n in range(16) if _shows_thumb(frame.rgb, n)]
        assert len(thumbs) <= 1, thumbs
        if thumbs:
            assert frame.utc_us >= steps[thumbs[0]][0], ("shown before it was drawn", thumbs)
            shown_steps.append(thumbs[0])
        masked = any(a <= frame.utc_us < b for a, b in spans)
        assert (colour_of(frame.rgb[360, 960]) == "black") == masked, (frame.utc_us, spans)
    # A mask is on (and off) in the picture from the very tick the manifest says: never held.
    for period in periods:
        on, off = period["start_us"], period["end_us"]
        assert colour_of(shown_at(frames, on).rgb[360, 960]) == "black", "the mask waited"
        if off < end:
            assert colour_of(shown_at(frames, off).rgb[360, 960]) != "black", "unmasked late"
    # The scroll's end is shown at once (a tick + slack for a busy machine), not a burst later.
    last = shown_at(frames, min(steps[-1][1] + 450_000, end))
    assert _shows_thumb(last.rgb, 15)
    assert shown_steps == sorted(shown_steps) and shown_steps[-1] == 15
    # 1.6 s of large changes: ~8 ticks see them; every other one waits and is skipped.
    kinds = recorder.stats.kinds
    assert kinds["held large"].count >= 2, recorder.stats.lines()
    assert kinds["large change"].count < kinds["held large"].count + 6, recorder.stats.lines()


def _thumb(n: int) -> Rect:
    return Rect(20 + 30 * n, 600, 16, 16)


def _shows_thumb(rgb: np.ndarray, n: int) -> bool:
    x, y, w, h = _thumb(n)
    return colour_of(rgb[y + h // 2, x + w // 2]) == "black"


class _BlindTracker(DamageTracker):
    """An X server whose damage reports nothing (as with drawing that bypasses it)."""

    def collect(self, round_trip: bool = False) -> list[Rect] | None:
        return [] if super().collect(round_trip) is not None else None


def test_changes_damage_misses_are_recorded_and_then_damage_is_not_trusted(
    xvfb: XvfbServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "DamageTracker", _BlindTracker)
    paint(xvfb, "red")
    time.sleep(0.3)
    config = RecorderConfig(out_dir=tmp_path, display=xvfb.display, full_grab_s=0.8)
    start = time.monotonic()
    recording = RecordingThread(config, seconds=7.0)
    changes = []
    for at, colour in ((1.0, "green"), (2.5, "blue"), (4.0, "yellow"), (5.5, "red")):
        wait_until(start + at)
        changes.append(paint(xvfb, colour))
    recorder = recording.join()

    check_manifest_files(tmp_path)
    frames = decode_all(tmp_path)
    ends = [change.before_us - 1 for change in changes[1:]] + [frames[-1].utc_us]
    for change, end in zip(changes, ends, strict=True):
        # Seen by the next whole grab: within full_grab_s + a tick (+ slack for a busy machine).
        assert end - change.after_us > 1_300_000
        shown = shown_at(frames, end).rgb
        assert colour_of(shown[360, 640]) == change.colour
        earlier = shown_at(frames, change.before_us - 1).rgb
        assert colour_of(earlier[360, 640]) != change.colour, "shown before it happened"
    stats = recorder.stats
    assert stats.damage_misses == DAMAGE_MISSES_TOLERATED
    # Trusted all along, damage would leave a whole grab every 0.8 s (~9); after the third
    # miss (at ~4-5 s) every tick grabs the whole screen (5 per second).
    assert stats.grabs - stats.partial_grabs > 13, (stats.grabs, stats.partial_grabs)


def test_a_still_screen_is_slept_through_yet_changes_and_cuts_are_on_time(
    xvfb: XvfbServer, painter: Painter, tmp_path: Path
) -> None:
    """Between changes the loop sleeps on the damage connection instead of ticking 5 times a
    second; a change after a still stretch and a cut asked meanwhile still come at once (a
    change shown ≤ 0.6 s after it was drawn, and never before it)."""
    time.sleep(0.3)
    config = RecorderConfig(out_dir=tmp_path, display=xvfb.display)
    start = time.monotonic()
    seconds = 7.0
    recording = RecordingThread(config, seconds=seconds)
    wait_until(start + 2.0)
    word, field = Rect(40, 36, 24, 16), Rect(640, 352, 32, 32)  # both small changes
    drawn = [(utc_us(), painter.fill(word, "red"), word, "red")]
    wait_until(start + 4.0)
    cut_at = utc_us()
    recording.recorder.cut()
    wait_until(start + 5.5)
    drawn.append((utc_us(), painter.fill(field, "blue"), field, "blue"))
    recorder = recording.join()

    found = check_manifest_files(tmp_path)
    frames = decode_all(tmp_path)
    for before, done, rect, colour in drawn:
        x, y = rect.x + rect.w // 2, rect.y + rect.h // 2
        first = next((f for f in frames if colour_of(f.rgb[y, x]) == colour), None)
        assert first is not None, (colour, "never shown")
        assert before <= first.utc_us <= done + 600_000, (colour, first.utc_us - done)
    starts = [int(m["utc_start_us"]) for m in found]
    assert len(found) == 2 and 0 <= starts[1] - cut_at <= 600_000, [s - cut_at for s in starts]
    stats = recorder.stats
    # 7 s at 5 fps would be 35 grabs; a still screen is grabbed only to check damage (every
    # 5 s) and after each wake-up.
    assert stats.grabs < 20, stats.lines()
    assert stats.still_waits >= 3 and stats.still_wait_s > seconds / 2, stats.lines()
    assert stats.damage_misses == 0


def test_a_mask_that_comes_with_drawing_hides_the_whole_area_from_its_first_frame(
    xvfb: XvfbServer, painter: Painter, tmp_path: Path
) -> None:
    """A pause asked for as a card field takes focus: the field's drawing wakes the loop,
    which grabs only the drawn tiles, and the mask arrives before they are masked. The
    masked period's first frame is black over the whole masked area, not only there."""
    time.sleep(0.3)
    config = RecorderConfig(out_dir=tmp_path, display=xvfb.display)
    start = time.monotonic()
    recording = RecordingThread(config, seconds=4.0)
    recorder = recording.recorder
    armed = threading.Event()

    def mask_check() -> None:  # called between each grab and its masking
        if armed.is_set():
            armed.clear()
            recorder.set_mask([Rect(0, 0, 1280, 720)], ["sensitive_field"])

    recorder.mask_check = mask_check
    wait_until(start + 1.5)  # the screen still: the loop sleeps until drawing wakes it
    armed.set()
    painter.fill(Rect(40, 36, 24, 16), "red")
    wait_until(start + 2.5)
    recorder.set_mask([])
    recording.join()

    frames = decode_all(tmp_path)
    (period,) = [p for m in manifests(tmp_path) for p in m["masked_periods"]]
    assert period["reasons"] == ["sensitive_field"]
    # Frame times come from 90 kHz timestamps: up to 11 µs before the capture time.
    inside = [f for f in frames if period["start_us"] - 12 <= f.utc_us < period["end_us"] - 12]
    assert inside, "no frame in the masked period"
    for frame in inside:
        assert int(frame.rgb.max()) < 24, ("not black", frame.utc_us - period["start_us"])
    assert colour_of(shown_at(frames, period["end_us"]).rgb[360, 960]) == "white"

"""Which changes wait for a later frame (recorder/segments/pacing.py), tick by tick at 5 fps."""

from __future__ import annotations

from recorder.capture.geometry import Rect
from recorder.segments.pacing import HeldChanges

TICK = 200_000  # µs between grabs at 5 fps
CARET = [Rect(64, 32, 32, 32)]
TABLE = [Rect(0, 96, 1920, 900)]


def _tick(held: HeldChanges, n: int, rects: list[Rect], *, large: bool = False) -> str:
    """What the loop does with tick ``n``: 'held', or the frame time it encodes."""
    at = n * TICK + (n % 3) * 1_000  # grabs land a few ms off the grid
    if rects and held.hold(rects, at, partial=not large, large=large):
        return "held"
    if not rects:
        if not held.due(at):
            return "-"
        rects, newest = held.take()
        at = newest or at
    else:
        rects += held.take()[0]
    held.encoded(at, large)
    return f"frame@{at // 1000}ms"


def test_a_scroll_is_encoded_every_other_tick_and_its_end_at_once() -> None:
    held = HeldChanges(0.4, 0.4)
    assert _tick(held, 0, CARET) == "frame@0ms"  # the first frame of the segment
    seen = [_tick(held, n, list(TABLE), large=True) for n in range(5, 12)]
    # The first large change after a quiet moment is shown at once, then one in two.
    assert seen == ["frame@1002ms", "held", "frame@1401ms", "held", "frame@1800ms", "held",
                    "frame@2202ms"]  # fmt: skip
    assert _tick(held, 12, list(TABLE), large=True) == "held"
    # The scroll stops: the next tick encodes the held picture, stamped when it was grabbed.
    assert _tick(held, 13, []) == "frame@2400ms"
    assert _tick(held, 14, []) == "-"


def test_a_small_change_after_a_held_large_one_shows_both_now() -> None:
    held = HeldChanges(0.4, 0.4)
    _tick(held, 0, CARET)
    assert _tick(held, 5, list(TABLE), large=True) == "frame@1002ms"
    assert _tick(held, 6, list(TABLE), large=True) == "held"
    assert _tick(held, 7, list(CARET)) == "frame@1401ms"  # not held another 0.4 s


def test_small_changes_still_wait_up_to_their_interval() -> None:
    held = HeldChanges(0.4, 0.4)
    _tick(held, 0, CARET)
    assert _tick(held, 1, list(CARET)) == "held"
    assert _tick(held, 2, []) == "frame@201ms"  # 0.4 s after the last frame: its time
    assert _tick(held, 3, list(CARET)) == "held"
    assert _tick(held, 4, list(CARET)) == "frame@801ms"


def test_a_mask_change_and_a_zero_interval_are_never_held() -> None:
    held = HeldChanges(0.4, 0.4)
    held.encoded(0, True)
    assert not held.hold(list(TABLE), TICK, partial=False, large=True, mask_changed=True)
    assert not held.hold(list(CARET), TICK, partial=True, large=False, mask_changed=True)
    assert held.hold(list(TABLE), TICK, partial=False, large=True)
    every_one = HeldChanges(0.4, 0.0)
    every_one.encoded(0, True)
    assert not every_one.hold(list(TABLE), TICK, partial=True, large=True)
    held.reset()
    assert not held.hold(list(TABLE), TICK, partial=True, large=True)  # a new segment

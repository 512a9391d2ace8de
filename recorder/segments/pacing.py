"""Small changes held back, so that a caret, a clock and typing cost one encode, not three.

libx264 spends ~3 ms on a 1080p frame however little changed (copying the picture in,
half-pixel planes and borders of the reference, a skip decision per macroblock: measured,
`recorder/README.md`), so on an operator's screen the number of frames encoded is what the
recorder costs. A small change seen by a partial grab within ``interval_s`` of the last
encoded frame is held: its pixels are already in the change detector's reference (the
latest picture seen), its rectangles wait here. The next frame encodes them with whatever
changed since. When nothing else changes, the held picture is encoded once the interval has
passed, stamped with the capture time of the newest held grab: that picture is what the
screen showed then, so frame times stay true (a change is shown at most ``interval_s`` plus
one tick late, never early).

Never held: the first frame of a segment, large changes (a page switch or a scroll shows at
once), and whole grabs (the first one, a mask or layout change, the periodic damage check).
"""

from __future__ import annotations

from recorder.capture.geometry import Rect


class HeldChanges:
    """Rectangles changed but not yet encoded, and when; see the module docstring."""

    def __init__(self, interval_s: float) -> None:
        self.interval_us = int(interval_s * 1e6)
        self.rects: list[Rect] = []
        self.newest_us: int | None = None  # capture time of the newest held grab
        self.last_encoded_us: int | None = None
        self.held_ticks = 0

    def hold(self, rects: list[Rect], utc_us: int, *, partial: bool, large: bool) -> bool:
        """Keep these changes for later (True) or encode them now (False)."""
        last = self.last_encoded_us
        if self.interval_us <= 0 or not partial or large or last is None:
            return False
        if utc_us - last >= self.interval_us:
            return False
        self.rects += rects
        self.newest_us = utc_us
        self.held_ticks += 1
        return True

    def due(self, utc_us: int) -> bool:
        """Whether held changes have waited long enough to be encoded without a new one."""
        last = self.last_encoded_us
        return bool(self.rects) and (last is None or utc_us - last >= self.interval_us)

    def due_at_us(self) -> int | None:
        """When held changes are due (see :meth:`due`); None when nothing is held."""
        if not self.rects:
            return None
        return (self.last_encoded_us or 0) + self.interval_us

    def take(self) -> tuple[list[Rect], int | None]:
        """The held rectangles and the capture time of their picture; forgets them."""
        rects, newest = self.rects, self.newest_us
        self.rects, self.newest_us = [], None
        return rects, newest

    def encoded(self, utc_us: int) -> None:
        self.last_encoded_us = utc_us

    def reset(self) -> None:
        """A new segment: its first frame is encoded at once."""
        self.rects, self.newest_us, self.last_encoded_us = [], None, None

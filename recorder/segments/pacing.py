"""Changes held back: small ones (a caret, a clock, typing) and the middle of a burst of
large ones (a scroll), so that they cost one encode instead of several.

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

A large change costs 12-16 ms of libx264, and a scroll by pixels makes every tick of the
burst a large change. One within ``burst_s`` of the last encoded large change is held too
(a burst is encoded at most every ``burst_s``); the first tick that brings no large change
ends the burst and encodes the held picture at once, stamped with its capture time, so the
final state of a scroll is never late and the first large change after a quiet moment (a
page switch) is shown at once.

Never held: the first frame of a segment, a tick whose mask changed (so a mask never waits),
and, for small changes, whole grabs (a layout change, the periodic damage check).
"""

from __future__ import annotations

from recorder.capture.geometry import Rect

# Grabs at 5 fps land 0.2 s apart give or take a few ms: a burst interval of 0.4 s means every
# other tick, not every third when the second grab was a little early.
BURST_SLACK_US = 20_000


class HeldChanges:
    """Rectangles changed but not yet encoded, and when; see the module docstring."""

    def __init__(self, interval_s: float, burst_s: float = 0.0) -> None:
        self.interval_us = int(interval_s * 1e6)
        self.burst_us = int(burst_s * 1e6)
        self.rects: list[Rect] = []
        self.newest_us: int | None = None  # capture time of the newest held grab
        self.large = False  # a large change is among the held ones
        self.last_encoded_us: int | None = None
        self.last_large_us: int | None = None  # the last encoded frame with a large change
        self.held_ticks = 0

    def hold(
        self,
        rects: list[Rect],
        utc_us: int,
        *,
        partial: bool,
        large: bool,
        mask_changed: bool = False,
    ) -> bool:
        """Keep these changes for later (True) or encode them now (False)."""
        last = self.last_encoded_us
        if last is None or mask_changed:
            return False
        if large:
            burst = self.last_large_us
            if self.burst_us <= 0 or burst is None:
                return False
            if utc_us - burst >= self.burst_us - BURST_SLACK_US:
                return False
            self.large = True
        elif self.large or self.interval_us <= 0 or not partial:
            return False  # after a held large change: the burst ended, show it now
        elif utc_us - last >= self.interval_us:
            return False
        self.rects += rects
        self.newest_us = utc_us
        self.held_ticks += 1
        return True

    def due(self, utc_us: int) -> bool:
        """Whether held changes are to be encoded without a new one: a burst of large changes
        ended, or small ones have waited long enough."""
        last = self.last_encoded_us
        if not self.rects:
            return False
        return self.large or last is None or utc_us - last >= self.interval_us

    def due_at_us(self) -> int | None:
        """When held changes are due (see :meth:`due`); None when nothing is held."""
        if not self.rects:
            return None
        if self.large:  # a burst ended: due at the next look
            return self.last_encoded_us or 0
        return (self.last_encoded_us or 0) + self.interval_us

    def take(self) -> tuple[list[Rect], int | None]:
        """The held rectangles and the capture time of their picture; forgets them."""
        rects, newest = self.rects, self.newest_us
        self.rects, self.newest_us = [], None
        return rects, newest

    def encoded(self, utc_us: int, large: bool = False) -> None:
        """A frame captured at ``utc_us`` was encoded (``large``: with a large change)."""
        if large or self.large:
            self.last_large_us = utc_us
        self.last_encoded_us = utc_us
        self.large = False

    def reset(self) -> None:
        """A new segment: its first frame is encoded at once."""
        self.rects, self.newest_us, self.last_encoded_us = [], None, None
        self.last_large_us, self.large = None, False

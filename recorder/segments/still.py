"""Waiting out a still screen: instead of ticking ``fps`` times a second while nothing is drawn,
the recording loop sleeps on the X connections that report drawing (DAMAGE) and layout
changes, and on a pipe that other threads write to (a mask, the calls, a cut, a stop), until
its next deadline: the periodic whole grab that checks damage, held small changes due, a
fragment to flush, the segment's end, the end of the recording.

Whatever wakes it, the next tick is at once, then ticks follow at ``fps`` again until the
screen is still once more. A change is therefore grabbed as early as with ticks (earlier: on
its first damage event rather than at the next tick), a mask from its very next grab, and
every deadline is met as before. It waits only when the last tick left nothing to do: damage
is tracked and reported nothing uncollected, layout events are had, grabs do not fail and the
mask in force is the one last grabbed; otherwise the loop ticks as it always did.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
import weakref

from formats.clock import utc_us
from recorder.segments.stats import StageStats

# An early wake-up would only cost an extra tick; a deadline is kept, not anticipated.
SLACK_S = 0.002


class WakePipe:
    """A pipe that makes a loop blocked in :func:`select.select` wake up (the self-pipe trick):
    :meth:`set` from any thread; the loop selects on :meth:`fileno` and :meth:`clear` s it
    before it reads what it was woken for."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        for fd in (self._read, self._write):
            os.set_blocking(fd, False)
        self._closer = weakref.finalize(self, _close, self._read, self._write)

    def fileno(self) -> int:
        return self._read

    def set(self) -> None:
        # A full pipe is already set; a closed one has nobody waiting on it.
        with contextlib.suppress(OSError):
            os.write(self._write, b"\0")

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self._read, 4096):
                pass

    def close(self) -> None:
        self._closer()


def _close(*fds: int) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def sleep_until(
    fds: list[int],
    monotonic: list[float | None],
    utc: list[int | None],
    period_s: float,
    stats: StageStats,
) -> bool:
    """Sleep until one of ``fds`` can be read or the earliest deadline (``monotonic``
    seconds, ``utc`` µs; None: none) comes, unless it comes within ``period_s`` (the next tick
    is then as early); whether it slept. Counted in ``stats.still_waits`` and ``still_wait_s``."""
    now, now_us = time.monotonic(), utc_us()
    deadline = min(
        [t for t in monotonic if t is not None]
        + [now + (t - now_us) / 1e6 for t in utc if t is not None]
    )
    if deadline - now <= period_s:
        return False
    stats.still_waits += 1
    wait_readable(fds, deadline - now)
    stats.still_wait_s += time.monotonic() - now
    return True


def wait_readable(fds: list[int], timeout_s: float) -> bool:
    """Sleep until one of ``fds`` can be read or ``timeout_s`` (plus :data:`SLACK_S`) passed;
    whether one can."""
    try:
        readable, _, _ = select.select(fds, [], [], max(timeout_s, 0.0) + SLACK_S)
    except (OSError, ValueError):  # a connection closed under us: tick, and the tick tells
        return True
    return bool(readable)

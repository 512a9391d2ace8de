"""The one clock of AgentDesk: UTC microseconds that never jump.

The wall clock is read once, at import; every later reading adds a monotonic delta, so an NTP
step in the middle of a call cannot reorder events, frames or audio files.
"""

from __future__ import annotations

import time

_WALL_BASE_NS = time.time_ns()
_MONO_BASE_NS = time.monotonic_ns()


def utc_us() -> int:
    """Microseconds since the Unix epoch (UTC), monotonic within this process."""
    return (_WALL_BASE_NS + (time.monotonic_ns() - _MONO_BASE_NS)) // 1000


def utc_us_at_monotonic(mono_ns: int) -> int:
    """The clock's reading for a past ``time.monotonic_ns()`` value."""
    return (_WALL_BASE_NS + (mono_ns - _MONO_BASE_NS)) // 1000

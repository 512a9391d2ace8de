"""The one clock of AgentDesk: UTC microseconds that never jump, the same in every process.

The wall clock is read once, by the first process of the agent (the desktop, or a command run
on its own); every reading adds the time elapsed since on clocks that are never set: the
monotonic clock plus, on Linux, the time spent suspended (``CLOCK_BOOTTIME`` minus
``CLOCK_MONOTONIC``), so after a resume the clock still reads UTC. An NTP step in the middle of
a shift reorders nothing. The base (wall time minus boot time) is passed to every child process
in ``$AGENTDESK_CLOCK_BASE_NS`` (set here, inherited), so the softphone's process, the recorder
worker and the desktop stamp one instant alike even when one of them is restarted after an NTP
step or a suspend: reading the wall clock again there would put its audio or frames off by the
step (tests/unit/test_shift_sync.py).
"""

from __future__ import annotations

import os
import time

CLOCK_BASE_ENV = "AGENTDESK_CLOCK_BASE_NS"
_BOOTTIME: int | None = getattr(time, "CLOCK_BOOTTIME", None)
_SUSPEND_STEP_NS = 1_000_000  # smaller changes of boot minus monotonic time are read jitter


def _read_suspended_ns() -> int:
    """Boot time minus monotonic time: how long the PC has been suspended since it booted."""
    if _BOOTTIME is None:
        return 0
    best = None
    for _ in range(5):  # both clocks read within a few µs of each other
        before = time.monotonic_ns()
        boot = time.clock_gettime_ns(_BOOTTIME)
        after = time.monotonic_ns()
        if best is None or after - before < best[0]:
            best = (after - before, boot - (before + after) // 2)
        if after - before < 20_000:
            break
    assert best is not None
    return best[1]


_suspended_ns = _read_suspended_ns()


def _suspended() -> int:
    """The suspended time, changed only by a suspend (it never shrinks: no jitter, no step back)."""
    global _suspended_ns
    now = _read_suspended_ns() if _BOOTTIME is not None else 0
    if now > _suspended_ns + _SUSPEND_STEP_NS:
        _suspended_ns = now
    return _suspended_ns


def _base_ns() -> int:
    """Wall time minus boot time: inherited from the agent's first process, else now."""
    inherited = os.environ.get(CLOCK_BASE_ENV, "")
    if inherited.lstrip("-").isdigit():
        return int(inherited)
    base = time.time_ns() - (time.monotonic_ns() + _suspended_ns)
    os.environ[CLOCK_BASE_ENV] = str(base)
    return base


_BASE_NS = _base_ns()


def utc_us() -> int:
    """Microseconds since the Unix epoch (UTC), monotonic, the same in all our processes."""
    return utc_us_at_monotonic(time.monotonic_ns())


def utc_us_at_monotonic(mono_ns: int) -> int:
    """The clock's reading for a ``time.monotonic_ns()`` value (a capture's stamp)."""
    return (_BASE_NS + _suspended() + mono_ns) // 1000

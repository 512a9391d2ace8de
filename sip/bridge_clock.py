"""The conference bridge's clock runs only while there is a call.

The wheel has no sound devices, so the bridge is clocked by pjsua's null sound device: a
thread that ticks 50 times a second (every 20 ms frame) and a media thread it wakes. Between
calls nothing needs it, so the engine switches to "no sound device" (``setNoDev``: the bridge
is not clocked at all) and back to the null device before the first call needs media
(``makeCall``/answer fail without a sound device).

The switch to no device waits ``IDLE_AFTER_S`` after the last call is gone: since pjmedia 2.14
the bridge removes a port on its next tick, so stopping the clock at once would leave the
last call's ports in their slots until the next call (measured: 2 slots held). Keeping the
null device open for good (``sndAutoCloseTime = -1``) was the earlier answer to pjsua's own
auto-close, which leaked a slot per call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from sip.loop import CommandLoop, TimerHandle

log = logging.getLogger(__name__)

IDLE_AFTER_S = 0.25  # a dozen ticks: plenty for the last removals


class BridgeClock:
    """Null sound device while calls exist, none in between. SIP thread only."""

    def __init__(self, ep: Any, loop: CommandLoop, busy: Callable[[], bool]) -> None:
        self._ep = ep
        self._loop = loop
        self._busy = busy
        self._running = False
        self._stop: TimerHandle | None = None
        self.switches = 0  # null device openings, for tests and figures

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        """Clock the bridge now (before a call's media is created)."""
        if self._stop is not None:
            self._stop.cancel()
            self._stop = None
        if not self._running:
            self._ep.audDevManager().setNullDev()
            self._running = True
            self.switches += 1

    def stop_soon(self) -> None:
        """Stop clocking once no call has needed it for ``IDLE_AFTER_S``."""
        if self._running and self._stop is None:
            self._stop = self._loop.call_later(IDLE_AFTER_S, self._stop_if_idle)

    def _stop_if_idle(self) -> None:
        self._stop = None
        if not self._running or self._busy():
            return
        try:
            self._ep.audDevManager().setNoDev()
        except pj.Error as exc:  # keeps ticking: costs CPU, loses nothing
            log.warning("could not stop the audio clock between calls: %s", exc.info())
            return
        self._running = False

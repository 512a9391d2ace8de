"""The SIP thread's plumbing: a command queue answered by futures, and timers.

Nothing here touches pjsua2; :class:`sip.engine.Engine` drives it between
``libHandleEvents`` polls.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)


class TimerHandle:
    __slots__ = ("cancelled", "due", "fn")

    def __init__(self, due: float, fn: Callable[[], None]) -> None:
        self.due = due
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class CommandLoop:
    """Commands submitted from any thread, run on the owning thread in order."""

    def __init__(self) -> None:
        self._commands: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = (
            queue.SimpleQueue()
        )
        self._timers: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()
        self.owner: threading.Thread | None = None
        # While the owner is in a long poll (``sleeping``), work handed to it calls ``waker``
        # so the poll returns at once (sip.wake); short polls need no waking.
        self.waker: Callable[[], None] | None = None
        self.sleeping = False
        self.poked = False  # work was handed over since the owner last looked (see wake)

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        fut: Future[Any] = Future()
        self._commands.put((fut, fn))
        self.wake()
        return fut

    def wake(self) -> None:
        """There is work for the owner: cut its long poll short (any thread).

        The owner sets ``sleeping`` before it reads ``poked`` and polls; this sets ``poked``
        before it reads ``sleeping``: either the owner sees the work or this sees it asleep.
        """
        self.poked = True
        waker = self.waker
        if self.sleeping and waker is not None:
            waker()

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> TimerHandle:
        """Run ``fn`` on the owning thread after ``delay_s`` (call only on that thread)."""
        self.assert_owner()
        handle = TimerHandle(time.monotonic() + max(0.0, delay_s), fn)
        heapq.heappush(self._timers, (handle.due, next(self._seq), handle))
        return handle

    def assert_owner(self) -> None:
        if threading.current_thread() is not self.owner:
            raise RuntimeError(
                f"must run on the SIP thread, not {threading.current_thread().name!r}"
            )

    def run_pending(self, on_error: Callable[[str, BaseException], None]) -> int:
        """Run due timers and queued commands; returns how many ran."""
        ran = 0
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, handle = heapq.heappop(self._timers)
            if handle.cancelled:
                continue
            ran += 1
            try:
                handle.fn()
            except Exception as exc:  # a timer must never kill the SIP thread
                on_error("timer", exc)
        while True:
            try:
                fut, fn = self._commands.get_nowait()
            except queue.Empty:
                return ran
            ran += 1
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:
                fut.set_exception(exc)

    def ms_to_next_timer(self) -> int:
        """Milliseconds until the next timer is due (0: due now; a large number: none)."""
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        if not self._timers:
            return 1 << 30
        return max(0, round((self._timers[0][0] - time.monotonic()) * 1000))

    def fail_pending(self, exc: BaseException) -> None:
        """Answer every queued command with ``exc`` (the loop is gone)."""
        self._timers.clear()
        while True:
            try:
                fut, _ = self._commands.get_nowait()
            except queue.Empty:
                return
            if fut.set_running_or_notify_cancel():
                fut.set_exception(exc)

"""One outbound task's course on the desktop, without Qt.

claim → the card opens (preview: the operator presses Call or Skip with a reason; progressive:
dials when a visible countdown ends, unless the operator stops it) → the store's permission to
dial (never a do-not-call number) → the call → its SIP outcome (busy, no answer after the
campaign's time, failed) goes to the store at once; an answered call's disposition (or a
callback time) goes when the operator gives it and the call is over. The lease is kept by a
heartbeat thread from claim to report. Methods may be called from the UI thread and from one
worker thread at a time: a lock keeps the course consistent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import StrEnum

from desktop.outbound.attempt import US, DialAttempt
from desktop.outbound.tasks import LeaseKeeper, TaskSource
from formats.clock import utc_us
from sip import events as ev
from store.client_outbound import Outcome, Scheduled, Task

log = logging.getLogger(__name__)


class Phase(StrEnum):
    IDLE = "idle"  # no task
    PREVIEW = "preview"  # the card is open; Call or Skip
    COUNTDOWN = "countdown"  # progressive: dials when the countdown ends
    DIALLING = "dialling"  # ringing the contact
    TALKING = "talking"  # answered
    WRAP_UP = "wrap_up"  # answered and over: the disposition is awaited


def caller_id_headers(task: Task) -> dict[str, str]:
    """The campaign's caller id as P-Preferred-Identity (RFC 3325): the PBX presents it."""
    caller_id = task["campaign"].get("caller_id")
    return {"P-Preferred-Identity": f"<tel:{caller_id}>"} if caller_id else {}


class OutboundDialler:
    """The course of the operator's current outbound task."""

    def __init__(
        self,
        source: TaskSource,
        place_call: Callable[[str, dict[str, str]], None],
        hang_up: Callable[[str], None],
        *,
        clock: Callable[[], int] = utc_us,
    ) -> None:
        """`place_call(number, headers)` dials with extra INVITE headers (the call id comes
        back through `on_dialled`, or `on_dial_failed`); `hang_up(call_id)` ends a call ringing
        too long."""
        self.source = source
        self._place_call = place_call
        self._hang_up = hang_up
        self._clock = clock
        self._lock = threading.RLock()
        self.phase = Phase.IDLE
        self.task: Task | None = None
        self.attempt: DialAttempt | None = None
        self.countdown_until_us = 0
        self.disposition: tuple[str, int | None] | None = None
        self.last: Scheduled | None = None  # what the store made of the last outcome
        self.note = ""  # why the last task ended without a call (blocked, lapsed)
        self._lease: LeaseKeeper | None = None
        self._listeners: list[Callable[[OutboundDialler], None]] = []

    def subscribe(self, listener: Callable[[OutboundDialler], None]) -> None:
        self._listeners.append(listener)

    # --- the operator ----------------------------------------------------------------------
    def next_task(self) -> Task | None:
        """Claims the next task (blocking: the store is asked); None when nothing is due."""
        with self._lock:
            if self.phase is not Phase.IDLE:
                return self.task
            task = self.source.claim()
            if task is None:
                return None
            self.task, self.note, self.disposition, self.attempt = task, "", None, None
            self._lease = LeaseKeeper(self.source.client, task, self._lapsed).start()
            if task["campaign"].get("mode") == "progressive":
                wait_s = task["campaign"].get("countdown_s", 5)
                self.countdown_until_us = self._clock() + wait_s * US
                self._set(Phase.COUNTDOWN)
            else:
                self._set(Phase.PREVIEW)
            return task

    def countdown_left_s(self, now_us: int | None = None) -> int:
        if self.phase is not Phase.COUNTDOWN:
            return 0
        now = self._clock() if now_us is None else now_us
        return max(0, -((now - self.countdown_until_us) // US))

    def stop_countdown(self) -> None:
        """Progressive: the operator stops the countdown; the card waits for Call or Skip."""
        with self._lock:
            if self.phase is Phase.COUNTDOWN:
                self._set(Phase.PREVIEW)

    def call(self) -> bool:
        """Dials the task's contact if the store allows (blocking); False when refused."""
        with self._lock:
            if self.phase not in (Phase.PREVIEW, Phase.COUNTDOWN) or self.task is None:
                return False
            task = self.task
            if not self.source.may_dial(task):
                self.note = "blocked"
                self._finish()
                return False
            no_answer_s = task["campaign"].get("no_answer_s", 30)
            self.attempt = DialAttempt(started_us=self._clock(), no_answer_s=no_answer_s)
            self._set(Phase.DIALLING)
            self._place_call(task["phone"], caller_id_headers(task))
            return True

    def skip(self, reason: str) -> Scheduled | None:
        """Preview: not dialled, with the operator's reason (blocking)."""
        with self._lock:
            if self.phase not in (Phase.PREVIEW, Phase.COUNTDOWN) or self.task is None:
                return None
            return self._report({"outcome": "skipped", "reason": reason})

    def dispose(self, disposition: str, callback_us: int | None = None) -> Scheduled | None:
        """The answered call's disposition, or a callback at `callback_us`; reported once the
        call is over (blocking then)."""
        with self._lock:
            if self.phase not in (Phase.TALKING, Phase.WRAP_UP):
                return None
            self.disposition = (disposition, callback_us)
            if self.phase is Phase.WRAP_UP:
                return self._report_answered()
            return None

    def give_back(self) -> None:
        """The operator leaves Outbound before dialling: the task returns to the pool."""
        with self._lock:
            if self.phase in (Phase.PREVIEW, Phase.COUNTDOWN) and self.task is not None:
                task = self.task
                self._finish()
                self.source.release(task)

    # --- the softphone and the clock -------------------------------------------------------
    def on_dialled(self, call_id: str) -> None:
        with self._lock:
            if self.attempt is not None and not self.attempt.call_id:
                self.attempt.call_id = call_id
                self._notify()

    def on_dial_failed(self) -> None:
        with self._lock:
            if self.attempt is not None and self.phase is Phase.DIALLING:
                self.attempt.failed_to_start()
                self._after_call()

    def on_event(self, event: ev.Event) -> None:
        with self._lock:
            attempt = self.attempt
            if attempt is None or not attempt.on_event(event):
                return
            if attempt.ended:
                self._after_call()
            elif attempt.answered and self.phase is Phase.DIALLING:
                self._set(Phase.TALKING)

    def tick(self, now_us: int | None = None) -> None:
        """About once a second: the countdown's end dials; a call ringing too long is hung up."""
        with self._lock:
            now = self._clock() if now_us is None else now_us
            if self.phase is Phase.COUNTDOWN and now >= self.countdown_until_us:
                self.call()
            elif self.attempt is not None and self.attempt.overdue(now):
                self._hang_up(self.attempt.call_id)

    # --- inside ----------------------------------------------------------------------------
    def _after_call(self) -> None:
        attempt = self.attempt
        assert attempt is not None
        if not attempt.answered:
            self._report({"outcome": attempt.outcome})  # type: ignore[typeddict-item]
        elif self.disposition is not None:
            self._report_answered()
        else:
            self._set(Phase.WRAP_UP)

    def _report_answered(self) -> Scheduled:
        assert self.disposition is not None
        disposition, callback_us = self.disposition
        if callback_us is not None:
            return self._report({"outcome": "callback", "callback_us": callback_us})
        return self._report({"outcome": "answered", "disposition": disposition})

    def _report(self, outcome: Outcome) -> Scheduled:
        assert self.task is not None
        if self.attempt is not None and self.attempt.call_id:
            outcome["call_id"] = self.attempt.call_id
        task = self.task
        try:
            self.last = self.source.report(task, outcome)
        finally:
            self._finish()
        return self.last

    def _lapsed(self, why: str) -> None:
        log.warning("the outbound task was lost: %s", why)
        with self._lock:
            if self.phase in (Phase.PREVIEW, Phase.COUNTDOWN):
                self.note = "lapsed"
                self._finish()

    def _finish(self) -> None:
        if self._lease is not None:
            self._lease.stop()
            self._lease = None
        self.task, self.attempt = None, None
        self._set(Phase.IDLE)

    def _set(self, phase: Phase) -> None:
        self.phase = phase
        self._notify()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener(self)
            except Exception:
                log.exception("an outbound listener failed")

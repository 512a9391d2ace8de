"""One dialled task's call, followed through the softphone's events to the attempt's outcome:
answered (the operator then gives the disposition), busy (486, 600), no answer (nobody picked
up within the campaign's time, or 408/480/487), or failed (any other end)."""

from __future__ import annotations

from dataclasses import dataclass

from sip import events as ev

US = 1_000_000
BUSY_CODES = frozenset({486, 600})
NO_ANSWER_CODES = frozenset({408, 480, 487})


def sip_outcome(code: int, timed_out: bool) -> str:
    """The outcome of a call that ended unanswered with this final SIP code."""
    if timed_out:
        return "no_answer"
    if code in BUSY_CODES:
        return "busy"
    if code in NO_ANSWER_CODES:
        return "no_answer"
    return "failed"


@dataclass
class DialAttempt:
    """The call placed for a task; `outcome` is set once it is known."""

    started_us: int
    no_answer_s: int
    call_id: str = ""
    answered: bool = False
    ended: bool = False
    timed_out: bool = False
    code: int = 0
    outcome: str = ""  # "", answered, busy, no_answer, failed

    def on_event(self, event: ev.Event) -> bool:
        """Follows an event of this call; True when it changed what the attempt knows."""
        if not self.call_id or getattr(event, "call_id", None) != self.call_id:
            return False
        if isinstance(event, ev.CallStateChanged):
            if event.state == "confirmed" and not self.answered:
                self.answered = True
                self.outcome = "answered"
                return True
            if event.state == "disconnected" and not self.ended:
                self._end(event.code)
                return True
        elif isinstance(event, ev.CallEnded) and not self.ended:
            self._end(int(event.record.get("cause_code") or 0))
            return True
        return False

    def failed_to_start(self) -> None:
        self.ended = True
        self.outcome = "failed"

    def overdue(self, now_us: int) -> bool:
        """Ringing past the campaign's no-answer time: hang up (once) and count no answer."""
        if self.answered or self.ended or self.timed_out or not self.call_id:
            return False
        if now_us - self.started_us >= self.no_answer_s * US:
            self.timed_out = True
            return True
        return False

    def _end(self, code: int) -> None:
        self.ended = True
        self.code = code
        if not self.answered:
            self.outcome = sip_outcome(code, self.timed_out)

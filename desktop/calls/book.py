"""The operator's calls as the UI shows them, kept up to date from engine events (no Qt).

:class:`CallBook` applies events; :func:`actions` says which buttons a call allows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sip import events as ev
from sip.headers import caller_identity

RINGING = ("incoming", "early")


@dataclass
class CallRow:
    call_id: str
    direction: str  # inbound | outbound
    number: str = ""
    display_name: str = ""
    state: str = "calling"  # the engine's state names
    waiting: bool = False  # arrived while another call was in progress
    media: str = "none"  # active | local_hold | remote_hold | none | error
    muted: bool = False
    started: float = field(default_factory=time.monotonic)
    answered: float | None = None

    @property
    def ringing(self) -> bool:
        return self.direction == "inbound" and self.state in RINGING

    @property
    def held(self) -> bool:
        return self.media == "local_hold"

    def duration_s(self, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        return int(now - (self.answered if self.answered is not None else self.started))


class CallBook:
    """Live calls in arrival order, keyed by the engine's call id."""

    def __init__(self) -> None:
        self.rows: dict[str, CallRow] = {}

    def get(self, call_id: str) -> CallRow | None:
        return self.rows.get(call_id)

    def apply(self, event: ev.Event) -> bool:
        """Update from one engine event; True when the calls changed."""
        if isinstance(event, ev.IncomingCall):
            self.rows[event.call_id] = CallRow(
                event.call_id,
                "inbound",
                event.number,
                event.display_name,
                state="incoming",
                waiting=event.waiting,
            )
        elif isinstance(event, ev.CallStateChanged):
            row = self.rows.get(event.call_id)
            if row is None:
                if event.state == "disconnected":
                    return False
                # an outbound call's first state arrives before make_call's answer
                row = self.rows[event.call_id] = CallRow(event.call_id, "outbound")
            row.state = event.state
            if event.state == "confirmed" and row.answered is None:
                row.answered = time.monotonic()
                row.waiting = False
        elif isinstance(event, ev.CallMediaChanged):
            row = self.rows.get(event.call_id)
            if row is None:
                return False
            row.media = event.media
        elif isinstance(event, ev.CallEnded):
            return self.rows.pop(event.call_id, None) is not None
        elif isinstance(event, ev.TransferRequested):
            number, name = caller_identity({}, event.target_uri)
            row = self.rows.setdefault(event.new_call_id, CallRow(event.new_call_id, "outbound"))
            row.number, row.display_name = number or event.target_uri, name
        elif isinstance(event, ev.CallReplaced):
            old = self.rows.get(event.old_call_id)
            new = self.rows.setdefault(event.new_call_id, CallRow(event.new_call_id, "inbound"))
            if old is not None:
                new.number, new.display_name = old.number, old.display_name
        else:
            return False
        return True

    def dialled(self, call_id: str, target: str) -> None:
        """make_call answered: name the outbound row after what was dialled."""
        row = self.rows.get(call_id)
        if row is not None and not row.number:
            row.number = target

    def set_muted(self, call_id: str, muted: bool) -> None:
        row = self.rows.get(call_id)
        if row is not None:
            row.muted = muted

    def consult_candidates(self, call_id: str) -> list[CallRow]:
        """Other answered calls that ``call_id`` could be transferred to (attended)."""
        return [r for r in self.rows.values() if r.call_id != call_id and r.state == "confirmed"]

    def ringing(self) -> list[CallRow]:
        return [r for r in self.rows.values() if r.ringing]


def actions(row: CallRow | None, book: CallBook) -> frozenset[str]:
    """Which of answer, reject, hangup, hold, resume, mute, transfer, attended, dtmf apply."""
    if row is None:
        return frozenset()
    if row.ringing:
        return frozenset({"answer", "reject"})
    if row.state != "confirmed":
        return frozenset({"hangup"}) if row.state != "disconnected" else frozenset()
    allowed = {"hangup", "mute", "transfer", "dtmf", "resume" if row.held else "hold"}
    if book.consult_candidates(row.call_id):
        allowed.add("attended")
    return frozenset(allowed)

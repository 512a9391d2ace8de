"""The desktop's one call model: :class:`CallBook` keeps one :class:`~desktop.calls.call.Call`
per call id up to date from the engine bridge's events and tells every consumer through its
signals. The call list, controls, banner, tray, CRM panel, recorder link, store record,
history and presence all read these calls; none keeps a table of its own. :func:`actions` says
which buttons a call allows.

A call leaves the book when its wrap-up has finished and its store record was handed on. The
wrap-up starts when a call the operator was on ends and finishes when its dialog card is
finished, when the operator's wrap-up is over, or at the latest ``wrap_up_max_s`` after the
end; the recorder link closes the call's recording window then. A call the operator never took
(a missed call) has no wrap-up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop.calls.call import (
    REFUSALS,
    Call,
    Ending,
    Hold,
    PbxHeaders,
    event_note,
    refused_call,
    store_record,
)
from desktop.calls.engine_bridge import EngineBridge
from formats.clock import utc_us
from sip import events as ev
from sip.headers import caller_identity

__all__ = ["Call", "CallBook", "actions"]
WRAP_UP_MAX_S = 600.0
AUDIO_WAIT_MS = 15_000  # a call whose recording started waits this long for its WAV
MAX_NOTES = 1000


class CallBook(QObject):
    """The desktop's calls by the engine's call id, in arrival order; UI thread only.

    Feed it the bridge's ``sip_event``, ``dialled`` and ``mute_changed``; read :meth:`get`
    and :attr:`rows`, and follow the signals (each carries the :class:`Call`).
    """

    added = Signal(object)  # a new call (ringing, dialled, or taken over by a transfer)
    dialled = Signal(object)  # an outbound call the operator made, named after its target
    changed = Signal(object)  # state, media, hold, mute, number, audio or consent changed
    ended = Signal(object)  # the call is over (its ending, hold time and store record known)
    wrap_up_finished = Signal(object)  # its wrap-up ended at ``wrap_up_end_us``
    record_ready = Signal(object)  # ended, and its audio is written (or waited for long enough)
    notes_late = Signal(object)  # a note came after the record was handed on: patch its events

    def __init__(
        self,
        agent: str = "",
        *,
        extension: str = "",
        pbx: PbxHeaders | None = None,
        wrap_up_max_s: float = WRAP_UP_MAX_S,
        audio_wait_ms: int = AUDIO_WAIT_MS,
        agent_state: Callable[[], str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # The operator's agent state now (desktop.agent.state): a call refused in it is
        # counted by the store where it belongs (not the agent's missed call unless ready).
        self.agent_state: Callable[[], str] = agent_state or (lambda: "ready")
        self.agent = agent  # the token's owner once the store said (GET /me)
        self.extension = extension  # this PC's SIP user, on every call record
        self.pbx = pbx or PbxHeaders()  # the INVITE headers naming queue, wait, PBX call id
        self.wrap_up_max_s = wrap_up_max_s
        self.audio_wait_ms = audio_wait_ms
        self.calls: dict[str, Call] = {}
        self._sent: set[str] = set()  # calls whose record_ready was emitted

    @classmethod
    def following(
        cls, bridge: EngineBridge, parent: QObject | None = None, **options: Any
    ) -> CallBook:
        """A book fed by ``bridge``'s events, dialled calls and mute changes."""
        book = cls(parent=parent, **options)
        bridge.sip_event.connect(book.apply)
        bridge.dialled.connect(book.on_dialled)
        bridge.mute_changed.connect(book.set_muted)
        return book

    # --- reading --------------------------------------------------------------------------
    def get(self, call_id: str) -> Call | None:
        return self.calls.get(call_id)

    @property
    def rows(self) -> dict[str, Call]:
        """The calls that have not ended, as the call list shows them."""
        return {k: c for k, c in self.calls.items() if not c.ended}

    def live(self) -> list[Call]:
        return [c for c in self.calls.values() if c.live]

    def ringing(self) -> list[Call]:
        return [c for c in self.calls.values() if c.ringing]

    def in_wrap_up(self) -> list[Call]:
        return [c for c in self.calls.values() if c.in_wrap_up]

    def consult_candidates(self, call_id: str) -> list[Call]:
        """Other answered calls that ``call_id`` could be transferred to (attended)."""
        return [
            c
            for c in self.calls.values()
            if c.call_id != call_id and c.state == "confirmed" and not c.ended
        ]

    # --- the engine -----------------------------------------------------------------------
    @Slot(object)
    def apply(self, event: ev.Event) -> None:
        """Follow one engine event."""
        call_id = getattr(event, "call_id", None)
        call = self.calls.get(call_id) if isinstance(call_id, str) else None
        if call is not None:
            note = event_note(event)
            if note is not None and len(call.notes) < MAX_NOTES:
                call.notes.append({"at_us": event.at_us, **note})
        if isinstance(event, ev.IncomingCall):
            new = Call(
                event.call_id,
                "inbound",
                event.number,
                event.display_name,
                remote_uri=event.remote_uri,
                state="incoming",
                waiting=event.waiting,
                headers=dict(event.headers),
                sip_call_id=event.sip_call_id,
                started_us=event.at_us,
            )
            new.notes.append({"at_us": event.at_us, **(event_note(event) or {})})
            self._add(new)
        elif isinstance(event, ev.CallStateChanged):
            self._state(call, event)
        elif isinstance(event, ev.CallMediaChanged) and call is not None:
            call.media = event.media
            if event.media == "local_hold":
                if call.hold_since_us is None:
                    call.holds.append(Hold(event.at_us))
            elif call.hold_since_us is not None:
                call.holds[-1].end_us = event.at_us
            self.changed.emit(call)
        elif isinstance(event, ev.RecordingStarted) and call is not None:
            call.audio_pending = True
        elif isinstance(event, ev.RecordingFinished) and call is not None:
            call.audio, call.audio_pending = Path(event.path), False
            self.changed.emit(call)
            if call.ended:
                self._hand_on(call)
        elif isinstance(event, ev.CallEnded) and call is not None and not call.ended:
            self._end(call, event)
        elif isinstance(event, ev.IncomingCallRejected) and event.dnd:
            self._refused(event)
        elif isinstance(event, ev.TransferRequested):
            number, name = caller_identity({}, event.target_uri)
            new = self.calls.get(event.new_call_id) or Call(event.new_call_id, "outbound")
            new.number, new.display_name = number or event.target_uri, name
            self._add(new, event.at_us)
        elif isinstance(event, ev.CallReplaced):
            old = self.calls.get(event.old_call_id)
            new = self.calls.get(event.new_call_id) or Call(event.new_call_id, "inbound")
            if old is not None:
                new.number, new.display_name = old.number, old.display_name
            self._add(new, event.at_us)

    def _add(self, call: Call, at_us: int | None = None) -> None:
        if call.call_id in self.calls:
            self.changed.emit(call)
            return
        if at_us is not None:
            call.started_us = at_us
        self.calls[call.call_id] = call
        self.added.emit(call)

    def _state(self, call: Call | None, event: ev.CallStateChanged) -> None:
        if call is None:
            if event.state == "disconnected":
                return
            # an outbound call's first state arrives before make_call's answer
            call = Call(event.call_id, "outbound", state=event.state, started_us=event.at_us)
            call.notes.append({"at_us": event.at_us, **(event_note(event) or {})})
            self._add(call)
            if event.state != "confirmed":
                return
        call.state = event.state
        if event.state == "confirmed" and call.answered_us is None:
            call.answered_us = event.at_us
            call.waiting = False
        self.changed.emit(call)

    def _refused(self, event: ev.IncomingCallRejected) -> None:
        """An INVITE the softphone refused by do-not-disturb: a leg of its own for the store,
        with the agent's state then and the INVITE's queue, wait and PBX call id."""
        call = refused_call(event, self.agent_state(), event.headers)
        call.record = store_record(call, self.agent, self.extension, self.pbx)
        self._sent.add(call.call_id)
        self.record_ready.emit(call)
        self._sent.discard(call.call_id)

    def _end(self, call: Call, event: ev.CallEnded) -> None:
        end = call.ending = Ending.read(event.record)
        call.ended_us = end.end_at_us or event.at_us
        call.direction = end.direction or call.direction
        call.number = end.number or call.number or end.remote_uri
        call.display_name = end.display_name or call.display_name
        call.sip_call_id = end.sip_call_id or call.sip_call_id
        call.started_us = end.ring_at_us or call.started_us
        if end.answer_at_us is not None or "answer_at_us" in event.record:
            call.answered_us = end.answer_at_us
        if end.ended_by == "rejected" and call.direction == "inbound" and not call.answered:
            # refused by hand while it rang: counted as the agent's state then says
            call.refusal = REFUSALS.get(self.agent_state(), "dnd")
        if end.holds:  # the engine's own account of the holds is the one kept
            call.holds = list(end.holds)
        elif call.hold_since_us is not None:
            call.holds[-1].end_us = call.ended_us
        call.record = store_record(call, self.agent, self.extension, self.pbx)
        self.ended.emit(call)
        # The timers below name the call by its id: a call that left the book meanwhile is
        # not kept alive by them (for up to wrap_up_max_s after its end).
        call_id = call.call_id
        if not call.taken:
            self._finish(call, call.ended_us)
        elif self.wrap_up_max_s >= 0:
            late = call.ended_us + round(self.wrap_up_max_s * 1e6)
            QTimer.singleShot(
                max(0, round((late - utc_us()) / 1000)),
                self,
                lambda: self.finish_wrap_up(call_id, late),
            )
        if call.audio_pending:
            QTimer.singleShot(self.audio_wait_ms, self, lambda: self._hand_on_id(call_id))
        else:
            self._hand_on(call)

    # --- the desktop ----------------------------------------------------------------------
    @Slot(str, str)
    def on_dialled(self, call_id: str, target: str) -> None:
        """make_call answered (the bridge's ``dialled``): name the call after its target."""
        call = self.calls.get(call_id)
        if call is None:
            call = Call(call_id, "outbound", number=target)
            self._add(call)
        elif not call.number:
            call.number = target
            self.changed.emit(call)
        self.dialled.emit(call)

    @Slot(str, bool)
    def set_muted(self, call_id: str, muted: bool) -> None:
        call = self.calls.get(call_id)
        if call is not None:
            call.muted = muted
            self.changed.emit(call)

    def note_consent(self, call_id: str, at_us: int) -> Call | None:
        call = self.calls.get(call_id)
        if call is not None:
            call.consent_us = at_us
            self.changed.emit(call)
        return call

    def note(
        self, call_id: str, kind: str, detail: str = "", at_us: int | None = None
    ) -> Call | None:
        """An event of the desktop's own for the store's ``events[]`` (the operator's mark, a
        pause or resume with its reason): in the record if it is not handed on yet, else
        announced by ``notes_late``. None if the call is not in the book."""
        call = self.calls.get(call_id)
        if call is None or len(call.notes) >= MAX_NOTES:
            return None
        note: dict[str, Any] = {"at_us": utc_us() if at_us is None else at_us, "kind": kind}
        if detail:
            note["detail"] = detail
        call.notes.append(note)
        if call.record is not None:
            if call_id in self._sent:
                self.notes_late.emit(call)
            else:
                call.record["events"] = list(call.notes)
        return call

    def finish_wrap_up(self, call_id: str, at_us: int | None = None) -> None:
        """The call's dialog card is finished (or its wrap-up ran to the maximum)."""
        call = self.calls.get(call_id)
        if call is not None and call.in_wrap_up:
            self._finish(call, at_us if at_us is not None else utc_us())

    def finish_wrap_ups(self, at_us: int | None = None) -> None:
        """The operator's wrap-up is over: every call still in wrap-up finishes it."""
        for call in self.in_wrap_up():
            self.finish_wrap_up(call.call_id, at_us)

    def _finish(self, call: Call, at_us: int) -> None:
        call.wrap_up_end_us = max(at_us, call.ended_us or at_us)
        self.wrap_up_finished.emit(call)
        self._forget(call)

    def _hand_on_id(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None:
            self._hand_on(call)

    def _hand_on(self, call: Call) -> None:
        if call.call_id in self._sent or self.calls.get(call.call_id) is not call:
            return
        self._sent.add(call.call_id)
        self.record_ready.emit(call)
        self._forget(call)

    def _forget(self, call: Call) -> None:
        if call.call_id in self._sent and not call.in_wrap_up:
            self.calls.pop(call.call_id, None)
            self._sent.discard(call.call_id)


def actions(call: Call | None, book: CallBook) -> frozenset[str]:
    """Which of answer, reject, hangup, hold, resume, mute, transfer, attended, dtmf apply."""
    if call is None or call.ended:
        return frozenset()
    if call.ringing:
        return frozenset({"answer", "reject"})
    if call.state != "confirmed":
        return frozenset({"hangup"}) if call.state != "disconnected" else frozenset()
    allowed = {"hangup", "mute", "transfer", "dtmf", "resume" if call.held else "hold"}
    if book.consult_candidates(call.call_id):
        allowed.add("attended")
    return frozenset(allowed)

"""Live monitoring in the operator's own softphone: listen, whisper, barge — behind any PBX.

The store grants a session (``grant_monitor``: session id, the supervisor's SIP user, mode,
expiry, ``follow``); the supervisor's softphone calls the operator's (``call_monitor``) with
the session id in an ``X-AgentDesk-Monitor`` header, through the PBX or directly. This phone
admits such an INVITE only for a session granted to that From user, unexpired and unused
(:class:`sip.monitor_grants.GrantBook`) — the grant alone decides, so neither DND nor
``trusted_sources`` apply and a supervisor may call straight from his computer; anything else
is refused (403; 480 when the operator
is on no call and the session does not follow; 486 at the call limit) without ringing or
media, logged and emitted as ``MonitorRejected``. An admitted one is answered at once, never
rings and is never a customer call: its leg emits ``MonitorStarted``/``MonitorModeChanged``/
``MonitorFollowed``/``MonitorEnded`` only — no ``IncomingCall``, ``CallStateChanged`` or
``CallEnded`` — so the call list, the records and the reports never see it, and it is not
recorded. It does take one of the wheel's 4 calls: customer + consultation + monitoring fit.

Mixing in this phone's conference bridge (:meth:`sip.media.CallMedia.set_guest`):
listen — the supervisor hears the customer and what the operator sends the customer, nobody
hears the supervisor; whisper — the operator hears the supervisor too, the customer does not;
barge — the customer as well. The mode changes during the session (``set_monitor_mode``).

The customer call's recording: in listen and whisper it never holds the supervisor. In barge
it does — in the operator (left) channel, beside the operator — because the customer heard
the supervisor: the recording stays the record of what the customer heard from our side.

A session stays with its customer call through holds and consultations. It ends when the
supervisor hangs up, it is revoked (``revoke_monitor``), or that call ends — unless it follows
the operator (``follow``): then it moves to another call in progress or the next one answered
(``MonitorFollowed``), and waits silently between calls. The grant of an admitted session stays
(used) in the engine, so a second INVITE with its id is refused as a replay. A lost engine
process ends its sessions (``engine_lost``); grants not used yet are given to the new process,
used ones never. Only the SIP thread enters this module.
"""

from __future__ import annotations

import logging
from typing import Any

from formats.clock import utc_us
from sip import events as ev
from sip.call import MonitorLeg, SipCall
from sip.errors import NotFoundError
from sip.headers import uri_user
from sip.monitor_grants import Grant, GrantBook, check_mode
from sip.state import PhoneState

log = logging.getLogger(__name__)


class Monitoring:
    """The monitoring sessions of one phone: grants, the legs in progress, their mixing."""

    def __init__(self, state: PhoneState) -> None:
        self.state = state
        self.book = GrantBook()
        self.legs: dict[str, SipCall] = {}  # session id → the agent-side leg in progress

    # --- commands (agent side) ------------------------------------------------------------
    def grant(
        self, session_id: str, supervisor: str, mode: str, expires_us: int, follow: bool = False
    ) -> None:
        self.book.add(Grant(session_id, supervisor, mode, int(expires_us), bool(follow)))

    def set_mode(self, session_id: str, mode: str) -> None:
        check_mode(mode)
        grant = self.book.grants.get(session_id)
        leg_call = self.legs.get(session_id)
        if grant is None and leg_call is None:
            raise NotFoundError(f"no monitoring session {session_id[:8]}… on this phone")
        if grant is not None:
            grant.mode = mode
        if leg_call is None or leg_call.monitor is None:
            return
        leg = leg_call.monitor
        previous, leg.mode = leg.mode, mode
        self._mix(leg)
        if previous != mode:
            self.state.emit(
                ev.MonitorModeChanged(session_id=session_id, mode=mode, previous=previous)
            )

    def revoke(self, session_id: str) -> None:
        """Forget the grant; end its session if it is in progress."""
        self.book.grants.pop(session_id, None)
        leg_call = self.legs.get(session_id)
        if leg_call is not None and leg_call.monitor is not None and not leg_call.gone:
            leg_call.monitor.end_reason = "revoked"
            leg_call.end()

    # --- a supervisor's INVITE --------------------------------------------------------------
    def incoming(self, call: SipCall, session_id: str) -> None:
        """An INVITE carrying a session id: admit it (answered at once) or refuse it."""
        call.quiet = True  # never a customer call, whatever happens
        rec = call.record
        caller = uri_user(rec.headers.get("from", "")) or rec.number
        grant, why = self.book.admit(session_id, caller, utc_us())
        code, customer = 403, self._current_customer()
        if grant is not None and customer is None and not grant.follow:
            code, why = 480, "the operator is on no call to monitor"
        if grant is None or why:
            self.refuse(call, session_id, caller, code, why)
            return
        grant.used = True
        call.monitor = MonitorLeg(
            session_id, "agent", grant.mode, caller, grant.follow, customer=customer
        )
        self.legs[session_id] = call
        call.respond(200)

    def refuse(self, call: SipCall, session_id: str, caller: str, code: int, why: str) -> None:
        log.warning("monitoring call from %s refused (%d): %s", caller or "?", code, why)
        call.hangup_requested = True
        call.respond(code)
        self.rejected(session_id, caller, code, why)

    def rejected(self, session_id: str, caller: str, code: int, why: str) -> None:
        self.state.emit(
            ev.MonitorRejected(session_id=session_id, supervisor=caller, code=code, reason=why)
        )

    # --- the legs' callbacks (both sides) ---------------------------------------------------
    def leg_state(self, call: SipCall, state: str, code: int, reason: str) -> None:
        leg = call.monitor
        assert leg is not None
        if state == "confirmed" and not leg.started:
            leg.started = True
            customer = leg.customer.call_id if leg.customer is not None else ""
            self.state.emit(
                ev.MonitorStarted(
                    session_id=leg.session_id,
                    role=leg.role,
                    call_id=call.call_id,
                    mode=leg.mode,
                    supervisor=leg.supervisor,
                    customer_call_id=customer,
                    follow=leg.follow,
                )
            )
        if state != "disconnected" or call.gone:
            return
        call.gone = True
        call.cancel_timers()
        if leg.customer is not None:
            leg.customer.media.clear_guest(gone=True)
            leg.customer = None
        recording = call.media.close()
        if recording is not None:  # asked for explicitly: a monitoring leg never records itself
            self.state.finish_recording(recording)
        self.state.calls.pop(call.call_id, None)
        self.state.bury(call)
        if self.legs.get(leg.session_id) is call:
            del self.legs[leg.session_id]  # its grant stays, used: a replay is named as such
        self.state.emit(
            ev.MonitorEnded(
                session_id=leg.session_id,
                role=leg.role,
                call_id=call.call_id,
                reason=self._end_reason(call, leg, code, reason),
                started=leg.started,
            )
        )

    @staticmethod
    def _end_reason(call: SipCall, leg: MonitorLeg, code: int, reason: str) -> str:
        if leg.end_reason:
            return leg.end_reason
        if not leg.started:
            return f"refused: {code} {reason}".strip()
        if leg.role == "agent":
            return "ended" if call.hangup_requested else "supervisor_hung_up"
        return "hung_up" if call.hangup_requested else "agent_ended"

    def leg_media(self, call: SipCall, status: str, aud: Any) -> None:
        leg = call.monitor
        assert leg is not None
        if leg.role == "supervisor":  # an ordinary call for this phone's speaker and mic
            if status in ("active", "remote_hold") and aud is not None:
                call.media.attach(aud)
            elif status == "local_hold":
                call.media.set_held(True)
            return
        leg.port = aud if status in ("active", "remote_hold") else None
        self._mix(leg)

    def _mix(self, leg: MonitorLeg) -> None:
        customer = leg.customer
        if customer is None or customer.gone:
            return
        if leg.port is None:
            customer.media.clear_guest()
        else:
            customer.media.set_guest(leg.port, leg.mode)

    # --- the customer calls -----------------------------------------------------------------
    def _current_customer(self, besides: SipCall | None = None) -> SipCall | None:
        """The operator's call to monitor: answered, not on hold if any is not, the latest."""
        calls = [
            c
            for c in self.state.customer_calls()
            if c is not besides and c.state == "confirmed" and c.record.answer_at_us
        ]
        calls.sort(key=lambda c: (not c.media.held, c.record.answer_at_us or 0))
        return calls[-1] if calls else None

    def customer_media(self, call: SipCall) -> None:
        """A customer call's media is active: following sessions between calls join it."""
        for leg_call in list(self.legs.values()):
            leg = leg_call.monitor
            if leg is not None and leg.follow and leg.customer is None and not leg_call.gone:
                leg.customer = call
                self._mix(leg)
                self.state.emit(
                    ev.MonitorFollowed(session_id=leg.session_id, customer_call_id=call.call_id)
                )

    def customer_ended(self, call: SipCall) -> None:
        """A customer call ended: its sessions end, or follow the operator."""
        for leg_call in list(self.legs.values()):
            leg = leg_call.monitor
            if leg is None or leg.customer is not call or leg_call.gone:
                continue
            leg.customer = None
            if not leg.follow:
                leg.end_reason = "call_ended"
                leg_call.end()
                continue
            leg.customer = self._current_customer(besides=call)
            self._mix(leg)
            following = leg.customer.call_id if leg.customer is not None else ""
            self.state.emit(
                ev.MonitorFollowed(session_id=leg.session_id, customer_call_id=following)
            )

    def close(self) -> None:
        """Let go of every call (before libDestroy: no Call may outlive it)."""
        for leg_call in self.legs.values():
            if leg_call.monitor is not None:
                leg_call.monitor.customer = None
        self.legs.clear()

"""What the phone does when pjsua2 calls back: registration, ringing, state and media
changes, DTMF, transfers. Runs on the SIP thread inside ``libHandleEvents``; it implements
the listeners that :class:`~sip.account.SipAccount` and :class:`~sip.call.SipCall` hand their
callbacks to, and changes only the :class:`~sip.state.PhoneState` it is given.
"""

from __future__ import annotations

import logging
from typing import Any

import pjsua2 as pj

from formats.clock import utc_us
from sip import events as ev
from sip.account import SipAccount
from sip.call import SipCall
from sip.headers import caller_identity, parse_headers
from sip.monitor import Monitoring
from sip.monitor_grants import MONITOR_HEADER
from sip.network import source_ip
from sip.state import PhoneState, transfer_failure
from sip.text import pj_text

log = logging.getLogger(__name__)
# After an unreadable final NOTIFY: how long the transferee may still take the call back
# (linphone re-INVITEs at once when its call to the target failed).
UNREADABLE_GRACE_S = 1.5


class CallbackHandlers:
    """Reactions to the pjsua2 callbacks of every account and call of one phone."""

    def __init__(self, state: PhoneState) -> None:
        self.state = state
        self.monitor = Monitoring(state)

    def report_error(self, where: str, exc: BaseException) -> None:
        self.state.report_error(where, exc)

    # --- registration ---------------------------------------------------------------------
    def on_reg_started(self, acc: SipAccount, renew: bool) -> None:
        if renew and not acc.closing:
            self.state.emit(
                ev.RegistrationChanged(
                    account_id=acc.account_id, state="registering", code=0, reason="registering"
                )
            )

    def on_reg_state(
        self, acc: SipAccount, code: int, reason: str, expires: int, source: str = ""
    ) -> None:
        if code // 100 == 2 and expires > 0 and not acc.closing:
            acc.failures, acc.registered = 0, True
            if source:  # the registrar as it answers: its calls come from there
                self.state.trust(acc.account_id, [source_ip(source)])
            self.state.emit(
                ev.RegistrationChanged(
                    account_id=acc.account_id,
                    state="registered",
                    code=code,
                    reason=reason,
                    expires=expires,
                )
            )
            return
        acc.registered = False
        if code // 100 == 2 or acc.closing:
            self.state.emit(
                ev.RegistrationChanged(
                    account_id=acc.account_id, state="unregistered", code=code, reason=reason
                )
            )
            return
        acc.failures += 1
        delay = acc.next_retry_s()
        if acc.retry is not None:
            acc.retry.cancel()
        acc.retry = self.state.loop.call_later(delay, lambda: self._retry_register(acc))
        self.state.emit(
            ev.RegistrationChanged(
                account_id=acc.account_id,
                state="failed",
                code=code,
                reason=reason or "no response",
                retry_in_s=delay,
            )
        )

    def _retry_register(self, acc: SipAccount) -> None:
        acc.retry = None
        if acc.closing or acc.account_id not in self.state.accounts:
            return
        try:
            acc.setRegistration(True)
        except pj.Error as exc:
            reason = f"re-registration failed to start: {pj_text(exc.reason)}"
            self.on_reg_state(acc, 0, reason, 0)

    # --- incoming calls ---------------------------------------------------------------------
    def on_incoming_call(self, acc: SipAccount, pj_call_id: int, message: str, source: str) -> None:
        others = [c for c in self.state.customer_calls() if c.state != "disconnected"]
        call = self.state.new_call(self, acc, "inbound", pj_call_id)
        rec = call.record
        rec.headers = parse_headers(message, self.state.kept_headers)
        rec.remote_uri, rec.sip_call_id = call.identity()
        rec.number, rec.display_name = caller_identity(rec.headers, rec.remote_uri)
        session = rec.headers.get(MONITOR_HEADER.lower())
        if session is not None:  # a supervisor's monitoring call: its grant decides, not DND
            self.monitor.incoming(call, session.strip())
            return
        # The call limit itself is pjsua's: it refuses a fifth INVITE before we see it and
        # reports it through Endpoint.onRejectedIncomingCall.
        if not self.state.trusted.allows(source_ip(source)):
            # Sent straight to us, not by the registrar/proxy: refused, and no call at all
            # for the operator (no events but this one).
            call.quiet = True
            self._refuse(call, 403, f"not from a trusted source ({source_ip(source)})")
            return
        if self.state.dnd:
            rec.ended_by = "rejected"
            self._refuse(call, self.state.dnd_code, "do not disturb", dnd=True)
            return
        call.respond(180)
        if self.state.config.ring_timeout_s > 0:
            timeout = self.state.config.ring_timeout_s
            call.timers.append(self.state.loop.call_later(timeout, lambda: self._unanswered(call)))
        waiting_ok = self.state.config.auto_answer_waiting
        auto = self.state.auto_answer_s if (waiting_ok or not others) else None
        self.state.update_ringing()
        self.state.emit(
            ev.IncomingCall(
                call_id=call.call_id,
                account_id=acc.account_id,
                remote_uri=rec.remote_uri,
                number=rec.number,
                display_name=rec.display_name,
                sip_call_id=rec.sip_call_id,
                headers=dict(rec.headers),
                waiting=bool(others),
                auto_answer_in_s=auto,
            )
        )
        if auto is not None:
            call.timers.append(self.state.loop.call_later(auto, lambda: self._auto_answer(call)))

    def _refuse(self, call: SipCall, code: int, reason: str, *, dnd: bool = False) -> None:
        rec = call.record
        call.hangup_requested = True
        call.respond(code)
        self.state.emit(
            ev.IncomingCallRejected(
                account_id=rec.account_id,
                remote_uri=rec.remote_uri,
                number=rec.number,
                sip_call_id=rec.sip_call_id,
                code=code,
                reason=reason,
                headers=dict(rec.headers),
                dnd=dnd,
            )
        )

    def _unanswered(self, call: SipCall) -> None:
        if not call.gone and call.state in ("incoming", "early"):
            call.record.ended_by = "unanswered"
            call.end(480)

    def on_connection(self, key: int, handle: Any, connected: bool) -> None:
        self.state.connection_changed(key, handle, connected)

    def on_rejected_incoming(self, code: int, reason: str, remote: str, message: str) -> None:
        """pjsua refused a call before any account saw it (its call limit, 488 for an offer
        without a common codec): say which account it was for and its Call-ID."""
        headers = parse_headers(message, self.state.kept_headers)
        acc = self.state.account_for(headers.get("to", ""))
        number, _ = caller_identity(headers, remote)
        session = headers.get(MONITOR_HEADER.lower())
        if session is not None:
            limit = self.state.config.max_calls
            why = f"{code} {reason}: this softphone's limit of {limit} calls is reached"
            self.monitor.rejected(session.strip(), number, code, why if code == 486 else reason)
            return
        self.state.emit(
            ev.IncomingCallRejected(
                account_id=acc.account_id if acc is not None else "",
                remote_uri=remote,
                number=number,
                sip_call_id=headers.get("call-id", ""),
                code=code,
                reason=reason,
                headers=headers,
            )
        )

    def _auto_answer(self, call: SipCall) -> None:
        if not call.gone and call.state in ("incoming", "early"):
            self.state.answer(call, hold_others=not self.state.config.auto_answer_waiting)

    # --- call state and media ---------------------------------------------------------------
    def on_call_state(self, call: SipCall, state: str, code: int, reason: str) -> None:
        if call.monitor is not None:
            self.monitor.leg_state(call, state, code, reason)
            return
        if call.quiet:  # refused before ringing: only let the wrapper go once it ended
            if state == "disconnected" and not call.gone:
                call.gone = True
                self.state.calls.pop(call.call_id, None)
                self.state.bury(call)
            return
        rec = call.record
        now = utc_us()
        if state == "confirmed" and rec.answer_at_us is None:
            rec.answer_at_us = now
        self.state.update_ringing()
        self.state.emit(
            ev.CallStateChanged(
                call_id=call.call_id,
                state=state,
                code=code,
                reason=reason,
                sip_call_id=rec.sip_call_id,
                at_us=now,
            )
        )
        if state != "disconnected" or call.gone:
            return
        transfer = call.transfer
        if transfer is not None:
            if transfer.accepted and not call.hangup_requested and transfer.last_code >= 300:
                why = (
                    f"failed: the target answered {transfer.last_code}, then the customer's "
                    "phone hung up"
                )
                self.state.conclude_transfer(call, False, transfer.last_code, why, "notify")
            elif transfer.accepted and not call.hangup_requested:
                done = "done (the customer's phone hung up after taking the transfer on)"
                self.state.conclude_transfer(call, True, transfer.last_code, done, "hangup")
            else:
                why = transfer_failure(code, reason, transfer.kind, "ended")
                self.state.conclude_transfer(call, False, transfer.last_code, why, "ended")
        call.gone = True
        call.cancel_timers()
        rec.end_at_us = now
        rec.hold_ended(now)
        rec.cause_code, rec.cause_reason = code, reason
        if not rec.ended_by:
            if call.hangup_requested:
                rec.ended_by = "local"
            elif rec.answer_at_us is None and rec.direction == "outbound":
                rec.ended_by = "failed"
            else:
                rec.ended_by = "remote"
        recording = call.media.close()
        if recording is not None:
            self.state.finish_recording(recording)
        self.state.calls.pop(call.call_id, None)
        self.state.bury(call)
        self.monitor.customer_ended(call)
        self.state.emit(ev.CallEnded(call_id=call.call_id, record=rec.to_dict(), at_us=now))

    def on_call_media(self, call: SipCall, status: str, aud: Any, codec: str = "") -> None:
        rec, media = call.record, call.media
        if call.gone:
            return
        if call.monitor is not None:
            self.monitor.leg_media(call, status, aud)
            return
        if status in ("active", "remote_hold") and aud is not None:
            rec.hold_ended(utc_us())
            media.attach(aud)
            if self.state.recording_dir and media.recording is None:
                self.state.recording_started(call, media.start_recording(self.state.recording_dir))
            self.monitor.customer_media(call)
        elif status == "local_hold":
            rec.hold_started(utc_us())
            media.set_held(True)
        self.state.emit(ev.CallMediaChanged(call_id=call.call_id, media=status, codec=codec))
        transfer = call.transfer
        if transfer is not None:
            if call.far_end_holds:
                transfer.held_by_far_end = True
            elif transfer.held_by_far_end and transfer.accepted:
                # The transferee held us while it called the target and now resumes: it
                # is back with us, the transfer did not go through.
                reason = transfer_failure(0, "", transfer.kind, "taken_back")
                self.state.conclude_transfer(call, False, transfer.last_code, reason, "taken_back")

    def on_dtmf(self, call: SipCall, digit: str, method: str) -> None:
        if call.monitor is not None:
            return
        call.record.dtmf_received += digit
        self.state.emit(ev.DtmfReceived(call_id=call.call_id, digit=digit, method=method))

    # --- transfers --------------------------------------------------------------------------
    def on_transfer_request(self, call: SipCall, target: str) -> SipCall:
        """The far end REFERs us to ``target``: follow it with a new call of ours."""
        new = self.state.new_call(self, call.account, "outbound")
        new.record.remote_uri = target
        new.record.number = caller_identity({}, target)[0]
        call.record.transfers.append(
            {"kind": "referred", "target": target, "at_us": utc_us(), "new_call_id": new.call_id}
        )
        self.state.emit(
            ev.TransferRequested(call_id=call.call_id, target_uri=target, new_call_id=new.call_id)
        )
        return new

    def on_transfer_status(self, call: SipCall, code: int, reason: str, final: bool) -> bool:
        """A response to our REFER or a NOTIFY about it; returns whether to keep listening."""
        transfer = call.transfer
        if transfer is None:  # its outcome is already known from other evidence
            return False
        if not final:
            # A 2xx to the REFER or any NOTIFY means the far end took the transfer on.
            transfer.accepted, transfer.last_code = True, code
            if call.record.transfers:
                call.record.transfers[-1].update(code=code)
            self.state.emit(
                ev.TransferProgress(
                    call_id=call.call_id, code=code, reason=reason, final=False, succeeded=False
                )
            )
            return True
        ok = code // 100 == 2
        evidence = "notify" if transfer.accepted else "refused"
        if not ok:
            reason = transfer_failure(code, reason, transfer.kind, evidence)
        self.state.conclude_transfer(call, ok, code, reason, evidence)
        return False

    def on_unreadable_notifies(self) -> None:
        """pjsip dropped NOTIFYs it could not parse (linphone's final one has a malformed
        Subscription-State): the final report of an accepted transfer that did not arrive
        otherwise. Which transfer it was for is known only when one is waiting; its outcome
        is that the transferee did not take the call back within a short grace."""
        if not self.state.unreadable_notifies.take():
            return
        waiting = [c for c in self.state.live_calls() if c.transfer and c.transfer.accepted]
        if len(waiting) != 1:
            log.info("an unreadable NOTIFY with %d transfers waiting", len(waiting))
            return
        call = waiting[0]
        transfer = call.transfer
        assert transfer is not None
        if transfer.unreadable_final:
            return  # a retransmission
        transfer.unreadable_final = True

        def conclude() -> None:
            if call.transfer is transfer:
                reason = "done (its final report was unreadable; the call was not taken back)"
                self.state.conclude_transfer(call, True, 0, reason, "unreadable_notify")

        transfer.timers.append(self.state.loop.call_later(UNREADABLE_GRACE_S, conclude))

    def on_replaced(self, old: SipCall, new_pj_call_id: int) -> SipCall:
        """An INVITE with Replaces takes over ``old`` (we are the attended-transfer target)."""
        new = self.state.new_call(self, old.account, "inbound", new_pj_call_id)
        new.record.remote_uri, new.record.sip_call_id = new.identity()
        new.record.number, new.record.display_name = caller_identity({}, new.record.remote_uri)
        new.record.answer_at_us = utc_us()
        old.record.ended_by = "replaced"
        self.state.emit(ev.CallReplaced(old_call_id=old.call_id, new_call_id=new.call_id))
        return new

    # --- the audit of calls pjsua forgot -------------------------------------------------
    def end_vanished_calls(self) -> None:
        """End any call pjsua no longer knows although we never heard its end (a call
        inactive at two audits in a row is gone)."""
        for call in self.state.live_calls():
            if call.state in ("null", "disconnected") or call.isActive():
                call.inactive_seen = False
                continue
            if call.inactive_seen:
                self.report_error("call-audit", RuntimeError(f"call {call.call_id} vanished"))
                call.state = "disconnected"
                self.on_call_state(call, "disconnected", 0, "call vanished")
            call.inactive_seen = True

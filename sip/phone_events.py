"""What the phone does when pjsua2 calls back: ringing, state and media changes, DTMF,
transfers. A mixin of :class:`sip.phone.Phone`; runs on the SIP thread inside
``libHandleEvents``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from formats.call_audio import merge_stereo, wait_finalised
from formats.clock import utc_us
from sip import events as ev
from sip.headers import caller_identity, parse_headers
from sip.media import Recording, _write_sidecar

if TYPE_CHECKING:
    from sip.account import SipAccount
    from sip.call import SipCall
    from sip.loop import TimerHandle
    from sip.phone import Phone

log = logging.getLogger(__name__)


class CallbackHandlers:
    """Reactions to pjsua2 callbacks, on behalf of one :class:`~sip.phone.Phone`."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self._auto_answer_timers: dict[str, TimerHandle] = {}

    # --- registration ---------------------------------------------------------------------
    def on_reg_started(self, acc: SipAccount, renew: bool) -> None:
        if renew and not acc.closing:
            self.phone.emit(
                ev.RegistrationChanged(
                    account_id=acc.account_id, state="registering", code=0, reason="registering"
                )
            )

    def on_reg_state(self, acc: SipAccount, code: int, reason: str, expires: int) -> None:
        if code // 100 == 2 and expires > 0 and not acc.closing:
            acc.failures, acc.registered = 0, True
            self.phone.emit(
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
            self.phone.emit(
                ev.RegistrationChanged(
                    account_id=acc.account_id, state="unregistered", code=code, reason=reason
                )
            )
            return
        acc.failures += 1
        delay = acc.next_retry_s()
        if acc.retry is not None:
            acc.retry.cancel()
        acc.retry = self.phone.loop.call_later(delay, lambda: self._retry_register(acc))
        self.phone.emit(
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
        if acc.closing or acc.account_id not in self.phone.accounts:
            return
        try:
            acc.setRegistration(True)
        except pj.Error as exc:
            self.on_reg_state(acc, 0, f"re-registration failed to start: {exc.reason}", 0)

    # --- incoming calls ---------------------------------------------------------------------
    def on_incoming_call(self, acc: SipAccount, pj_call_id: int, message: str) -> None:
        others = [c for c in self.phone.live_calls() if c.state != "disconnected"]
        call = self.phone.new_call(acc, "inbound", pj_call_id)
        rec = call.record
        rec.headers = parse_headers(message)
        ci = call.getInfo()
        rec.remote_uri, rec.sip_call_id = str(ci.remoteUri), str(ci.callIdString)
        rec.number, rec.display_name = caller_identity(rec.headers, rec.remote_uri)
        # The call limit itself is pjsua's: it refuses a fifth INVITE before we see it and
        # reports it through Endpoint.onRejectedIncomingCall.
        if self.phone.dnd:
            refuse = self.phone.dnd_code
            rec.ended_by = "rejected"
            call.hangup_requested = True
            prm = pj.CallOpParam(True)
            prm.statusCode = refuse
            call.answer(prm)
            self.phone.emit(
                ev.IncomingCallRejected(
                    account_id=acc.account_id,
                    remote_uri=rec.remote_uri,
                    number=rec.number,
                    sip_call_id=rec.sip_call_id,
                    code=refuse,
                    reason="do not disturb",
                )
            )
            return
        prm = pj.CallOpParam(True)
        prm.statusCode = 180
        call.answer(prm)
        waiting_ok = self.phone.config.auto_answer_waiting
        auto = self.phone.auto_answer_s if (waiting_ok or not others) else None
        self.phone.update_ringing()
        self.phone.emit(
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
            cid = call.call_id
            self._auto_answer_timers[cid] = self.phone.loop.call_later(
                auto, lambda: self._auto_answer(cid)
            )

    def on_rejected_incoming(self, code: int, reason: str, remote: str, sip_id: str) -> None:
        """pjsua refused a call before we saw it (e.g. its own call limit)."""
        number, _ = caller_identity({}, remote)
        self.phone.emit(
            ev.IncomingCallRejected(
                account_id="",
                remote_uri=remote,
                number=number,
                sip_call_id=sip_id,
                code=code,
                reason=reason,
            )
        )

    def _auto_answer(self, call_id: str) -> None:
        self._auto_answer_timers.pop(call_id, None)
        call = self.phone.calls.get(call_id)
        if call is not None and not call.gone and call.state in ("incoming", "early"):
            self.phone.answer(call_id, hold_others=not self.phone.config.auto_answer_waiting)

    def _cancel_auto_answer(self, call_id: str) -> None:
        timer = self._auto_answer_timers.pop(call_id, None)
        if timer is not None:
            timer.cancel()

    # --- call state and media ---------------------------------------------------------------
    def on_call_state(self, call: SipCall, state: str, code: int, reason: str) -> None:
        rec = call.record
        now = utc_us()
        if state == "confirmed" and rec.answer_at_us is None:
            rec.answer_at_us = now
        self.phone.update_ringing()
        self.phone.emit(
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
        call.gone = True
        self._cancel_auto_answer(call.call_id)
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
            self._finish_recording(recording)
        self.phone.calls.pop(call.call_id, None)
        self.phone.bury(call)
        self.phone.emit(ev.CallEnded(call_id=call.call_id, record=rec.to_dict(), at_us=now))

    def on_call_media(self, call: SipCall, status: str, aud: Any) -> None:
        rec, media = call.record, call.media
        if call.gone:
            return
        if status in ("active", "remote_hold") and aud is not None:
            rec.hold_ended(utc_us())
            media.attach(aud)
            if self.phone.recording_dir and media.recording is None:
                self.phone.recording_started(call, media.start_recording(self.phone.recording_dir))
        elif status == "local_hold":
            rec.hold_started(utc_us())
            media.set_held(True)
        self.phone.emit(ev.CallMediaChanged(call_id=call.call_id, media=status))

    def on_dtmf(self, call: SipCall, digit: str, method: str) -> None:
        call.record.dtmf_received += digit
        self.phone.emit(ev.DtmfReceived(call_id=call.call_id, digit=digit, method=method))

    # --- transfers --------------------------------------------------------------------------
    def on_transfer_request(self, call: SipCall, target: str) -> SipCall:
        """The far end REFERs us to ``target``: follow it with a new call of ours."""
        new = self.phone.new_call(call.account, "outbound")
        new.record.remote_uri = target
        new.record.number = caller_identity({}, target)[0]
        call.record.transfers.append(
            {"kind": "referred", "target": target, "at_us": utc_us(), "new_call_id": new.call_id}
        )
        self.phone.emit(
            ev.TransferRequested(call_id=call.call_id, target_uri=target, new_call_id=new.call_id)
        )
        return new

    def on_transfer_status(self, call: SipCall, code: int, reason: str, final: bool) -> bool:
        ok = code // 100 == 2
        if call.record.transfers:
            call.record.transfers[-1].update(code=code, succeeded=ok if final else None)
        self.phone.emit(
            ev.TransferProgress(
                call_id=call.call_id, code=code, reason=reason, final=final, succeeded=final and ok
            )
        )
        if final:
            call.transfer_pending = ""
            if ok and not call.gone:
                call.record.ended_by = "transfer"
                try:
                    self.phone.hangup(call.call_id)
                except Exception as exc:  # the far end may have hung up first
                    log.info("after transfer: %s", exc)
        return not final

    def on_replaced(self, old: SipCall, new_pj_call_id: int) -> SipCall:
        """An INVITE with Replaces takes over ``old`` (we are the attended-transfer target)."""
        new = self.phone.new_call(old.account, "inbound", new_pj_call_id)
        ci = new.getInfo()
        new.record.remote_uri, new.record.sip_call_id = str(ci.remoteUri), str(ci.callIdString)
        new.record.number, new.record.display_name = caller_identity({}, new.record.remote_uri)
        new.record.answer_at_us = utc_us()
        old.record.ended_by = "replaced"
        self.phone.emit(ev.CallReplaced(old_call_id=old.call_id, new_call_id=new.call_id))
        return new

    # --- recordings -------------------------------------------------------------------------
    def _finish_recording(self, rec: Recording) -> None:
        """Merge the two sides off the SIP thread; the recorders are already closed."""
        emit = self.phone.emit

        def merge() -> None:
            # The recorders close a bridge tick after they were dropped: merging before that
            # would lose the unflushed tail (or find no header at all in a short call).
            if not wait_finalised((rec.operator_path, rec.customer_path)):
                log.warning("the recording of %s was not finalised in time", rec.call_id)
            try:
                frames = merge_stereo(rec.operator_path, rec.customer_path, rec.path)
                _write_sidecar(rec, finished=True, frames=frames)
                rec.operator_path.unlink(missing_ok=True)
                rec.customer_path.unlink(missing_ok=True)
            except Exception as exc:  # keep the mono files: nothing is lost
                log.exception("merging the recording of %s", rec.call_id)
                emit(ev.EngineError(where="recording", message=f"{rec.call_id}: {exc}"))
                return
            emit(
                ev.RecordingFinished(
                    call_id=rec.call_id,
                    path=str(rec.path),
                    first_sample_utc_us=rec.first_sample_utc_us,
                    sample_rate=rec.sample_rate,
                    frames=frames,
                )
            )

        self.phone.merger.submit(merge)

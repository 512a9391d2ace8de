"""What the phone holds on the SIP thread: its accounts and calls, the ring signal, the
operator's switches (DND, auto-answer), and the steps that commands and callbacks share.

Keeping every Account/Call wrapper referenced here is what keeps pjsua2 from collecting a
live call under us; a finished wrapper waits in the graveyard until its callback returned.
"""

from __future__ import annotations

import logging
import queue
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pjsua2 as pj

from formats.clock import utc_us
from sip import events as ev
from sip.account import SipAccount
from sip.call import CallListener, CallRecord, PendingTransfer, SipCall
from sip.config import EngineConfig
from sip.errors import NotFoundError
from sip.headers import uri_user
from sip.loop import CommandLoop
from sip.media import CallMedia, Recording, merge_recording
from sip.network import TrustedSources
from sip.tcp_guard import ConnectionGuard

log = logging.getLogger(__name__)
GIVE_BACK_RETRY_S = 0.2
TRANSFER_TIMEOUT_S = 30.0  # a transfer with no outcome by then is given up: the call comes back
# pjsip drops a request it cannot parse without telling pjsua2's callbacks; its log line is all
# that arrives. A Subscription-State header is only in NOTIFYs (of our REFERs, here).
_UNREADABLE_NOTIFY = re.compile(r"Dropping \d+ bytes packet .*'Subscription-State' header")


class UnreadableNotifies(logging.Filter):
    """Notes pjsip's log lines about NOTIFYs it dropped as unparsable (any thread).

    A filter on pjsua2's logger, so it sees them whatever the logger's level: the level is
    lowered to WARNING if need be and the filter lets through only what it let through before.
    (pjsip writes the line at its log level 2: a ``log_level`` below 2 leaves only the timeout.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._logger = logging.getLogger("pjsua2")
        self._level = self._logger.level
        self._floor = self._logger.getEffectiveLevel()
        if self._floor > logging.WARNING:
            self._logger.setLevel(logging.WARNING)
        self._logger.addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and _UNREADABLE_NOTIFY.search(record.getMessage()):
            self.seen.put(record.getMessage())
        return record.levelno >= self._floor

    def close(self) -> None:
        self._logger.removeFilter(self)
        if self._floor > logging.WARNING:
            self._logger.setLevel(self._level)

    def take(self) -> int:
        """How many were noted since the last call."""
        count = 0
        while True:
            try:
                self.seen.get_nowait()
            except queue.Empty:
                return count
            count += 1


def transfer_failure(code: int, reason: str, kind: str, evidence: str) -> str:
    """Why a transfer failed, in words, ending with what happens to the call."""
    status = f"{code} {reason}".strip() if code else ""
    if evidence == "refused":
        why = f"the customer's phone refused the transfer ({status})"
    elif evidence == "taken_back":
        why = "the customer's phone took the call back: the transfer did not go through"
    elif evidence == "ended":
        return "the call ended before the transfer's outcome was known"
    elif code in (420, 421) or (kind == "attended" and code == 501):
        why = f"the target's phone cannot take over a call (it refuses Replaces: {status})"
    elif code in (404, 484, 604):
        why = f"the target was not found ({status})"
    elif code in (486, 600):
        why = f"the target is busy ({status})"
    elif code in (408, 480, 487):
        why = f"the target did not answer ({status})"
    elif code == 603:
        why = f"the target declined ({status})"
    else:
        why = f"the target answered {status}" if status else "the transfer failed"
    return f"{why}; the call is back with you"


class PhoneState:
    """Accounts, calls and switches of one engine. Only the SIP thread enters it."""

    def __init__(
        self,
        config: EngineConfig,
        endpoint: Any,
        loop: CommandLoop,
        emit: Callable[[ev.Event], None],
        mic: Any,
        speaker: Any,
        ring: Callable[[str | None], None] = lambda pattern: None,
        silence: Any = None,
    ) -> None:
        self.config = config
        self.silence = silence
        self.ep = endpoint
        self.loop = loop
        self.emit = emit
        self.mic, self.speaker = mic, speaker
        self.ring = ring
        self.accounts: dict[str, SipAccount] = {}
        self.calls: dict[str, SipCall] = {}
        self.graveyard: list[Any] = []  # wrappers dropped on the next loop turn
        self.dnd = config.dnd
        self.dnd_code = config.dnd_code
        self.auto_answer_s = config.auto_answer_s
        self.kept_headers: frozenset[str] = frozenset()  # INVITE headers kept besides X-
        self.recording_dir = config.recording_dir
        self.trusted = TrustedSources(config.trusted_sources)
        self.connections = ConnectionGuard(
            config.max_inbound_connections, endpoint.transportShutdown
        )
        self.unreadable_notifies = UnreadableNotifies()
        self._merger = ThreadPoolExecutor(1, thread_name_prefix="wav-merge")
        # Outcomes of merges, handed back to the SIP thread, which emits them.
        self._merged: queue.SimpleQueue[ev.Event] = queue.SimpleQueue()

    def report_error(self, where: str, exc: BaseException) -> None:
        self.emit(ev.EngineError(where=where, message=f"{type(exc).__name__}: {exc}"))

    def call(self, call_id: str) -> SipCall:
        call = self.calls.get(call_id)
        if call is None or call.gone:
            raise NotFoundError(f"no call {call_id!r} (it may have ended)")
        return call

    def account(self, account_id: str) -> SipAccount:
        acc = self.accounts.get(account_id)
        if acc is None:
            raise NotFoundError(f"no account {account_id!r}")
        return acc

    def account_for(self, to_header: str) -> SipAccount | None:
        """The account a request addressed to ``to_header`` is for: the one whose user it
        names, else the only account (pjsua hands such a request to its default account)."""
        user = uri_user(to_header)
        named = [a for a in self.accounts.values() if a.settings.user == user]
        if named:
            return named[0]
        return next(iter(self.accounts.values())) if len(self.accounts) == 1 else None

    def new_call(
        self,
        listener: CallListener,
        account: SipAccount,
        direction: str,
        pj_call_id: int = pj.PJSUA_INVALID_ID,
    ) -> SipCall:
        call_id = uuid.uuid4().hex
        record = CallRecord(
            call_id=call_id,
            account_id=account.account_id,
            direction=direction,
            ring_at_us=utc_us(),
        )
        media = CallMedia(call_id, self.mic, self.speaker, self.config.clock_rate, self.silence)
        call = SipCall(listener, account, record, media, pj_call_id)
        call.codecs = self.config.codecs
        self.calls[call_id] = call
        return call

    def use_sound(self, mic: Any, speaker: Any) -> None:
        """Calls hear and speak through these conference ports from now on (the sound
        device changed), the live ones as well."""
        self.mic, self.speaker = mic, speaker
        for call in self.live_calls():
            call.media.use_sound(mic, speaker)

    def live_calls(self) -> list[SipCall]:
        return [c for c in self.calls.values() if not c.gone]

    def customer_calls(self) -> list[SipCall]:
        """Live calls but monitoring legs (sip.monitor): what rings, holds and waits."""
        return [c for c in self.calls.values() if not c.gone and c.monitor is None]

    def update_ringing(self) -> None:
        """Ring while an inbound call waits for the operator; a soft beep if already talking."""
        live = self.customer_calls()
        ringing = [
            c
            for c in live
            if c.record.direction == "inbound"
            and c.state in ("incoming", "early")
            and not c.hangup_requested
        ]
        if not ringing:
            self.ring(None)
        else:
            self.ring("waiting" if any(c.state == "confirmed" for c in live) else "ring")

    # --- whom the phone believes ----------------------------------------------------------
    def trust(self, owner: str, addresses: list[str] | None) -> None:
        """Accept calls (and TCP/TLS connections) from ``addresses`` on behalf of ``owner``
        (an account: its registrar/proxy); None forgets the owner's."""
        if addresses is None:
            self.trusted.forget(owner)
        else:
            self.trusted.learn(owner, addresses)
        self.connections.trust(self.trusted.networks() or None)

    def connection_changed(self, key: int, handle: Any, connected: bool) -> None:
        """pjsip opened or closed a TCP/TLS connection (inside libHandleEvents)."""
        if not connected:
            self.connections.disconnected(key)
            return
        message = self.connections.connected(key, handle)
        if message:
            log.warning("%s", message)
            self.emit(ev.EngineError(where="tcp-guard", message=message))

    # --- steps shared by commands and callbacks -------------------------------------------
    def answer(self, call: SipCall, code: int = 200, hold_others: bool = True) -> None:
        if code == 200 and hold_others:
            for other in self.customer_calls():
                if other is not call and other.state == "confirmed" and not other.media.held:
                    other.put_on_hold()
        if code >= 200:
            call.cancel_timers()
        call.respond(code)

    # --- transfers we asked for -------------------------------------------------------------
    def transfer_started(
        self, call: SipCall, kind: str, entry: dict[str, Any], timeout_s: float
    ) -> None:
        """Our REFER left: its outcome is open until evidence arrives, at most ``timeout_s``."""
        transfer = PendingTransfer(kind)
        call.transfer = transfer
        call.record.transfers.append(entry)

        def timed_out() -> None:
            if call.transfer is transfer:
                reason = (
                    f"the far end gave no outcome of the transfer within {timeout_s:g} s; "
                    "the call is back with you"
                )
                self.conclude_transfer(call, False, transfer.last_code, reason, "timeout")

        transfer.timers.append(self.loop.call_later(timeout_s, timed_out))

    def conclude_transfer(
        self, call: SipCall, succeeded: bool, code: int, reason: str, evidence: str
    ) -> None:
        """The transfer's outcome is known: record and report it; a completed transfer ends
        our leg, a failed one gives the call back to the operator."""
        transfer = call.transfer
        if transfer is None:
            return
        transfer.cancel_timers()
        call.transfer = None
        live = not call.gone and call.state != "disconnected"
        if call.record.transfers:
            call.record.transfers[-1].update(
                code=code,
                succeeded=succeeded,
                evidence=evidence,
                reason=reason,
                concluded_at_us=utc_us(),
            )
        self.emit(
            ev.TransferProgress(
                call_id=call.call_id,
                code=code,
                reason=reason,
                final=True,
                succeeded=succeeded,
                evidence=evidence,
                call_back=live and not succeeded,
            )
        )
        if succeeded:
            call.record.ended_by = "transfer"
        if not live:
            return
        if succeeded:
            try:
                call.end()
            except Exception as exc:  # the far end may have hung up first
                log.info("after transfer: %s", exc)
        else:
            self.give_back(call)

    def give_back(self, call: SipCall, tries: int = 10) -> None:
        """A call whose transfer failed: resumed if we held it, any other call held. Retried
        a few times: the far end's own re-INVITE may still be under way (PJ_EINVALIDOP)."""
        if call.gone or not call.media.held:
            return
        try:
            for other in self.customer_calls():
                if other is not call and other.state == "confirmed" and not other.media.held:
                    other.put_on_hold()
            call.take_off_hold()
        except Exception as exc:
            if tries > 1:
                self.loop.call_later(GIVE_BACK_RETRY_S, lambda: self.give_back(call, tries - 1))
            else:
                self.report_error("transfer", exc)

    def recording_started(self, call: SipCall, rec: Recording) -> None:
        call.record.recording = {
            "path": str(rec.path),
            "sample_rate": rec.sample_rate,
            "first_sample_utc_us": rec.first_sample_utc_us,
        }
        self.emit(
            ev.RecordingStarted(
                call_id=call.call_id,
                path=str(rec.path),
                first_sample_utc_us=rec.first_sample_utc_us,
                sample_rate=rec.sample_rate,
            )
        )

    def finish_recording(self, rec: Recording) -> None:
        """Merge the two sides on the merge thread; its outcome is emitted from this thread
        by :meth:`collect` (events leave only from the SIP thread)."""

        def merge() -> None:
            self._merged.put(merge_recording(rec))
            self.loop.wake()

        self._merger.submit(merge)

    # --- housekeeping on every loop turn ----------------------------------------------------
    def bury(self, wrapper: Any) -> None:
        """Keep a finished pjsua2 wrapper until the callback that finished it has returned."""
        self.graveyard.append(wrapper)

    def collect(self) -> None:
        """Drop buried wrappers (outside their callbacks); emit finished merges; let the
        connection guard act outside pjsip's callbacks."""
        message = self.connections.tick()
        if message:
            log.warning("%s", message)
        if self.graveyard:
            self.graveyard.clear()
        while True:
            try:
                event = self._merged.get_nowait()
            except queue.Empty:
                return
            self.emit(event)

    def close(self) -> None:
        """Drop every pjsua2 wrapper (before libDestroy); finish and report pending merges."""
        self.unreadable_notifies.close()
        for call in self.calls.values():
            if call.transfer is not None:
                call.transfer.cancel_timers()
        self.calls.clear()
        self.accounts.clear()
        self.graveyard.clear()
        self.mic = self.speaker = self.silence = None
        self._merger.shutdown(wait=True)
        self.collect()

"""What the phone holds on the SIP thread: its accounts and calls, the ring signal, the
operator's switches (DND, auto-answer), and the steps that commands and callbacks share.

Keeping every Account/Call wrapper referenced here is what keeps pjsua2 from collecting a
live call under us; a finished wrapper waits in the graveyard until its callback returned.
"""

from __future__ import annotations

import logging
import queue
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pjsua2 as pj

from formats.clock import utc_us
from sip import events as ev
from sip.account import SipAccount
from sip.call import CallListener, CallRecord, SipCall
from sip.config import EngineConfig
from sip.errors import NotFoundError
from sip.headers import uri_user
from sip.loop import CommandLoop
from sip.media import CallMedia, Recording, merge_recording
from sip.network import TrustedSources
from sip.tcp_guard import ConnectionGuard

log = logging.getLogger(__name__)


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
        self.recording_dir = config.recording_dir
        self.trusted = TrustedSources(config.trusted_sources)
        self.connections = ConnectionGuard(
            config.max_inbound_connections, endpoint.transportShutdown
        )
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

    def live_calls(self) -> list[SipCall]:
        return [c for c in self.calls.values() if not c.gone]

    def update_ringing(self) -> None:
        """Ring while an inbound call waits for the operator; a soft beep if already talking."""
        live = self.live_calls()
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
            for other in self.live_calls():
                if other is not call and other.state == "confirmed" and not other.media.held:
                    other.put_on_hold()
        if code >= 200:
            call.cancel_timers()
        call.respond(code)

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
        self._merger.submit(lambda: self._merged.put(merge_recording(rec)))

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
        self.calls.clear()
        self.accounts.clear()
        self.graveyard.clear()
        self.mic = self.speaker = self.silence = None
        self._merger.shutdown(wait=True)
        self.collect()

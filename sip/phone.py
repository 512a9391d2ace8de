"""The softphone's commands on the SIP thread: accounts, calls, media, switches.

Only the SIP thread enters this module (``Engine`` submits commands to it); events leave
through ``emit``. The state lives in :class:`~sip.state.PhoneState`, the reactions to
pjsua2's callbacks in :class:`~sip.handlers.CallbackHandlers`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from formats.clock import utc_us
from sip import events as ev
from sip.account import SipAccount, build_account_config
from sip.call import MonitorLeg, SipCall
from sip.config import MAX_ACCOUNTS, AccountSettings, EngineConfig
from sip.endpoint import open_transport
from sip.errors import ConfigError, LimitError, from_pj
from sip.handlers import CallbackHandlers
from sip.headers import caller_identity
from sip.loop import CommandLoop
from sip.monitor_grants import MONITOR_HEADER, check_session_id
from sip.network import resolve, route_address, uri_host
from sip.state import TRANSFER_TIMEOUT_S, PhoneState

log = logging.getLogger(__name__)
DTMF_MS = 160
DTMF_GAP_S = 0.25  # between SIP INFO digits, like key presses
DTMF_DIGITS = re.compile(r"^[0-9A-Da-d*#]{1,32}$")
_URI_SCHEME = re.compile(r"^sips?:", re.IGNORECASE)
_AUDIT_S = 1.0


class Phone:
    """The commands of one engine, over its state; callbacks go to ``handlers``."""

    def __init__(
        self,
        config: EngineConfig,
        endpoint: Any,
        loop: CommandLoop,
        emit: Callable[[ev.Event], None],
        transport_ids: dict[str, int],
        sip_ports: dict[str, int],
        mic: Any,
        speaker: Any,
        ring: Callable[[str | None], None] = lambda pattern: None,
        silence: Any = None,
    ) -> None:
        self.config = config
        self.ep = endpoint
        self.loop = loop
        # (kind, bound address) -> pjsua transport id; the engine opened UDP when it knew where
        self.transports = {(k, config.bind_address): tid for k, tid in transport_ids.items()}
        self.sip_ports = dict(sip_ports)
        self.state = PhoneState(config, endpoint, loop, emit, mic, speaker, ring, silence)
        self.handlers = CallbackHandlers(self.state)
        self.accounts = self.state.accounts
        self.calls = self.state.calls
        self.monitor = self.handlers.monitor
        self._last_audit = 0.0

    def report_error(self, where: str, exc: BaseException) -> None:
        self.state.report_error(where, exc)

    def collect(self) -> None:
        """Between polls: drop finished wrappers, emit finished merges, and once a second
        end any call pjsua forgot."""
        self.state.collect()
        self.handlers.on_unreadable_notifies()
        now = time.monotonic()
        if now - self._last_audit >= _AUDIT_S:
            self._last_audit = now
            self.handlers.end_vanished_calls()

    def target_uri(self, account: SipAccount, target: str) -> str:
        target = target.strip()
        if not target:
            raise ConfigError("the number or SIP address to call is empty")
        if target.lower().startswith("tel:"):
            target = target[4:]
        if _URI_SCHEME.match(target):
            uri = target
        elif "@" in target:
            uri = f"sip:{target}"
        else:
            uri = f"sip:{target}@{account.settings.domain}"
        if self.ep.utilVerifySipUri(uri) != 0:
            raise ConfigError(f"{target!r} is not a valid number or SIP address")
        return uri

    # --- commands: accounts ----------------------------------------------------------------
    def add_account(self, settings: AccountSettings) -> str:
        settings.validate()
        if len(self.accounts) >= MAX_ACCOUNTS:
            raise LimitError(
                f"{MAX_ACCOUNTS} accounts are in use; this SIP engine supports at most "
                f"{MAX_ACCOUNTS} per process"
            )
        if settings.transport not in self.config.transports:
            raise ConfigError(
                f"account.transport: {settings.transport!r} is not enabled in sip.transports"
            )
        # The registrar/proxy (the domain for an account that does not register) is where
        # its calls come from, and decides the address to listen on.
        registrar_ips = resolve(uri_host(settings.registrar_uri))
        bind = self.config.bind_address
        if not bind:
            bind = (route_address(registrar_ips[0]) if registrar_ips else "") or "0.0.0.0"
        tid = self._transport(settings.transport, bind)
        account_id = uuid.uuid4().hex[:12]
        acc = SipAccount(self.handlers, account_id, settings)
        cfg = build_account_config(settings, tid, bind, self.config.advertised_address)
        self.accounts[account_id] = acc
        try:
            acc.create(cfg, False)
        except pj.Error as exc:
            del self.accounts[account_id]
            raise from_pj(f"adding account {settings.user}@{settings.domain}", exc) from None
        self.state.trust(account_id, registrar_ips)
        if not settings.register:
            self.state.emit(
                ev.RegistrationChanged(
                    account_id=account_id, state="unregistered", code=0, reason="registration off"
                )
            )
        return account_id

    def remove_account(self, account_id: str) -> None:
        acc = self.state.account(account_id)
        if acc.retry is not None:
            acc.retry.cancel()
        acc.closing = True
        acc.shutdown()  # sends the un-REGISTER; the wrapper can go now
        del self.accounts[account_id]
        self.state.bury(acc)
        self.state.trust(account_id, None)

    def _transport(self, kind: str, bind: str) -> int:
        """The transport of ``kind`` on ``bind``, opened on first use; the connection guard
        filters a TCP/TLS listener."""
        tid = self.transports.get((kind, bind))
        if tid is None:
            tid, port = open_transport(self.ep, self.config, kind, bind)
            self.transports[(kind, bind)] = tid
            self.sip_ports.setdefault(kind, port)
            if kind in ("tcp", "tls"):
                self.state.connections.add_listener(port)
        return tid

    def register(self, account_id: str, on: bool) -> None:
        acc = self.state.account(account_id)
        try:
            acc.setRegistration(on)
        except pj.Error as exc:
            raise from_pj("registration", exc) from None

    # --- commands: calls -------------------------------------------------------------------
    def make_call(
        self,
        account_id: str,
        target: str,
        headers: dict[str, str] | None,
        monitor: MonitorLeg | None = None,
    ) -> str:
        acc = self.state.account(account_id)
        limit = self.config.max_calls
        if len(self.state.live_calls()) >= limit:
            if monitor is not None:
                raise LimitError(
                    f"this softphone's limit of {limit} calls is reached: end a call before "
                    "monitoring"
                )
            raise LimitError(f"{limit} calls are in progress; end one first")
        uri = self.target_uri(acc, target)
        call = self.state.new_call(self.handlers, acc, "outbound")
        call.monitor = monitor  # before dialling: its first state arrives on this thread
        call.record.remote_uri = uri
        call.record.number = caller_identity({}, uri)[0]
        prm = pj.CallOpParam(True)
        for name, value in (headers or {}).items():
            h = pj.SipHeader()
            h.hName, h.hValue = name, value
            prm.txOption.headers.append(h)
        try:
            call.makeCall(uri, prm)
        except pj.Error as exc:
            del self.calls[call.call_id]
            call.gone = True
            self.state.bury(call)
            raise from_pj(f"calling {uri}", exc) from None
        return call.call_id

    def answer(self, call_id: str, code: int = 200, hold_others: bool = True) -> None:
        self.state.answer(self.state.call(call_id), code, hold_others)

    # --- commands: monitoring (sip.monitor) ------------------------------------------------
    def grant_monitor(
        self, session_id: str, supervisor: str, mode: str, expires_us: int, follow: bool = False
    ) -> None:
        self.monitor.grant(session_id, supervisor, mode, expires_us, follow)

    def set_monitor_mode(self, session_id: str, mode: str) -> None:
        self.monitor.set_mode(session_id, mode)

    def revoke_monitor(self, session_id: str) -> None:
        self.monitor.revoke(session_id)

    def call_monitor(self, target: str, session_id: str, account_id: str = "") -> str:
        """The supervisor's side: call the agent's phone into ``session_id`` (its first
        account unless told); the leg emits Monitor* events, never Call* ones."""
        check_session_id(session_id)
        if not account_id:
            if not self.accounts:
                raise ConfigError("no SIP account to call the agent's phone from")
            account_id = next(iter(self.accounts))
        leg = MonitorLeg(session_id, "supervisor")
        return self.make_call(account_id, target, {MONITOR_HEADER: session_id}, leg)

    def reject(self, call_id: str, code: int = 486) -> None:
        if code not in (480, 486, 603):
            raise ConfigError(f"reject code {code} must be 480, 486 or 603")
        call = self.state.call(call_id)
        call.record.ended_by = "rejected"
        call.end(code)

    def hangup(self, call_id: str, code: int = 0) -> None:
        self.state.call(call_id).end(code)

    def hold(self, call_id: str) -> None:
        self.state.call(call_id).put_on_hold()

    def resume(self, call_id: str) -> None:
        self.state.call(call_id).take_off_hold()

    def set_mute(self, call_id: str, muted: bool) -> None:
        self.state.call(call_id).media.set_muted(muted)

    def send_dtmf(self, call_id: str, digits: str, method: str = "rfc4733") -> None:
        call = self.state.call(call_id)
        if not DTMF_DIGITS.match(digits):
            raise ConfigError(f"DTMF {digits!r}: only 0-9, A-D, * and # (1 to 32 of them)")
        if method not in ("rfc4733", "info"):
            raise ConfigError(f"DTMF method {method!r} is not rfc4733 or info")
        if method == "info":
            # One INFO per digit, spaced: sent back to back they can overtake each other
            # behind a proxy and the far end drops the lower CSeq.
            call.info_digits.extend(digits)
            if len(call.info_digits) == len(digits):
                self._send_next_info_digit(call)
        else:
            self._send_dtmf(call, digits, pj.PJSUA_DTMF_METHOD_RFC2833)
        call.record.dtmf_sent += digits

    def _send_dtmf(self, call: SipCall, digits: str, method: int) -> None:
        prm = pj.CallSendDtmfParam()
        prm.digits, prm.method, prm.duration = digits, method, DTMF_MS
        try:
            call.sendDtmf(prm)
        except pj.Error as exc:
            raise from_pj(f"sending DTMF {digits}", exc) from None

    def _send_next_info_digit(self, call: SipCall) -> None:
        if call.gone or not call.info_digits:
            call.info_digits.clear()
            return
        try:
            self._send_dtmf(call, call.info_digits[0], pj.PJSUA_DTMF_METHOD_SIP_INFO)
        except Exception as exc:
            call.info_digits.clear()
            self.state.report_error("dtmf", exc)
            return
        call.info_digits.popleft()
        if call.info_digits:
            self.loop.call_later(DTMF_GAP_S, lambda: self._send_next_info_digit(call))

    def _transferable(self, call_id: str, timeout_s: float | None) -> tuple[SipCall, float]:
        call = self.state.call(call_id)
        if call.transfer is not None:
            raise ConfigError("a transfer of this call is already waiting for its outcome")
        timeout = TRANSFER_TIMEOUT_S if timeout_s is None else timeout_s
        if not 1 <= timeout <= 600:
            raise ConfigError(f"transfer timeout {timeout} must be 1..600 seconds")
        return call, timeout

    def transfer_blind(self, call_id: str, target: str, timeout_s: float | None = None) -> None:
        """REFER the far end to ``target``; its outcome comes as a final TransferProgress
        within ``timeout_s`` (default 30 s), the call ending or coming back with it."""
        call, timeout = self._transferable(call_id, timeout_s)
        uri = self.target_uri(call.account, target)
        try:
            call.xfer(uri, pj.CallOpParam(True))
        except pj.Error as exc:
            raise from_pj(f"transferring to {uri}", exc) from None
        entry = {"kind": "blind", "target": uri, "at_us": utc_us(), "code": None, "succeeded": None}
        self.state.transfer_started(call, "blind", entry, timeout)

    def transfer_attended(
        self, call_id: str, consult_call_id: str, timeout_s: float | None = None
    ) -> None:
        """REFER the far end of ``call_id`` to take over ``consult_call_id`` (Replaces)."""
        call, timeout = self._transferable(call_id, timeout_s)
        consult = self.state.call(consult_call_id)
        if consult is call:
            raise ConfigError("an attended transfer needs two different calls")
        try:
            call.xferReplaces(consult, pj.CallOpParam(True))
        except pj.Error as exc:
            raise from_pj("attended transfer", exc) from None
        entry = {
            "kind": "attended",
            "target": consult.record.remote_uri,
            "consult_call_id": consult_call_id,
            "at_us": utc_us(),
            "code": None,
            "succeeded": None,
        }
        self.state.transfer_started(call, "attended", entry, timeout)

    def set_dnd(self, on: bool, code: int = 486) -> None:
        if code not in (480, 486, 603):
            raise ConfigError(f"DND code {code} must be 480, 486 or 603")
        self.state.dnd, self.state.dnd_code = on, code

    def set_auto_answer(self, delay_s: float | None) -> None:
        if delay_s is not None and not 0 <= delay_s <= 60:
            raise ConfigError(f"auto-answer delay {delay_s} must be 0..60 seconds")
        self.state.auto_answer_s = delay_s

    def play_tone(self, call_id: str, freq1: int, freq2: int = 0) -> None:
        self.state.call(call_id).media.play_tone(freq1, freq2)

    def play_file(self, call_id: str, path: str, loop: bool = True) -> None:
        try:
            self.state.call(call_id).media.play_file(path, loop)
        except pj.Error as exc:
            raise from_pj(f"playing {path}", exc) from None

    def stop_playback(self, call_id: str) -> None:
        self.state.call(call_id).media.stop_playback()

    def start_recording(self, call_id: str, folder: str = "") -> str:
        call = self.state.call(call_id)
        folder = folder or self.state.recording_dir
        if not folder:
            raise ConfigError("recording.dir is not set and no folder was given")
        rec = call.media.start_recording(folder)
        self.state.recording_started(call, rec)
        return str(rec.path)

    def set_kept_headers(self, names: list[str]) -> None:
        """INVITE headers to hand on besides the usual ones and X- headers (any case)."""
        if len(names) > 16 or not all(isinstance(n, str) and 0 < len(n) <= 64 for n in names):
            raise ConfigError("kept headers: at most 16 names of 1 to 64 characters")
        self.state.kept_headers = frozenset(n.strip().lower() for n in names)

    def set_recording_paused(self, call_id: str, paused: bool) -> None:
        self.state.call(call_id).media.set_recording_paused(paused)

    def stats(self) -> dict[str, Any]:
        return {
            "calls": len(self.calls),
            "sip_ports": dict(self.sip_ports),
            "accounts": len(self.accounts),
            "conference_ports": int(self.ep.mediaActivePorts()),
            "dnd": self.state.dnd,
            "auto_answer_s": self.state.auto_answer_s,
            "rtp": {c.call_id: c.rtp_packets() for c in self.state.live_calls()},
        }

    def hangup_all(self) -> None:
        for call in self.state.live_calls():
            try:
                self.hangup(call.call_id)
            except Exception as exc:
                log.warning("hanging up %s at shutdown: %s", call.call_id, exc)

    def close(self) -> None:
        """Drop every pjsua2 wrapper this phone holds (before libDestroy)."""
        self.monitor.close()
        self.state.close()

"""One pjsua2 ``Account`` subclass: registration state with our own back-off, incoming calls."""

from __future__ import annotations

import logging
import random
from typing import Any, Protocol

import pjsua2 as pj

from sip.config import AccountSettings
from sip.guard import guarded
from sip.loop import TimerHandle
from sip.text import pj_text

log = logging.getLogger(__name__)


def build_account_config(s: AccountSettings, transport_id: int, bind: str, advertise: str) -> Any:
    cfg = pj.AccountConfig()
    cfg.idUri = s.id_uri
    cfg.regConfig.registrarUri = s.registrar_uri if s.register else ""
    cfg.regConfig.registerOnAdd = s.register
    cfg.regConfig.timeoutSec = s.expires_s
    cfg.regConfig.retryIntervalSec = 0  # we retry ourselves, with back-off
    cfg.regConfig.unregWaitMsec = 1500
    if s.password:
        cfg.sipConfig.authCreds.append(
            pj.AuthCredInfo("digest", s.realm, s.auth_user or s.user, 0, s.password)
        )
    if s.register:
        # Send every request through the registrar, over the account's transport.
        cfg.sipConfig.proxies.append(s.registrar_uri + ";lr")
    cfg.sipConfig.transportId = transport_id
    media_tp = cfg.mediaConfig.transportConfig
    media_tp.port = 0  # any free RTP port: parallel engines never collide
    if bind != "0.0.0.0":
        media_tp.boundAddress = bind
    if advertise:
        media_tp.publicAddress = advertise
    if s.srtp:
        cfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_MANDATORY
        cfg.mediaConfig.srtpSecureSignaling = 0
    return cfg


class AccountListener(Protocol):
    """What an account's pjsua2 callbacks are handed to (on the SIP thread)."""

    def report_error(self, where: str, exc: BaseException) -> None: ...
    def on_reg_started(self, acc: SipAccount, renew: bool) -> None: ...
    def on_reg_state(
        self, acc: SipAccount, code: int, reason: str, expires: int, source: str
    ) -> None: ...
    def on_incoming_call(
        self, acc: SipAccount, pj_call_id: int, message: str, source: str
    ) -> None: ...


class SipAccount(pj.Account):
    """A registered identity. Callbacks run on the SIP thread inside ``libHandleEvents``."""

    def __init__(
        self, listener: AccountListener, account_id: str, settings: AccountSettings
    ) -> None:
        super().__init__()
        self.listener = listener
        self.account_id = account_id
        self.settings = settings
        self.failures = 0
        self.retry: TimerHandle | None = None
        self.registered = False
        self.closing = False

    def next_retry_s(self) -> float:
        """Exponential back-off with jitter: min, 2·min, 4·min … up to max."""
        s = self.settings
        base = min(s.retry_max_s, s.retry_min_s * (2 ** min(self.failures - 1, 16)))
        return round(base * random.uniform(0.8, 1.0), 2)

    @guarded("onRegStarted")
    def onRegStarted(self, prm: Any) -> None:
        self.listener.on_reg_started(self, bool(prm.renew))

    @guarded("onRegState")
    def onRegState(self, prm: Any) -> None:
        self.listener.on_reg_state(
            self,
            int(prm.code),
            pj_text(prm.reason),
            int(prm.expiration),
            pj_text(prm.rdata.srcAddress),
        )

    @guarded("onIncomingCall")
    def onIncomingCall(self, prm: Any) -> None:
        rdata = prm.rdata
        self.listener.on_incoming_call(
            self, int(prm.callId), pj_text(rdata.wholeMsg), pj_text(rdata.srcAddress)
        )

"""One pjsua2 ``Call`` subclass: callbacks become plain events, and a history record.

pjsua2 lifetime rules kept here: a wrapper lives in the phone's table until its DISCONNECTED
state was handled (a collected wrapper hangs the call up or crashes the process), and none may
be alive at ``libDestroy``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

import pjsua2 as pj

from sip.account import SipAccount
from sip.errors import from_pj
from sip.guard import guarded
from sip.loop import TimerHandle
from sip.media import CallMedia
from sip.sdp import prefer_codec
from sip.text import pj_text

log = logging.getLogger(__name__)

STATES = {
    pj.PJSIP_INV_STATE_NULL: "null",
    pj.PJSIP_INV_STATE_CALLING: "calling",
    pj.PJSIP_INV_STATE_INCOMING: "incoming",
    pj.PJSIP_INV_STATE_EARLY: "early",
    pj.PJSIP_INV_STATE_CONNECTING: "connecting",
    pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
    pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected",
}
_DIRECTION = re.compile(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", re.MULTILINE)


def offers_hold(sdp: str) -> bool:
    """True when an SDP offer puts its audio on hold (sendonly or inactive, media level first)."""
    session, _, audio = sdp.partition("\nm=audio")
    audio = audio.split("\nm=", 1)[0]
    found = _DIRECTION.findall(audio) or _DIRECTION.findall(session)
    return bool(found) and found[-1] in ("sendonly", "inactive")


MEDIA = {
    pj.PJSUA_CALL_MEDIA_NONE: "none",
    pj.PJSUA_CALL_MEDIA_ACTIVE: "active",
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local_hold",
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "remote_hold",
    pj.PJSUA_CALL_MEDIA_ERROR: "error",
}


@dataclass
class CallRecord:
    """The history of one call, as the store and the operator's call log keep it."""

    call_id: str
    account_id: str
    direction: str  # inbound | outbound
    remote_uri: str = ""
    number: str = ""
    display_name: str = ""
    sip_call_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    ring_at_us: int = 0  # incoming: INVITE arrived; outgoing: dialled
    answer_at_us: int | None = None
    end_at_us: int | None = None
    holds: list[dict[str, int | None]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    dtmf_sent: str = ""
    dtmf_received: str = ""
    ended_by: str = ""  # local | remote | transfer | replaced | rejected | failed
    cause_code: int = 0
    cause_reason: str = ""
    recording: dict[str, Any] | None = None

    def hold_started(self, at_us: int) -> None:
        if not self.holds or self.holds[-1]["end_us"] is not None:
            self.holds.append({"start_us": at_us, "end_us": None})

    def hold_ended(self, at_us: int) -> None:
        if self.holds and self.holds[-1]["end_us"] is None:
            self.holds[-1]["end_us"] = at_us

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class PendingTransfer:
    """Our REFER on a call until its outcome is known (a final NOTIFY, or other evidence)."""

    kind: str  # blind | attended
    accepted: bool = False  # the far end answered the REFER with 2xx
    last_code: int = 0  # the latest status the far end reported
    unreadable_final: bool = False  # a final NOTIFY arrived that pjsip could not parse
    held_by_far_end: bool = False  # the transferee put the call on hold meanwhile
    timers: list[TimerHandle] = field(default_factory=list)

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


@dataclass
class MonitorLeg:
    """What makes a call a monitoring leg rather than a customer call (:mod:`sip.monitor`)."""

    session_id: str
    role: str  # agent: a supervisor's call into this phone; supervisor: ours into an agent's
    mode: str = ""
    supervisor: str = ""
    follow: bool = False
    customer: SipCall | None = None  # agent side: the call it is mixed into
    port: Any = None  # agent side: the leg's AudioMedia while its media is active
    started: bool = False
    end_reason: str = ""


class CallListener(Protocol):
    """What a call's pjsua2 callbacks are handed to (on the SIP thread)."""

    def report_error(self, where: str, exc: BaseException) -> None: ...
    def on_call_state(self, call: SipCall, state: str, code: int, reason: str) -> None: ...
    def on_call_media(self, call: SipCall, status: str, aud: Any, codec: str) -> None: ...
    def on_dtmf(self, call: SipCall, digit: str, method: str) -> None: ...
    def on_transfer_request(self, call: SipCall, target: str) -> SipCall: ...
    def on_transfer_status(self, call: SipCall, code: int, reason: str, final: bool) -> bool: ...
    def on_replaced(self, old: SipCall, new_pj_call_id: int) -> SipCall: ...


class SipCall(pj.Call):
    """A call as the phone sees it. Every callback runs on the SIP thread."""

    def __init__(
        self,
        listener: CallListener,
        account: SipAccount,
        record: CallRecord,
        media: CallMedia,
        pj_call_id: int = pj.PJSUA_INVALID_ID,
    ) -> None:
        super().__init__(account, pj_call_id)
        self.listener = listener
        self.account = account
        self.record = record
        self.media = media
        self.state = "null"
        self.hangup_requested = False
        self.transfer: PendingTransfer | None = None  # while our REFER's outcome is open
        self.far_end_holds = False  # the far end's latest SDP offer holds the audio
        self.gone = False
        self.quiet = False  # refused before it rang: it emits no events
        self.monitor: MonitorLeg | None = None  # a monitoring leg: only Monitor* events
        self.codecs: tuple[str, ...] = ()  # our codec preference for SDP answers
        self.inactive_seen = False  # pjsua reported it inactive at the last audit
        self.last_dtmf_timestamp: int | None = None
        self.info_digits: deque[str] = deque()  # SIP INFO digits still to send
        self.timers: list[TimerHandle] = []  # auto-answer, ring timeout: cancelled once settled

    @property
    def call_id(self) -> str:
        return self.record.call_id

    @property
    def transfer_pending(self) -> str:
        """ "blind" or "attended" while our REFER's outcome is open, else ""."""
        return self.transfer.kind if self.transfer is not None else ""

    def identity(self) -> tuple[str, str]:
        """(remote URI, SIP Call-ID) of the call as pjsua knows it."""
        ci = self.getInfo()
        return pj_text(ci.remoteUri), pj_text(ci.callIdString)

    def rtp_packets(self) -> dict[str, int]:
        """RTP packets sent and received so far on the call's audio, those lost on the way in,
        the largest arrival jitter (µs), and how often the jitter buffer ran dry or discarded
        ({} without media)."""
        try:
            ci = self.getInfo()
            for idx, mi in enumerate(ci.media):
                if mi.type == pj.PJMEDIA_TYPE_AUDIO and mi.status != pj.PJSUA_CALL_MEDIA_NONE:
                    stat = self.getStreamStat(idx)
                    rx = stat.rtcp.rxStat
                    return {
                        "sent": int(stat.rtcp.txStat.pkt),
                        "received": int(rx.pkt),
                        "lost": int(rx.loss),
                        "jitter_max_us": int(rx.jitterUsec.max),
                        "jb_empty": int(stat.jbuf.empty),
                        "jb_discard": int(stat.jbuf.discard),
                    }
        except pj.Error:
            pass
        return {}

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()

    # --- operations (SIP thread); pjsua2's errors become OperationError ------------------
    def respond(self, code: int) -> None:
        """Answer the INVITE with ``code`` (180 ringing, 200 answer, 4xx/6xx refuse)."""
        prm = pj.CallOpParam(True)
        prm.statusCode = code
        try:
            self.answer(prm)
        except pj.Error as exc:
            raise from_pj(f"answering with {code}", exc) from None

    def end(self, code: int = 0) -> None:
        """Hang up (or refuse with ``code`` while ringing); quiet if already disconnected."""
        self.hangup_requested = True
        self.cancel_timers()
        prm = pj.CallOpParam(True)
        if code:
            prm.statusCode = code
        try:
            self.hangup(prm)
        except pj.Error as exc:
            if self.state != "disconnected":
                raise from_pj("hanging up", exc) from None

    def put_on_hold(self) -> None:
        try:
            self.setHold(pj.CallOpParam(True))
        except pj.Error as exc:
            raise from_pj("putting the call on hold", exc) from None

    def take_off_hold(self) -> None:
        prm = pj.CallOpParam(True)
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        try:
            self.reinvite(prm)
        except pj.Error as exc:
            raise from_pj("resuming the call", exc) from None

    @guarded("onCallState")
    def onCallState(self, prm: Any) -> None:
        try:
            ci = self.getInfo()
        except pj.Error as exc:
            # The call is already gone in pjsua: end it here, or it would count as live
            # forever (auto-answer and call waiting would then misjudge every later call).
            self.state = "disconnected"
            reason = f"call gone: {pj_text(exc.reason)}"
            self.listener.on_call_state(self, self.state, 0, reason)
            return
        self.state = STATES.get(ci.state, str(ci.state))
        if not self.record.sip_call_id:
            self.record.sip_call_id = pj_text(ci.callIdString)
        if not self.record.remote_uri:
            self.record.remote_uri = pj_text(ci.remoteUri)
        reason = pj_text(ci.lastReason)
        self.listener.on_call_state(self, self.state, int(ci.lastStatusCode), reason)

    @guarded("onCallMediaState")
    def onCallMediaState(self, prm: Any) -> None:
        ci = self.getInfo()
        for idx, mi in enumerate(ci.media):
            if mi.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            status = MEDIA.get(mi.status, "none")
            aud, codec = None, ""
            if status in ("active", "remote_hold"):
                aud = self.getAudioMedia(idx)
                si = self.getStreamInfo(idx)
                codec = f"{pj_text(si.codecName)}/{int(si.codecClockRate)}"
            self.listener.on_call_media(self, status, aud, codec)
            return

    @guarded("onCallSdpCreated")
    def onCallSdpCreated(self, prm: Any) -> None:
        remote = pj_text(prm.remSdp.wholeSdp)
        if not remote:  # our own offer lists the codecs in our order
            return
        self.far_end_holds = offers_hold(remote)
        if not self.codecs:
            return
        local = pj_text(prm.sdp.wholeSdp)
        answer = prefer_codec(local, remote, self.codecs)
        if answer != local:
            prm.sdp.wholeSdp = answer

    @guarded("onDtmfEvent")
    def onDtmfEvent(self, prm: Any) -> None:
        # RFC 4733 reports each digit several times (start, updates, end), all with the
        # RTP timestamp of its start; SIP INFO reports it once.
        if prm.method == pj.PJSUA_DTMF_METHOD_SIP_INFO:
            self.listener.on_dtmf(self, pj_text(prm.digit), "info")
        elif prm.timestamp != self.last_dtmf_timestamp:
            self.last_dtmf_timestamp = prm.timestamp
            self.listener.on_dtmf(self, pj_text(prm.digit), "rfc4733")

    @guarded("onCallTransferRequest")
    def onCallTransferRequest(self, prm: Any) -> None:
        if self.monitor is not None:  # nobody transfers a monitoring leg anywhere
            prm.statusCode = 603
            return
        prm.newCall = self.listener.on_transfer_request(self, pj_text(prm.dstUri))

    @guarded("onCallTransferStatus")
    def onCallTransferStatus(self, prm: Any) -> None:
        prm.cont = self.listener.on_transfer_status(
            self, int(prm.statusCode), pj_text(prm.reason), bool(prm.finalNotify)
        )

    @guarded("onCallReplaced")
    def onCallReplaced(self, prm: Any) -> None:
        prm.newCall = self.listener.on_replaced(self, int(prm.newCallId))

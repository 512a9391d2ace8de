"""One call as the desktop knows it (:class:`Call`), the engine's record of its end read once
(:class:`Ending`), its holds, the store's call record made from it, and the notes of its events
the store keeps. No Qt: :class:`desktop.calls.model.CallBook` keeps these up to date.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formats.clock import utc_us
from sip import events as ev

RINGING = ("incoming", "early")

ENDED_BY = {
    "local": "agent",
    "rejected": "agent",
    "remote": "remote",
    "transfer": "transfer",
    "replaced": "transfer",
    "failed": "system",
    "unanswered": "system",  # rang until the ring timeout
    "system": "system",  # the softphone's process died under the call
}


# The agent states in which the desktop refuses the calls offered to it (do-not-disturb),
# as the store's ``refusal`` names them; refused while ready is the operator's own DND.
REFUSALS = {
    "break": "break",
    "not_ready": "not_ready",
    "wrap_up": "wrap_up",
    "offline": "not_ready",
    "outbound": "not_ready",  # working outbound tasks
}


@dataclass(frozen=True)
class PbxHeaders:
    """The INVITE headers where the PBX names the queue, the seconds the caller waited in it
    and its own id of the customer call, which every leg that rings an agent carries
    (``[recorder]`` queue_header, queue_wait_header, pbx_call_id_header)."""

    queue: str = "X-Queue"
    queue_wait: str = "X-Queue-Wait"
    pbx_call_id: str = "X-PBX-Call-ID"

    def read(self, headers: dict[str, str]) -> dict[str, Any]:
        """``pbx_call_id``, ``queue`` and ``queue_wait_s`` as the store takes them, from the
        headers given (names in any case); a missing or unreadable one is left out."""
        found = {k.lower(): v.strip() for k, v in headers.items()}
        out: dict[str, Any] = {}
        if pbx := found.get(self.pbx_call_id.lower(), "")[:256]:
            out["pbx_call_id"] = pbx
        if queue := found.get(self.queue.lower(), "")[:100].strip():
            out["queue"] = queue
        try:
            wait = float(found.get(self.queue_wait.lower(), ""))
        except ValueError:
            wait = math.nan
        if 0 <= wait <= 86_400:
            out["queue_wait_s"] = round(wait, 3)
        return out


@dataclass
class Hold:
    """The operator held the call from ``start_us`` to ``end_us`` (None: still held)."""

    start_us: int
    end_us: int | None = None

    def length_us(self, until_us: int) -> int:
        return max(0, (self.end_us if self.end_us is not None else until_us) - self.start_us)


@dataclass(frozen=True)
class Ending:
    """The engine's record of an ended call (``CallEnded.record``), read once."""

    ended_by: str = ""  # local | remote | transfer | replaced | rejected | failed | system
    cause_code: int = 0
    cause_reason: str = ""
    direction: str = ""
    number: str = ""
    remote_uri: str = ""
    display_name: str = ""
    sip_call_id: str = ""
    ring_at_us: int | None = None
    answer_at_us: int | None = None
    end_at_us: int | None = None
    holds: tuple[Hold, ...] = ()
    transfers: tuple[dict[str, Any], ...] = ()

    @classmethod
    def read(cls, record: dict[str, Any]) -> Ending:
        def text(key: str) -> str:
            return str(record.get(key) or "")

        def time(key: str) -> int | None:
            value = record.get(key)
            return int(value) if value else None

        holds = tuple(Hold(int(h["start_us"]), h.get("end_us")) for h in record.get("holds") or ())
        return cls(
            ended_by=text("ended_by"),
            cause_code=int(record.get("cause_code") or 0),
            cause_reason=text("cause_reason"),
            direction=text("direction"),
            number=text("number"),
            remote_uri=text("remote_uri"),
            display_name=text("display_name"),
            sip_call_id=text("sip_call_id"),
            ring_at_us=time("ring_at_us"),
            answer_at_us=time("answer_at_us"),
            end_at_us=time("end_at_us"),
            holds=holds,
            transfers=tuple(t for t in record.get("transfers") or () if isinstance(t, dict)),
        )

    @property
    def cause(self) -> str:
        return f"{self.cause_code or ''} {self.cause_reason}".strip()


@dataclass
class Call:
    """One call as the desktop knows it; times are UTC microseconds (formats.clock)."""

    call_id: str
    direction: str  # inbound | outbound
    number: str = ""
    display_name: str = ""
    remote_uri: str = ""
    state: str = "calling"  # the engine's state names
    waiting: bool = False  # arrived while another call was in progress
    media: str = "none"  # active | local_hold | remote_hold | none | error
    muted: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    sip_call_id: str = ""
    started_us: int = field(default_factory=utc_us)  # ringing (inbound) or dialled
    answered_us: int | None = None
    ended_us: int | None = None
    holds: list[Hold] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)  # the store's events[]
    ending: Ending | None = None
    audio: Path | None = None  # the call's stereo WAV, once written
    audio_pending: bool = False  # its recording started and the WAV is not written yet
    consent_us: int | None = None  # the caller consented to the screen recording
    contact: Any = None  # what the CRM knows of the caller (desktop.crm.types.CrmContact)
    wrap_up_end_us: int | None = None  # set when the wrap-up finished
    refusal: str = ""  # refused without ringing: the agent's state then (REFUSALS) or "dnd"
    record: dict[str, Any] | None = None  # the store's call record, made when the call ends
    campaign: str = ""  # the outbound campaign this call is an attempt of (desktop.outbound)

    @property
    def ringing(self) -> bool:
        return self.direction == "inbound" and self.state in RINGING and not self.ended

    @property
    def held(self) -> bool:
        return self.media == "local_hold"

    @property
    def ended(self) -> bool:
        return self.ended_us is not None

    @property
    def live(self) -> bool:
        """Not over yet: ringing, dialling or connected."""
        return not self.ended and self.state != "disconnected"

    @property
    def answered(self) -> bool:
        return self.answered_us is not None

    @property
    def taken(self) -> bool:
        """The operator was on it (answered, or dialled by them): it has a wrap-up."""
        return self.answered or self.direction == "outbound"

    @property
    def in_wrap_up(self) -> bool:
        return self.ended and self.wrap_up_end_us is None

    @property
    def hold_since_us(self) -> int | None:
        """When the hold in progress began (None: not held now)."""
        last = self.holds[-1] if self.holds else None
        return last.start_us if last is not None and last.end_us is None else None

    def hold_us(self, now_us: int | None = None) -> int:
        """Time on hold; a hold still running counts until the end (or now)."""
        until = self.ended_us if self.ended_us is not None else (now_us or utc_us())
        return sum(h.length_us(until) for h in self.holds)

    def duration_s(self, now_us: int | None = None) -> int:
        """Seconds since the answer (or the start while it rings), as the call list shows."""
        now = now_us if now_us is not None else utc_us()
        since = self.answered_us if self.answered_us is not None else self.started_us
        return max(0, (now - since) // 1_000_000)

    def label(self) -> str:
        return self.display_name or self.number


def store_record(
    call: Call, agent: str, extension: str = "", pbx: PbxHeaders | None = None
) -> dict[str, Any]:
    """The store's call record (``CallInput`` + ``id``) of an ended call. ``agent`` is the
    token's owner when known (the uploader sends the owner whatever is journalled);
    ``extension`` is this PC's SIP user; ``pbx``: where its INVITE's headers name the queue,
    the wait and the PBX's call id (default names)."""
    end = call.ending or Ending()
    started = call.started_us
    record: dict[str, Any] = {
        "id": call.call_id,
        "agent": agent,
        "extension": extension or None,
        "direction": call.direction or "inbound",
        "remote_number": call.number or None,
        "sip_call_id": call.sip_call_id or None,
        **(pbx or PbxHeaders()).read(call.headers if call.direction == "inbound" else {}),
        "refusal": call.refusal or None,
        "campaign": call.campaign or None,
        "started_us": started,
        "answered_us": call.answered_us,
        "ended_us": call.ended_us,
        "holds": [{"start_us": h.start_us, "end_us": h.end_us} for h in call.holds],
        "transfers": [
            {
                "at_us": t.get("at_us", started),
                "to": str(t.get("target") or "?")[:64],
                "kind": "attended" if t.get("kind") == "attended" else "blind",
            }
            for t in end.transfers
        ],
        "ended_by": ENDED_BY.get(end.ended_by),
        "cause": end.cause[:100],
        "events": list(call.notes),
    }
    return {k: v for k, v in record.items() if v is not None}


def refused_call(
    event: ev.IncomingCallRejected, state: str, headers: dict[str, str] | None = None
) -> Call:
    """The ended call of an INVITE the desktop refused without ringing the operator (its
    do-not-disturb), in the agent ``state`` then: the store counts it with the customer call
    it belongs to, not as the agent's missed call unless the agent was ready."""
    call = Call(
        uuid.uuid4().hex,
        "inbound",
        event.number,
        remote_uri=event.remote_uri,
        state="disconnected",
        headers=dict(headers or {}),
        sip_call_id=event.sip_call_id,
        started_us=event.at_us,
        ended_us=event.at_us,
        refusal=REFUSALS.get(state, "dnd"),
    )
    call.ending = Ending(
        ended_by="rejected", cause_code=event.code, cause_reason=event.reason,
        direction="inbound", number=event.number, remote_uri=event.remote_uri,
        sip_call_id=event.sip_call_id, ring_at_us=event.at_us, end_at_us=event.at_us,
    )  # fmt: skip
    return call


def event_note(event: ev.Event) -> dict[str, Any] | None:
    """The call event as the store's ``events[]`` keeps it (None: not kept)."""
    if isinstance(event, ev.IncomingCall):
        return {"kind": "ringing", "detail": event.number}
    if isinstance(event, ev.CallStateChanged):
        return {"kind": event.state, "detail": f"{event.code} {event.reason}".strip()}
    if isinstance(event, ev.CallMediaChanged):
        return {"kind": f"media_{event.media}", "detail": ""}
    if isinstance(event, ev.DtmfReceived):
        return {"kind": "dtmf", "detail": event.digit}
    if isinstance(event, ev.TransferProgress):
        return {"kind": "transfer", "detail": f"{event.code} {event.reason}".strip()}
    return None

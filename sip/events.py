"""Plain event objects the SIP thread hands to subscribers (UI, recorder, CRM card, tests).

Events are frozen dataclasses with only plain values, so they can cross threads and processes
(``to_dict``/``from_dict``) without touching pjsua2 objects. Every event carries ``at_us``, a
reading of :func:`formats.clock.utc_us`. Every event is emitted on the SIP thread (work done
elsewhere, such as merging a recording, hands its outcome back to it; for an engine in a child
process, :class:`sip.process.EngineProcess`, the thread reading the child's events stands for
it), so a subscriber must only queue what it gets. Strings in events are valid UTF-8: bytes a
caller sent that are not are kept as ``\\xNN`` escapes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from formats.clock import utc_us


def _now() -> int:
    return utc_us()


@dataclass(frozen=True)
class Event:
    at_us: int = field(default_factory=_now, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["type"] = type(self).__name__
        return data


@dataclass(frozen=True)
class EngineStarted(Event):
    """Emitted on the SIP thread once pjsua2 runs and its transports are open."""

    version: str
    sip_ports: dict[str, int]
    audio: str  # "portaudio" or "null" (no sound hardware)
    audio_detail: str = ""


@dataclass(frozen=True)
class EngineStopped(Event):
    """Emitted on the SIP thread as its last event, after libDestroy (or a failed start)."""

    clean: bool


@dataclass(frozen=True)
class EngineLost(Event):
    """The engine's process ended without being asked (an abort, a kill): its calls were ended
    (``CallEnded`` by "system") and a new process starts in ``restart_in_s``. Emitted on the
    SIP thread as :class:`sip.process.EngineProcess` has it (its reader thread), never by an
    engine itself."""

    exit: str  # how the process ended: "signal SIGABRT", "exit 1"
    calls_ended: int
    restart_in_s: float


@dataclass(frozen=True)
class EngineError(Event):
    """An exception inside a pjsua2 callback, the SIP loop or a recording merge; the engine
    keeps running. Emitted on the SIP thread."""

    where: str
    message: str


@dataclass(frozen=True)
class RegistrationChanged(Event):
    """Emitted on the SIP thread when an account's registration starts, succeeds or fails."""

    account_id: str
    state: str  # registering | registered | failed | unregistered
    code: int
    reason: str
    expires: int = 0
    retry_in_s: float = 0.0


@dataclass(frozen=True)
class IncomingCall(Event):
    """Emitted on the SIP thread when an accepted INVITE starts ringing."""

    call_id: str
    account_id: str
    remote_uri: str
    number: str
    display_name: str
    sip_call_id: str
    headers: dict[str, str]
    waiting: bool  # another call is already in progress (call waiting)
    auto_answer_in_s: float | None = None


@dataclass(frozen=True)
class IncomingCallRejected(Event):
    """A call refused without ringing the operator (DND, limits, an untrusted source, no
    common codec). ``headers`` are the INVITE's as :class:`IncomingCall` has them (the PBX's
    queue, wait and call id ride there); ``dnd``: refused by do-not-disturb, the agent's own
    refusal (the other refusals are the softphone's). Emitted on the SIP thread."""

    account_id: str
    remote_uri: str
    number: str
    sip_call_id: str
    code: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    dnd: bool = False


@dataclass(frozen=True)
class CallStateChanged(Event):
    """Emitted on the SIP thread at every INVITE-session state of a call."""

    call_id: str
    state: str  # calling | incoming | early | connecting | confirmed | disconnected
    code: int
    reason: str
    sip_call_id: str = ""


@dataclass(frozen=True)
class CallMediaChanged(Event):
    """Emitted on the SIP thread when a call's audio becomes active, is held or ends."""

    call_id: str
    media: str  # active | local_hold | remote_hold | none | error
    codec: str = ""  # the negotiated audio codec while media flows, e.g. "G722/16000"


@dataclass(frozen=True)
class DtmfReceived(Event):
    """Emitted on the SIP thread once per digit the far end sent."""

    call_id: str
    digit: str
    method: str  # rfc4733 | info


@dataclass(frozen=True)
class TransferProgress(Event):
    """Progress of a transfer we asked for (NOTIFYs of our REFER), and its outcome (``final``)
    once known: from the final NOTIFY, or else from other evidence (``evidence``). A failed
    transfer gives the call back to the operator; ``reason`` then says so in words. Emitted on
    the SIP thread."""

    call_id: str
    code: int
    reason: str
    final: bool
    succeeded: bool
    # How the outcome is known: notify | refused (the REFER itself) | hangup (the transferee
    # hung up after accepting) | unreadable_notify | taken_back (the transferee resumed the
    # call) | timeout | ended (the call ended before the REFER was accepted); "" before final.
    evidence: str = ""
    call_back: bool = False  # the call stays the operator's (resumed when we had held it)


@dataclass(frozen=True)
class TransferRequested(Event):
    """The far end asked us (REFER) to call someone else; we follow it as ``new_call_id``.
    Emitted on the SIP thread."""

    call_id: str
    target_uri: str
    new_call_id: str


@dataclass(frozen=True)
class CallReplaced(Event):
    """An INVITE with Replaces took over one of our calls (attended transfer target side).
    Emitted on the SIP thread."""

    old_call_id: str
    new_call_id: str


@dataclass(frozen=True)
class RecordingStarted(Event):
    """Emitted on the SIP thread when a call's audio starts being written."""

    call_id: str
    path: str  # the stereo WAV written when the call ends (left operator, right customer)
    first_sample_utc_us: int
    sample_rate: int


@dataclass(frozen=True)
class RecordingFinished(Event):
    """Emitted on the SIP thread once the merge thread wrote the call's stereo WAV."""

    call_id: str
    path: str
    first_sample_utc_us: int
    sample_rate: int
    frames: int


@dataclass(frozen=True)
class AudioDevicesChanged(Event):
    """Emitted on the SIP thread at start and whenever the sound devices are chosen."""

    mode: str  # portaudio | null | failed (the device did not open for a call: it runs silent)
    detail: str
    mic: str
    speaker: str
    ring: str


@dataclass(frozen=True)
class CallEnded(Event):
    """The call is over; ``record`` is its history (times, holds, transfers, cause).
    Emitted on the SIP thread."""

    call_id: str
    record: dict[str, Any]


@dataclass(frozen=True)
class MonitorStarted(Event):
    """A monitoring session's call is up (:mod:`sip.monitor`). ``role`` "agent": a supervisor
    listens in on this phone; "supervisor": this phone listens in on an agent. ``call_id`` is
    the monitoring leg, never a customer call: no Call* event is emitted for it. Emitted on the
    SIP thread."""

    session_id: str
    role: str  # agent | supervisor
    call_id: str
    mode: str = ""  # listen | whisper | barge (agent side; the supervisor's phone is not told)
    supervisor: str = ""  # agent side: the supervisor's SIP user
    customer_call_id: str = ""  # agent side: the call mixed in ("" while following, between calls)
    follow: bool = False


@dataclass(frozen=True)
class MonitorModeChanged(Event):
    """The agent's phone now mixes the session in ``mode``. Emitted on the SIP thread."""

    session_id: str
    mode: str
    previous: str


@dataclass(frozen=True)
class MonitorFollowed(Event):
    """A following session moved to the operator's next call ("" = none yet). Emitted on
    the SIP thread."""

    session_id: str
    customer_call_id: str


@dataclass(frozen=True)
class MonitorEnded(Event):
    """A monitoring session's call is over, or never came up (``started`` False). Reasons:
    supervisor_hung_up, revoked, call_ended, ended (this phone hung up), agent_ended,
    hung_up (the supervisor's own phone), engine_lost, or "refused: <code> <reason>". Emitted
    on the SIP thread."""

    session_id: str
    role: str  # agent | supervisor
    call_id: str
    reason: str
    started: bool


@dataclass(frozen=True)
class MonitorRejected(Event):
    """A monitoring INVITE this phone refused (no ringing, no media); ``reason`` says why
    (forged, expired, replayed, another supervisor, no call to monitor, the call limit).
    Emitted on the SIP thread."""

    session_id: str
    supervisor: str  # the From user of the INVITE
    code: int
    reason: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        EngineStarted,
        EngineStopped,
        EngineLost,
        EngineError,
        RegistrationChanged,
        IncomingCall,
        IncomingCallRejected,
        CallStateChanged,
        CallMediaChanged,
        DtmfReceived,
        TransferProgress,
        TransferRequested,
        CallReplaced,
        RecordingStarted,
        RecordingFinished,
        AudioDevicesChanged,
        CallEnded,
        MonitorStarted,
        MonitorModeChanged,
        MonitorFollowed,
        MonitorEnded,
        MonitorRejected,
    )
}


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :meth:`Event.to_dict` output (e.g. after a pipe)."""
    data = dict(data)
    cls = EVENT_TYPES[data.pop("type")]
    return cls(**data)

"""The messages of the pipe between the desktop and the recorder worker.

Commands go to the worker's stdin as ``{"cmd": NAME, ...fields}``, events come back on its
stdout as ``{"event": NAME, "at_us": UTC µs, ...fields}``, one JSON object per line. Each
message is a dataclass here; formats/pipe_codec.py writes and reads the lines, so both ends
share one definition. A message that is not valid raises :class:`PipeError` naming the message
and the field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

# The worker takes the store's token from this environment variable (never from its command
# line, which other users can read) and removes it from its own environment.
STORE_TOKEN_ENV = "AGENTDESK_STORE_TOKEN"


class PipeError(ValueError):
    """A pipe line that is not a valid message; the text names what is wrong."""


@dataclass(frozen=True, kw_only=True)
class Command:
    """A command to the worker (``cmd``)."""

    NAME: ClassVar[str] = ""
    STRICT: ClassVar[bool] = False  # True: unknown fields are an error


@dataclass(frozen=True, kw_only=True)
class Event:
    """An event from the worker (``event``); ``at_us`` is set when it is encoded, if None."""

    NAME: ClassVar[str] = ""
    STRICT: ClassVar[bool] = False
    at_us: int | None = None


def _call_id(message: Command) -> None:
    call_id = getattr(message, "call_id", None)
    if not isinstance(call_id, str) or not call_id:
        raise PipeError(f"{message.NAME}: call_id must be a non-empty string")


# ----- commands ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OpenWindow(Command):
    """A call rang or was dialled at ``at_us`` (None: now): its recording window opens."""

    NAME: ClassVar[str] = "open_window"
    call_id: str
    at_us: int | None = None
    queue: str = ""
    agent: str = ""

    def __post_init__(self) -> None:
        _call_id(self)


@dataclass(frozen=True, kw_only=True)
class CloseWindow(Command):
    """The window closes at ``at_us`` (the end of wrap-up; None: now)."""

    NAME: ClassVar[str] = "close_window"
    call_id: str
    at_us: int | None = None

    def __post_init__(self) -> None:
        _call_id(self)


@dataclass(frozen=True, kw_only=True)
class Consent(Command):
    """The caller consented at ``at_us`` (None: now)."""

    NAME: ClassVar[str] = "consent"
    call_id: str
    at_us: int | None = None

    def __post_init__(self) -> None:
        _call_id(self)


@dataclass(frozen=True, kw_only=True)
class Mark(Command):
    """A moment of the call to note in ``marks.jsonl``."""

    NAME: ClassVar[str] = "mark"
    call_id: str
    event: str
    at_us: int | None = None

    def __post_init__(self) -> None:
        _call_id(self)


# Why the desktop pauses: the operator did, or a sensitive dialog-card field has focus. The two
# are kept apart: a pause ends only when every reason for it was resumed.
PAUSE_REASONS = ("manual", "sensitive_field")


def _pause_reason(message: Command) -> None:
    reason = getattr(message, "reason", "")
    if reason not in PAUSE_REASONS:
        raise PipeError(f"{message.NAME}: reason must be one of {', '.join(PAUSE_REASONS)}")


@dataclass(frozen=True, kw_only=True)
class Pause(Command):
    """Black out the whole screen (and silence the call audio, if the policy says so) for
    ``reason`` until a :class:`Resume` of the same reason."""

    NAME: ClassVar[str] = "pause"
    reason: str = "manual"
    at_us: int | None = None

    def __post_init__(self) -> None:
        _pause_reason(self)


@dataclass(frozen=True, kw_only=True)
class Resume(Command):
    """``reason`` no longer holds; recording resumes if no other reason does."""

    NAME: ClassVar[str] = "resume"
    reason: str = "manual"
    at_us: int | None = None

    def __post_init__(self) -> None:
        _pause_reason(self)


@dataclass(frozen=True, kw_only=True)
class SetPolicy(Command):
    """The recording policy for windows opened from now on: ``queues`` maps a queue to its
    own ``{mode, sample_percent}``; ``mask_titles`` (None: unchanged) replaces the title
    masks at once. The frame rate and the pre-roll need a new worker (the desktop starts one)."""

    NAME: ClassVar[str] = "set_policy"
    STRICT: ClassVar[bool] = True
    mode: str = "all"
    sample_percent: float = 100.0
    off_agents: tuple[str, ...] = ()
    off_queues: tuple[str, ...] = ()
    pause_audio: bool = True  # pauses and masks silence the call audio that is uploaded
    queues: dict[str, Any] = field(default_factory=dict)
    mask_titles: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class Status(Command):
    """Ask for a :class:`RecorderStatus`."""

    NAME: ClassVar[str] = "status"


@dataclass(frozen=True, kw_only=True)
class UploadStatusRequest(Command):
    """Ask for an :class:`UploadStatus`."""

    NAME: ClassVar[str] = "upload_status"


@dataclass(frozen=True, kw_only=True)
class Watch(Command):
    """Whether a supervisor watches this screen (the store's answer to the desktop's
    presence): while ``watched``, the worker sends its picture to the store as ``agent``
    (the token's owner)."""

    NAME: ClassVar[str] = "watch"
    watched: bool
    agent: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.watched, bool):
            raise PipeError(f"{self.NAME}: watched must be true or false")
        if self.watched and not (isinstance(self.agent, str) and self.agent):
            raise PipeError(f"{self.NAME}: agent must be a non-empty string when watched")


@dataclass(frozen=True, kw_only=True)
class Stop(Command):
    NAME: ClassVar[str] = "stop"


# ----- events --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Ready(Event):
    """The worker is up and takes commands."""

    NAME: ClassVar[str] = "ready"
    pid: int
    out_dir: str
    preroll_s: float
    fps: float
    policy: dict[str, Any]
    capture: bool = True


@dataclass(frozen=True, kw_only=True)
class RecorderState(Event):
    """What the operator sees changed: whether the screen is recorded, and each window."""

    NAME: ClassVar[str] = "state"
    recording: bool
    capturing: bool
    paused: bool = False
    pause_reasons: list[str] = field(default_factory=list)  # manual, sensitive_field
    masked: list[str] = field(default_factory=list)
    mask_failed: bool = False
    windows: list[dict[str, Any]] = field(default_factory=list)
    segments: int = 0
    spool: int = 0
    policy: dict[str, Any] | None = None
    last_error: str = ""


@dataclass(frozen=True, kw_only=True)
class RecorderStatus(RecorderState):
    """The same as :class:`RecorderState`, in answer to :class:`Status`."""

    NAME: ClassVar[str] = "status"


@dataclass(frozen=True, kw_only=True)
class SegmentDone(Event):
    """A segment was kept for its calls (``manifest`` is its manifest's path)."""

    NAME: ClassVar[str] = "segment_done"
    manifest: str
    call_ids: list[str]
    status: str
    utc_start_us: int
    utc_end_us: int
    bytes: int


@dataclass(frozen=True, kw_only=True)
class Marked(Event):
    """A moment noted for a call (``pause``/``resume`` with their reason as ``detail``)."""

    NAME: ClassVar[str] = "marked"
    call_id: str
    mark: str
    utc_us: int
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class WorkerError(Event):
    """Something went wrong; ``fatal``: the worker stops (see recorder/README.md)."""

    NAME: ClassVar[str] = "error"
    kind: str
    message: str
    fatal: bool = False


@dataclass(frozen=True, kw_only=True)
class UploadStatus(Event):
    """The outbox and the uploader: what waits, how fast it goes, what went wrong."""

    NAME: ClassVar[str] = "upload_status"
    items: int = 0
    bytes: int = 0
    oldest_us: int | None = None
    last_error: str = ""
    over_quota: bool = False
    warning: str = ""
    rate_bps: float = 0.0
    sent: int = 0
    cpu_s: float = 0.0
    offline: bool = False
    parked: int = 0  # items the store refused as invalid, kept in the outbox
    parked_reason: str = ""  # the store's reason for the last one
    disk: str = ""  # "full" | "cannot write" | "" (the outbox's disk)


@dataclass(frozen=True, kw_only=True)
class LiveState(Event):
    """The live screen: whether it is sent, and what was sent since the worker started."""

    NAME: ClassVar[str] = "live"
    watched: bool
    frames: int = 0
    key_frames: int = 0
    bytes: int = 0
    failures: int = 0
    encode_cpu_s: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Stopped(Event):
    """The worker's last event: its exit status and the segments it kept."""

    NAME: ClassVar[str] = "stopped"
    code: int
    segments: int


COMMANDS: dict[str, type[Command]] = {
    c.NAME: c
    for c in (
        OpenWindow,
        CloseWindow,
        Consent,
        Mark,
        Pause,
        Resume,
        SetPolicy,
        Status,
        UploadStatusRequest,
        Watch,
        Stop,
    )
}
EVENTS: dict[str, type[Event]] = {
    e.NAME: e
    for e in (
        Ready,
        RecorderState,
        RecorderStatus,
        SegmentDone,
        Marked,
        WorkerError,
        LiveState,
        UploadStatus,
        Stopped,
    )
}

Message = Command | Event

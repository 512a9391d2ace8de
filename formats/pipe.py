"""The pipe between the desktop and the recorder worker: one JSON object per line.

Commands go to the worker's stdin as ``{"cmd": NAME, ...fields}``, events come back on its
stdout as ``{"event": NAME, "at_us": UTC µs, ...fields}``. Each message is a dataclass here;
:func:`encode` writes a line and :func:`decode` reads one back, checking every field's type, so
both ends share one definition. A line that is not a valid message raises :class:`PipeError`
naming the message and the field at fault. Unknown fields are ignored (an older desktop reads a
newer worker's events), except in ``set_policy``, where a misspelt rule must not pass silently.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, Union

from formats.clock import utc_us

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


@dataclass(frozen=True, kw_only=True)
class Pause(Command):
    """Black out the whole screen until :class:`Resume`."""

    NAME: ClassVar[str] = "pause"


@dataclass(frozen=True, kw_only=True)
class Resume(Command):
    NAME: ClassVar[str] = "resume"


@dataclass(frozen=True, kw_only=True)
class SetPolicy(Command):
    """The recording policy for windows opened from now on."""

    NAME: ClassVar[str] = "set_policy"
    STRICT: ClassVar[bool] = True
    mode: str = "all"
    sample_percent: float = 100.0
    off_agents: tuple[str, ...] = ()
    off_queues: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Status(Command):
    """Ask for a :class:`RecorderStatus`."""

    NAME: ClassVar[str] = "status"


@dataclass(frozen=True, kw_only=True)
class UploadStatusRequest(Command):
    """Ask for an :class:`UploadStatus`."""

    NAME: ClassVar[str] = "upload_status"


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
    NAME: ClassVar[str] = "marked"
    call_id: str
    mark: str
    utc_us: int


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
        UploadStatus,
        Stopped,
    )
}

Message = Command | Event


# ----- the codec -----------------------------------------------------------------------------


def to_json(message: Message) -> dict[str, Any]:
    """The message as the JSON object on the wire (an event without ``at_us`` gets now)."""
    if isinstance(message, Command):
        data: dict[str, Any] = {"cmd": message.NAME}
    else:
        data = {"event": message.NAME}
        data["at_us"] = utc_us() if message.at_us is None else message.at_us
    for f in fields(message):
        value = getattr(message, f.name)
        if f.name == "at_us" and isinstance(message, Event):
            continue
        if value is None and isinstance(message, Command):
            continue  # an omitted optional field: the worker's default
        data[f.name] = list(value) if isinstance(value, tuple) else value
    return data


def encode(message: Message) -> str:
    """One line for the pipe, newline included."""
    return json.dumps(to_json(message), separators=(",", ":")) + "\n"


def decode[M: (Command, Event)](line: str | bytes, kind: type[M]) -> M:
    """The message (a :class:`Command` or an :class:`Event`, as ``kind`` says) on ``line``;
    :class:`PipeError` names what is wrong."""
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PipeError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PipeError(f"a message is a JSON object, not {type(data).__name__}")
    key, table = ("cmd", COMMANDS) if kind is Command else ("event", EVENTS)
    name = data.get(key)
    if not isinstance(name, str):
        raise PipeError(f"no {key!r} naming the message")
    cls = table.get(name)
    if cls is None:
        raise PipeError(f"unknown {'command' if key == 'cmd' else 'event'} {name!r}")
    return typing.cast(M, _build(cls, {k: v for k, v in data.items() if k != key}))


def _build(cls: type[Message], data: dict[str, Any]) -> Message:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    if cls.STRICT and set(data) - names:
        unknown = ", ".join(sorted(set(data) - names))
        raise PipeError(f"{cls.NAME}: unknown field(s) {unknown}")
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in data:
            values[f.name] = _checked(data[f.name], hints[f.name], f"{cls.NAME}: {f.name}")
    try:
        return cls(**values)
    except TypeError as exc:  # a required field is missing
        missing = [
            f.name
            for f in fields(cls)
            if f.name not in values and f.default is MISSING and f.default_factory is MISSING
        ]
        raise PipeError(f"{cls.NAME}: missing field(s) {', '.join(missing) or exc}") from None


_SCALARS: dict[Any, Callable[[Any], bool]] = {
    type(None): lambda v: v is None,
    bool: lambda v: isinstance(v, bool),
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    str: lambda v: isinstance(v, str),
}


def _checked(value: Any, hint: Any, where: str) -> Any:
    """``value`` if it is a ``hint`` (an int is a float; a list is a tuple), else PipeError."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        for option in args:
            try:
                return _checked(value, option, where)
            except PipeError:
                continue
        raise PipeError(f"{where} must be {_describe(hint)}, got {value!r}")
    if hint is Any:
        return value
    if origin in (list, tuple) and isinstance(value, list):
        checked = [_checked(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(checked) if origin is tuple else checked
    if origin is dict and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return value
    scalar = _SCALARS.get(hint)
    if scalar is not None and scalar(value):
        return float(value) if hint is float else value
    raise PipeError(f"{where} must be {_describe(hint)}, got {value!r}")


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin in (list, tuple):
        return f"a list of {_describe(args[0])}"
    if origin is dict:
        return "an object"
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if hint is type(None):
        return "null"
    return names.get(hint, str(hint))

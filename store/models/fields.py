"""The building blocks of the API's bodies: bounds and patterns, the field types that clean
text, the strict base model and the enumerations (roles, content types, directions, states)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import JsonDict

MAX_US = 4_102_444_800_000_000  # 2100-01-01: bounds every timestamp the API takes


SHA256_PATTERN = r"^[0-9a-f]{64}$"


CALL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"


NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


KEY_PATTERN = r"^[a-z0-9_]{1,40}$"
EXTENSION_PATTERN = r"^[A-Za-z0-9*#+._-]{1,32}$"  # a SIP extension: 1001, 2004, *55, anna


def clean_text(value: str) -> str:
    # NUL and lone surrogates pass JSON but neither database can store them.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    return value


def not_bool(value: object) -> object:
    # JSON true/false would pass as 1/0 (pydantic's lax mode); the schema says number.
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true or false")
    return value


def only_bool(value: object) -> object:
    # and 0/1 would pass as false/true
    if not isinstance(value, bool):
        raise ValueError("true or false is expected")
    return value


Num = BeforeValidator(not_bool)
Flag = Annotated[bool, BeforeValidator(only_bool)]
Micros = Annotated[int, Field(ge=0, le=MAX_US), Num]


Short = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(clean_text)]


Long = Annotated[str, Field(max_length=4000), AfterValidator(clean_text)]


Number = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(clean_text)]


UserName = Annotated[str, Field(pattern=NAME_PATTERN)]


Key = Annotated[str, Field(pattern=KEY_PATTERN)]


Tag = Annotated[str, Field(pattern=KEY_PATTERN)]
# For dict[Key, …]: pydantic refuses other keys, and the schema says so
ONLY_KEYS: JsonDict = {"additionalProperties": False}


Karma = Annotated[int, Field(ge=-2, le=2, description="-2 hostile … 0 neutral … +2 pleasant"), Num]


Literacy = Annotated[
    int, Field(ge=1, le=5, description="technical literacy: 1 novice … 5 expert"), Num
]


Temperament = Annotated[
    int, Field(ge=1, le=5, description="1 hostile … 3 even … 5 easy-going"), Num
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Role(StrEnum):
    agent = "agent"
    qa = "qa"
    supervisor = "supervisor"
    admin = "admin"
    pbx = "pbx"  # the PBX feed: queue events in, routing hints out, nothing else


class ContentType(StrEnum):
    wav = "audio/wav"
    ogg = "audio/ogg"
    mp4 = "video/mp4"
    mpegts = "video/mp2t"
    json = "application/json"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"
    internal = "internal"


class EndedBy(StrEnum):
    agent = "agent"
    remote = "remote"
    system = "system"
    transfer = "transfer"


class Refusal(StrEnum):
    """Why the desktop refused a call that was offered to it without ringing the operator:
    the agent's state then (break, not ready, wrap-up: not the agent's missed call) or the
    operator's own do-not-disturb while ready (the agent's missed call)."""

    on_break = "break"
    not_ready = "not_ready"
    wrap_up = "wrap_up"
    dnd = "dnd"


class Leg(StrEnum):
    """What became of one inbound call at one agent (a leg of a customer call)."""

    answered = "answered"
    missed = "missed"  # rang the agent while ready, unanswered, not completed elsewhere
    elsewhere = "elsewhere"  # cancelled because another leg of the customer call answered
    refused = "refused"  # refused in break, not ready or wrap-up


class MediaKind(StrEnum):
    audio = "audio"
    screen = "screen"
    data = "data"


class AgentStateName(StrEnum):
    ready = "ready"
    not_ready = "not_ready"
    on_break = "break"
    wrap_up = "wrap_up"
    on_call = "on_call"
    offline = "offline"
    outbound = "outbound"  # working outbound tasks: no inbound calls offered

"""The recording policy's document (set by an admin) and what a desktop reads of it: the rule
that applies to its operator, resolved by the store (agent > team > queue > default)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from store.models.fields import NAME_PATTERN, Flag, Num, Short, Strict, clean_text

# An INVITE header's name (RFC 3261 token characters), kept lowercase as the softphone does.
HEADER_PATTERN = r"^[A-Za-z0-9!%*_+`'~.-]{1,64}$"


class RecordingMode(StrEnum):
    all = "all"
    sampled = "sampled"
    consent = "consent"  # only from the caller's consent on
    off = "off"


class PolicyRule(Strict):
    """How the calls of a queue, a team or an agent are recorded."""

    mode: RecordingMode
    sample_percent: Annotated[float, Num] = Field(
        default=100.0, ge=0, le=100, description="`sampled`: the share of calls recorded"
    )

    @model_validator(mode="after")
    def _percent_with_sampled(self) -> Self:
        given = "sample_percent" in self.model_fields_set
        if self.mode is RecordingMode.sampled and not given:
            raise ValueError("sample_percent is required with mode sampled")
        if self.mode is not RecordingMode.sampled and given and self.sample_percent != 100:
            raise ValueError(f"sample_percent is only for mode sampled, not {self.mode.value}")
        return self


def _regex(pattern: str) -> str:
    clean_text(pattern)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


TitleMask = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_regex)]
HeaderName = Annotated[str, Field(pattern=HEADER_PATTERN), AfterValidator(lambda h: h.lower())]
AgentName = Annotated[str, Field(pattern=NAME_PATTERN)]


class PolicyHeaders(Strict):
    """Which INVITE headers carry the queue, the time the caller waited in it (seconds) and
    the PBX's own call id (Asterisk's uniqueid)."""

    queue: HeaderName = "x-queue"
    queue_wait: HeaderName = "x-queue-wait"
    pbx_call_id: HeaderName = "x-asterisk-uniqueid"


class PolicyDocument(Strict):
    """The company's recording policy: one document, versioned on every change."""

    default: PolicyRule = PolicyRule(mode=RecordingMode.all)
    queues: dict[Short, PolicyRule] = Field(default_factory=dict, max_length=1000)
    teams: dict[Short, PolicyRule] = Field(default_factory=dict, max_length=1000)
    agents: dict[AgentName, PolicyRule] = Field(default_factory=dict, max_length=10_000)
    fps: Annotated[float, Num] = Field(default=5.0, ge=0.5, le=30)
    preroll_s: Annotated[float, Num] = Field(default=5.0, ge=0, le=60)
    wrap_up_max_s: Annotated[float, Num] = Field(default=600.0, ge=0, le=86_400)
    mask_titles: list[TitleMask] = Field(default_factory=list, max_length=200)
    pause_audio: Flag = Field(
        default=True, description="a pause of the screen also silences both audio channels"
    )
    show_listening: Flag = Field(
        default=True,
        description="the operator sees that a supervisor listens (whisper and barge always show)",
    )
    headers: PolicyHeaders = PolicyHeaders()
    show_watched: Flag = Field(
        default=True,
        description='the operator\'s window shows "screen watched" while a supervisor watches',
    )


class EffectivePolicy(BaseModel):
    """The policy as it applies to the asking user: their agent or team rule, else the rule
    of each queue (`queues`, the call's queue decides) and `default` for the others."""

    scope: str = Field(description="`agent NAME`, `team NAME` or `queues`")
    mode: RecordingMode
    sample_percent: float
    queues: dict[str, PolicyRule]
    fps: float
    preroll_s: float
    wrap_up_max_s: float
    mask_titles: list[str]
    pause_audio: bool
    show_listening: bool = True
    headers: PolicyHeaders


class PolicyVersion(BaseModel):
    version: int = Field(description="0: never set, the built-in default")
    changed_us: int | None
    changed_by: str | None
    policy: PolicyDocument


class PolicyOut(PolicyVersion):
    effective: EffectivePolicy

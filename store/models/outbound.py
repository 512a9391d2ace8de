"""Outbound campaigns' bodies: a campaign's settings, a claimed task as the desktop reads it,
an attempt's outcome, do-not-call entries, a campaign's progress and a contact's history."""

from __future__ import annotations

import re
import zoneinfo
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from store.models.fields import KEY_PATTERN, Flag, Key, Long, Micros, Num, Number, Short, Strict

_CLOCK = re.compile(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")
DAY_S = 86_400


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name, e.g. Europe/Moscow)") from None
    return name


def _clock(value: str) -> str:
    if not _CLOCK.fullmatch(value):
        raise ValueError(f"{value!r} is not a time of day HH:MM (24:00: midnight at the end)")
    return value


Zone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_zone)]
Clock = Annotated[str, AfterValidator(_clock)]
Delay = Annotated[int, Field(ge=0, le=30 * DAY_S), Num]


class Mode(StrEnum):
    preview = "preview"  # the operator sees the card, then presses Call or Skip
    progressive = "progressive"  # dials after a countdown the operator can stop


class Outcome(StrEnum):
    """What became of one claim: a SIP result, an answered call's disposition, or no dial."""

    answered = "answered"  # with a disposition
    busy = "busy"  # 486/600
    no_answer = "no_answer"  # rang for the campaign's no-answer time, or 408/480
    failed = "failed"  # any other failure
    callback = "callback"  # answered, call again at the time the operator chose
    skipped = "skipped"  # preview: not dialled, with a reason
    blocked = "blocked"  # the number is on the do-not-call list: never dialled


SIP_OUTCOMES = (Outcome.busy, Outcome.no_answer, Outcome.failed)


class CallingHours(Strict):
    """When contacts may be called, in each contact's own time zone."""

    start: Clock = "09:00"
    end: Clock = "21:00"
    days: list[Annotated[int, Field(ge=1, le=7), Num]] = Field(
        default=[1, 2, 3, 4, 5, 6, 7], min_length=1, max_length=7, description="1 Monday … 7"
    )

    @model_validator(mode="after")
    def _start_before_end(self) -> Self:
        if self.start >= self.end:
            raise ValueError(f"calling hours start {self.start} is not before end {self.end}")
        return self


class CampaignSettings(Strict):
    """Everything of a campaign but its name and pause flag."""

    queue: Short | None = None
    team: Short | None = None
    mode: Mode = Mode.preview
    hours: CallingHours = CallingHours()
    default_tz: Zone = Field("UTC", description="contacts imported without a time zone")
    max_attempts: Annotated[int, Field(ge=1, le=50), Num] = 3
    retry_s: dict[Annotated[str, Field(pattern=KEY_PATTERN)], Delay] = Field(
        default_factory=lambda: {"busy": 600, "no_answer": 1800, "failed": 3600},
        max_length=50,
        description="delay before the next attempt per outcome (busy, no_answer, failed) and "
        "per disposition; an answered call whose disposition is not here is done",
    )
    skip_retry_s: Delay = 3600
    dispositions: list[Key] = Field(
        default_factory=list,
        max_length=50,
        description="what the operator picks after an answered call (those in retry_s are "
        "called again after their delay, the others are done)",
    )
    caller_id: Number | None = None
    card_form: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    script: Annotated[str, Field(max_length=20_000)] = ""
    lease_s: Annotated[int, Field(ge=2, le=3600), Num] = 120
    countdown_s: Annotated[int, Field(ge=0, le=60), Num] = 5
    no_answer_s: Annotated[int, Field(ge=2, le=300), Num] = 30


class CampaignIn(CampaignSettings):
    name: Short


class CampaignPatch(Strict):
    paused: Flag | None = None
    settings: CampaignSettings | None = None


class Campaign(CampaignSettings):
    id: int
    name: str
    paused: bool
    created_by: str
    created_us: int
    updated_us: int


class Task(BaseModel):
    """A claimed contact as the desktop shows and dials it."""

    claim_id: str
    lease_until_us: int
    campaign: Campaign
    contact_id: int
    phone: str
    name: str
    tz: str
    crm_id: str | None
    extra: dict[str, str]
    attempts: int = Field(description="attempts before this one")
    callback: bool = Field(description="a callback promised to this operator")


class OutcomeIn(Strict):
    outcome: Outcome
    disposition: Key | None = None
    reason: Long | None = Field(None, description="skipped: why")
    call_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")] | None = None
    callback_us: Micros | None = Field(None, description="callback: when to call again")

    @model_validator(mode="after")
    def _pieces(self) -> Self:
        if self.outcome is Outcome.callback and self.callback_us is None:
            raise ValueError("a callback needs callback_us")
        if self.outcome is Outcome.answered and not self.disposition:
            raise ValueError("an answered call needs its disposition")
        if self.outcome is Outcome.skipped and not self.reason:
            raise ValueError("a skip needs its reason")
        return self


class OutcomeOut(BaseModel):
    status: Literal["waiting", "done", "exhausted"]
    next_due_us: int | None
    attempts: int


class DncIn(Strict):
    numbers: list[Number] = Field(min_length=1, max_length=10_000)
    reason: Short | None = None


class ImportReport(BaseModel):
    imported: int
    encoding: str
    delimiter: str
    columns: list[str]


class Progress(BaseModel):
    campaign_id: int
    name: str
    paused: bool
    total: int
    done: int
    exhausted: int
    due_now: int
    scheduled: int
    claimed: int
    blocked: int
    outcomes: dict[str, int] = Field(description="attempts by outcome or disposition")


class Attempt(BaseModel):
    id: int
    agent: str
    claimed_us: int
    dialled_us: int | None
    ended_us: int | None
    outcome: str | None
    disposition: str | None
    reason: str | None
    call_id: str | None
    next_due_us: int | None


class ContactHistory(BaseModel):
    id: int
    campaign_id: int
    phone: str
    name: str
    tz: str
    crm_id: str | None
    extra: dict[str, str]
    status: str
    attempts: int
    next_due_us: int
    attempts_made: list[Attempt]

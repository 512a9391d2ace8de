"""Call bodies: a call as written (whole or in part) and as read, its media links, search
pages, and the note of an export."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from store.models.fields import (
    ONLY_KEYS,
    SHA256_PATTERN,
    Direction,
    EndedBy,
    Karma,
    Key,
    Leg,
    Literacy,
    Long,
    MediaKind,
    Micros,
    Num,
    Number,
    Refusal,
    Short,
    Strict,
    Tag,
    Temperament,
    UserName,
    clean_text,
)

PbxCallId = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(clean_text)]


class Hold(Strict):
    start_us: Micros
    end_us: Micros | None = None


class Transfer(Strict):
    at_us: Micros
    to: Number
    kind: Literal["blind", "attended"] = "blind"


class CardValue(Strict):
    value: Long
    changed_us: Micros


class CallEvent(Strict):
    at_us: Micros
    kind: Short
    detail: Long = ""


class CallFields(Strict):
    """What a client says about a call; every field optional (PATCH)."""

    agent: UserName | None = None
    extension: Annotated[str, Field(pattern=r"^[A-Za-z0-9*#+._-]{1,32}$")] | None = Field(
        None, description="the SIP extension of the desktop that took or made the call"
    )
    direction: Direction | None = None
    local_number: Number | None = None
    remote_number: Number | None = None
    queue: Short | None = None
    sip_call_id: Annotated[str, Field(max_length=256), AfterValidator(clean_text)] | None = None
    pbx_call_id: PbxCallId | None = Field(
        None,
        description="the PBX's id of the customer call (from the INVITE); the legs that rang "
        "several agents share it and count as one offered call",
    )
    started_us: Micros | None = None
    answered_us: Micros | None = None
    ended_us: Micros | None = None
    holds: list[Hold] | None = Field(None, max_length=100)
    transfers: list[Transfer] | None = Field(None, max_length=50)
    ended_by: EndedBy | None = None
    cause: Short | None = None
    disposition: Short | None = None
    card: (
        Annotated[dict[Key, CardValue], Field(max_length=100, json_schema_extra=ONLY_KEYS)] | None
    ) = Field(None, description="dialog-card values, each with its change time")
    karma: Karma | None = None
    literacy: Literacy | None = None
    temperament: Temperament | None = None
    tags: list[Tag] | None = Field(None, max_length=20)
    events: list[CallEvent] | None = Field(None, max_length=1000)
    queue_wait_s: Annotated[float, Num] | None = Field(
        None, ge=0, le=86_400, description="time in the PBX queue before the call rang here"
    )
    refusal: Refusal | None = Field(
        None, description="the desktop refused the call without ringing the operator: why"
    )
    campaign: Short | None = Field(
        None, description="the outbound campaign this call was an attempt of (its name)"
    )


class CallIn(CallFields):
    """A whole call (PUT creates or replaces it)."""

    agent: UserName
    direction: Direction
    started_us: Micros

    @model_validator(mode="after")
    def _times_in_order(self) -> Self:
        for name in ("answered_us", "ended_us"):
            value = getattr(self, name)
            if value is not None and value < self.started_us:
                raise ValueError(f"{name} is before started_us")
        if self.answered_us and self.ended_us and self.ended_us < self.answered_us:
            raise ValueError("ended_us is before answered_us")
        return self


class MediaLink(Strict):
    kind: MediaKind
    start_us: Micros | None = None
    end_us: Micros | None = None


class LinkedMedia(BaseModel):
    sha256: str
    kind: MediaKind
    start_us: int | None
    end_us: int | None
    size: int
    content_type: str
    deleted: bool


class CallOut(CallIn):
    id: str
    local_norm: str | None
    remote_norm: str | None
    duration_s: float
    has_screen: bool
    evaluated: bool
    leg: Leg | None = Field(
        None, description="inbound: what became of the call at this agent (see Metrics)"
    )
    media: list[LinkedMedia]
    created_us: int
    updated_us: int


class CallSummary(BaseModel):
    id: str
    agent: str
    direction: Direction
    remote_number: str | None
    queue: str | None
    started_us: int
    duration_s: float
    disposition: str | None
    karma: int | None
    literacy: int | None = None
    temperament: int | None = None
    has_screen: bool
    evaluated: bool


class CallPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CallSummary]


class ExportNote(BaseModel):
    """What was exported: the file's name and SHA-256, for the audit trail."""

    model_config = ConfigDict(extra="forbid")
    file_name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(clean_text)]
    sha256: Annotated[str, Field(pattern=SHA256_PATTERN)]
    watermark: Annotated[str, Field(max_length=400), AfterValidator(clean_text)] = ""

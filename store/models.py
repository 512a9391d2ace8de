"""The API's typed request and response bodies. They validate input (clear 422s) and are the
source of the OpenAPI description. Times are UTC microseconds since the epoch (`*_us`), the
project's one clock."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MAX_US = 4_102_444_800_000_000  # 2100-01-01: bounds every timestamp the API takes
SHA256_PATTERN = r"^[0-9a-f]{64}$"
CALL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
KEY_PATTERN = r"^[a-z0-9_]{1,40}$"


def _clean(value: str) -> str:
    # NUL and lone surrogates pass JSON but neither database can store them.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    return value


Micros = Annotated[int, Field(ge=0, le=MAX_US)]
Short = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean)]
Long = Annotated[str, Field(max_length=4000), AfterValidator(_clean)]
Number = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_clean)]
UserName = Annotated[str, Field(pattern=NAME_PATTERN)]
Key = Annotated[str, Field(pattern=KEY_PATTERN)]
Tag = Annotated[str, Field(pattern=KEY_PATTERN)]
Karma = Annotated[int, Field(ge=-2, le=2, description="-2 hostile … 0 neutral … +2 pleasant")]
Literacy = Annotated[int, Field(ge=1, le=5, description="technical literacy: 1 novice … 5 expert")]
Temperament = Annotated[int, Field(ge=1, le=5, description="1 hostile … 3 even … 5 easy-going")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Role(StrEnum):
    agent = "agent"
    qa = "qa"
    supervisor = "supervisor"
    admin = "admin"


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


class MediaKind(StrEnum):
    audio = "audio"
    screen = "screen"
    data = "data"


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
    sip_call_id: Annotated[str, Field(max_length=256), AfterValidator(_clean)] | None = None
    started_us: Micros | None = None
    answered_us: Micros | None = None
    ended_us: Micros | None = None
    holds: list[Hold] | None = Field(None, max_length=100)
    transfers: list[Transfer] | None = Field(None, max_length=50)
    ended_by: EndedBy | None = None
    cause: Short | None = None
    disposition: Short | None = None
    card: dict[Key, CardValue] | None = Field(
        None, max_length=100, description="dialog-card values, each with its change time"
    )
    karma: Karma | None = None
    literacy: Literacy | None = None
    temperament: Temperament | None = None
    tags: list[Tag] | None = Field(None, max_length=20)
    events: list[CallEvent] | None = Field(None, max_length=1000)
    queue_wait_s: float | None = Field(
        None, ge=0, le=86_400, description="time in the PBX queue before the call rang here"
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


class MediaOut(BaseModel):
    sha256: str
    size: int
    content_type: str
    created: bool = Field(description="true if stored now, false if it already existed")


class MediaInfo(BaseModel):
    sha256: str
    size: int
    content_type: str
    created_us: int
    deleted: bool
    calls: list[str]


class MediaUrl(BaseModel):
    url: str | None = Field(description="null: the store serves media itself (no presigning)")
    expires_s: int


class Commit(Strict):
    content_type: ContentType


class RatingScore(BaseModel):
    """One caller rating (1–5) over all operators, weighted by agreement (store/README.md)."""

    score: float
    ratings: int
    raters: int
    agreement: float = Field(description="share of raters within 1 point of the score")


class CallerSummary(BaseModel):
    number: str
    calls: int
    ratings: int
    karma_sum: int
    karma_avg: float | None
    literacy: RatingScore | None = None
    temperament: RatingScore | None = None
    last_calls: list[CallSummary]


class RoutingHint(BaseModel):
    number: str
    hint: Literal["unknown", "difficult", "normal", "pleasant"]
    karma_avg: float | None
    ratings: int
    calls: int
    last_agent: str | None
    literacy: float | None = None
    temperament: float | None = None
    route: Literal["default", "skip_ivr", "senior"] = "default"


class AgentStateName(StrEnum):
    ready = "ready"
    not_ready = "not_ready"
    on_break = "break"
    wrap_up = "wrap_up"
    on_call = "on_call"
    offline = "offline"


class StateIn(Strict):
    state: AgentStateName
    reason: Short | None = None
    at_us: Micros | None = Field(None, description="when it changed; default: now")
    call_id: Annotated[str, Field(pattern=CALL_ID_PATTERN)] | None = Field(
        None, description="the call an on_call or wrap_up state belongs to"
    )


class StateOut(BaseModel):
    agent: str
    state: AgentStateName
    reason: str | None
    since_us: int


class Criterion(Strict):
    key: Key
    label: Short
    max_score: int = Field(ge=1, le=100)
    weight: float = Field(1.0, ge=0, le=100)


class FormIn(Strict):
    name: Short
    criteria: list[Criterion] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _unique_keys(self) -> Self:
        keys = [c.key for c in self.criteria]
        if len(set(keys)) != len(keys):
            raise ValueError("criterion keys must be unique")
        if not any(c.weight for c in self.criteria):
            raise ValueError("at least one criterion needs a weight above 0")
        return self


class FormOut(FormIn):
    id: int
    created_by: str
    created_us: int


class Comment(Strict):
    position_ms: int = Field(ge=0, le=86_400_000, description="playback position")
    text: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_clean)]


class EvaluationIn(Strict):
    form_id: int = Field(ge=1, le=2**53)
    scores: dict[Key, Annotated[int, Field(ge=0, le=100)]] = Field(max_length=50)
    comments: list[Comment] = Field(default_factory=list, max_length=200)
    summary: Long = ""


class EvaluationOut(EvaluationIn):
    id: int
    call_id: str
    evaluator: str
    score_pct: float
    created_us: int


class RuleIn(Strict):
    queue: Short | None = None
    tag: Tag | None = None
    days: int = Field(ge=1, le=36_500)


class RuleOut(RuleIn):
    id: int
    created_by: str
    created_us: int


class Me(BaseModel):
    name: str
    role: Role


class AuditRow(BaseModel):
    id: int
    at_us: int
    actor: str
    action: str
    target: str
    detail: str


class Health(BaseModel):
    status: Literal["ok"]
    schema_version: int
    database: str
    blobs: str


class PresenceIn(Strict):
    """What an agent's desktop shows right now, for the supervisors' live board."""

    call_id: Annotated[str, Field(pattern=CALL_ID_PATTERN)] | None = None
    call_number: Number | None = None
    call_direction: Direction | None = None
    call_started_us: Micros | None = None
    call_answered_us: Micros | None = None
    hold_since_us: Micros | None = Field(None, description="set while the call is on hold")
    recording: bool = False
    upload_backlog: int = Field(0, ge=0, le=10_000_000, description="items waiting to upload")
    upload_backlog_bytes: int = Field(0, ge=0, le=2**53)


class BoardRow(PresenceIn):
    agent: str
    state: AgentStateName
    reason: str | None
    since_us: int | None
    presence_us: int | None = Field(description="when the desktop last reported; null: never")
    occupancy_10min_pct: float | None


class Board(BaseModel):
    now_us: int = Field(description="the server's clock, to measure times in state against")
    agents: list[BoardRow]


class ReportRow(BaseModel):
    """One group of a report; every metric is defined in store/report_metrics.py (METRICS)."""

    model_config = ConfigDict(extra="allow")
    agent: str | None = None
    queue: str | None = None
    bucket_us: int | None = None


class Report(BaseModel):
    group: list[str]
    from_us: int
    to_us: int
    tz_offset_min: int
    source: str = Field(
        description="rollups, raw or rollups+raw: the per-day rollups or the raw rows (same sums)"
    )
    columns: list[str]
    rows: list[ReportRow]


class ExportNote(BaseModel):
    """What was exported: the file's name and SHA-256, for the audit trail."""

    model_config = ConfigDict(extra="forbid")
    file_name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_clean)]
    sha256: Annotated[str, Field(pattern=SHA256_PATTERN)]
    watermark: Annotated[str, Field(max_length=400), AfterValidator(_clean)] = ""

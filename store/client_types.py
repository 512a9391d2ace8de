"""The JSON shapes the store's API takes and returns, as TypedDicts for `store.client`.

They mirror `store.models` (the server's pydantic models) without needing pydantic on the
desktop. Times are UTC microseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, NotRequired, TypedDict

Direction = Literal["inbound", "outbound", "internal"]
MediaKind = Literal["audio", "screen", "data"]
AgentState = Literal["ready", "not_ready", "break", "wrap_up", "on_call", "offline", "outbound"]


class Hold(TypedDict):
    start_us: int
    end_us: NotRequired[int | None]


class Transfer(TypedDict):
    at_us: int
    to: str
    kind: NotRequired[Literal["blind", "attended"]]


class CardValue(TypedDict):
    value: str
    changed_us: int


class CallEvent(TypedDict):
    at_us: int
    kind: str
    detail: NotRequired[str]


class CallInput(TypedDict):
    """A whole call for `put_call`; `patch_call` takes any subset as keyword arguments."""

    agent: str
    direction: Direction
    started_us: int
    extension: NotRequired[str | None]  # the desktop's SIP extension
    local_number: NotRequired[str | None]
    remote_number: NotRequired[str | None]
    queue: NotRequired[str | None]
    sip_call_id: NotRequired[str | None]
    pbx_call_id: NotRequired[str | None]
    answered_us: NotRequired[int | None]
    ended_us: NotRequired[int | None]
    holds: NotRequired[list[Hold] | None]
    transfers: NotRequired[list[Transfer] | None]
    ended_by: NotRequired[Literal["agent", "remote", "system", "transfer"] | None]
    cause: NotRequired[str | None]
    disposition: NotRequired[str | None]
    card: NotRequired[dict[str, CardValue] | None]
    karma: NotRequired[int | None]
    literacy: NotRequired[int | None]
    temperament: NotRequired[int | None]
    tags: NotRequired[list[str] | None]
    events: NotRequired[list[CallEvent] | None]
    queue_wait_s: NotRequired[float | None]
    refusal: NotRequired[Literal["break", "not_ready", "wrap_up", "dnd"] | None]
    campaign: NotRequired[str | None]  # the outbound campaign's name


class LinkedMedia(TypedDict):
    sha256: str
    kind: MediaKind
    start_us: int | None
    end_us: int | None
    size: int
    content_type: str
    deleted: bool


class Call(CallInput):
    id: str
    local_norm: str | None
    remote_norm: str | None
    duration_s: float
    has_screen: bool
    evaluated: bool
    leg: NotRequired[Literal["answered", "missed", "elsewhere", "refused"] | None]
    media: list[LinkedMedia]
    created_us: int
    updated_us: int


class CallSummary(TypedDict):
    id: str
    agent: str
    direction: Direction
    remote_number: str | None
    queue: str | None
    started_us: int
    duration_s: float
    disposition: str | None
    karma: int | None
    literacy: NotRequired[int | None]
    temperament: NotRequired[int | None]
    has_screen: bool
    evaluated: bool


class CallPage(TypedDict):
    total: int
    limit: int
    offset: int
    items: list[CallSummary]


class UploadResult(TypedDict):
    sha256: str
    size: int
    content_type: str
    created: bool


class MediaInfo(TypedDict):
    sha256: str
    size: int
    content_type: str
    created_us: int
    deleted: bool
    calls: list[str]


class RatingScore(TypedDict):
    """A 1–5 caller rating over all operators, weighted by how many agree."""

    score: float
    ratings: int
    raters: int
    agreement: float


class CallerSummary(TypedDict):
    number: str
    calls: int
    ratings: int
    karma_sum: int
    karma_avg: float | None
    literacy: NotRequired[RatingScore | None]
    temperament: NotRequired[RatingScore | None]
    last_calls: list[CallSummary]


class RoutingHint(TypedDict):
    number: str
    hint: Literal["unknown", "difficult", "normal", "pleasant"]
    karma_avg: float | None
    ratings: int
    calls: int
    last_agent: str | None
    literacy: NotRequired[float | None]
    temperament: NotRequired[float | None]
    route: NotRequired[Literal["default", "skip_ivr", "senior"]]


class StateRow(TypedDict):
    agent: str
    state: AgentState
    reason: str | None
    since_us: int


class Criterion(TypedDict):
    key: str
    label: str
    max_score: int
    weight: NotRequired[float]
    rule: NotRequired[str | None]  # an automatic check's name


class Form(TypedDict):
    id: int
    name: str
    criteria: list[Criterion]
    created_by: str
    created_us: int


class Comment(TypedDict):
    position_ms: int
    text: str


class Evaluation(TypedDict):
    id: int
    call_id: str
    form_id: int
    evaluator: str
    scores: dict[str, int]
    comments: list[Comment]
    summary: str
    score_pct: float
    created_us: int


class CallExport(TypedDict):
    call: Call
    evaluations: list[Evaluation]


class AuditRow(TypedDict):
    id: int
    at_us: int
    actor: str
    action: str
    target: str
    detail: str


class RetentionRule(TypedDict):
    id: int
    queue: str | None
    tag: str | None
    days: int
    created_by: str
    created_us: int


class Me(TypedDict):
    name: str
    role: Literal["agent", "qa", "supervisor", "admin"]
    extension: NotRequired[str | None]  # the user's SIP extension (stores since migration 10)
    team: NotRequired[str | None]  # the user's team (stores since migration 12)


class Health(TypedDict):
    status: str
    schema_version: int
    database: str
    blobs: str


class Presence(TypedDict, total=False):
    """An agent desktop's live snapshot; every field optional (absent = none / 0 / false)."""

    call_id: str | None
    call_number: str | None
    call_direction: Direction | None
    call_started_us: int | None
    call_answered_us: int | None
    hold_since_us: int | None
    recording: bool
    upload_backlog: int
    upload_backlog_bytes: int


class BoardRow(Presence):
    agent: str
    state: AgentState
    reason: str | None
    since_us: int | None
    presence_us: int | None
    occupancy_10min_pct: float | None
    extension: NotRequired[str | None]  # the agent's SIP extension


class Board(TypedDict):
    now_us: int
    agents: list[BoardRow]


class ReportRow(Mapping[str, Any]):
    """One report row read by field name over the array the store sent (no dict per row:
    a year of day × agent is 109,500 rows)."""

    __slots__ = ("_at", "_values")

    def __init__(self, at: dict[str, int], values: list[Any]) -> None:
        self._at, self._values = at, values

    def __getitem__(self, name: str) -> Any:
        return self._values[self._at[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def __repr__(self) -> str:
        return repr(dict(self))


class ReportNorms(TypedDict):
    """The store's report defaults (`GET /reports/norms`)."""

    tz: str
    sl_s: int
    long_call_s: int


class Report(TypedDict):
    """`rows` hold the group keys (agent, queue, bucket_us) and one value per `columns`."""

    group: list[str]
    from_us: int
    to_us: int
    tz_offset_min: int
    source: NotRequired[str]  # "rollups", "raw" or "rollups+raw": where the sums came from
    columns: list[str]
    rows: list[Mapping[str, Any]]

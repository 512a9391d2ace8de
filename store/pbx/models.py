"""Request and response bodies of the PBX routes (validation + OpenAPI)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from store.models import Micros, Strict

Field256 = Annotated[str, Field(max_length=256)]


class QueueEventIn(Strict):
    """One queue_log line as fields: `epoch|uniqueid|queue|agent|event|data…`."""

    at_us: Micros = Field(description="the line's epoch in UTC µs")
    uniqueid: Annotated[str, Field(min_length=1, max_length=256)]
    queue: Annotated[str, Field(min_length=1, max_length=256)]
    agent: Field256 = "NONE"
    event: Annotated[str, Field(min_length=1, max_length=40, examples=["ENTERQUEUE"])]
    data: list[Field256] = Field(default_factory=list, max_length=10)


class QueueEventsIn(Strict):
    events: list[QueueEventIn] = Field(max_length=5000)


class Rejected(BaseModel):
    line: int = Field(description="1-based line (text) or index (JSON) in the request")
    reason: str


class QueueEventsOut(BaseModel):
    received: int = Field(description="events read from the request")
    stored: int = Field(description="of them new to the store")
    duplicates: int = Field(description="of them stored before (sent again): nothing changed")
    rejected: list[Rejected] = Field(description="lines that are not queue_log events")


class QueueReport(BaseModel):
    from_us: int
    to_us: int
    by: list[str]
    queue: str | None
    sl_s: int
    abandon_short_s: int
    tz_offset_min: int
    metrics: list[str]
    rows: list[dict[str, float | int | str | None]]


class QueueCall(BaseModel):
    """One call's stay in one queue (store.pbx.ingest)."""

    uniqueid: str = Field(description="the PBX's call id")
    queue: str
    caller: str | None
    position: int | None
    entered_us: int
    outcome: str = Field(
        description="waiting, connected, completed, transferred, abandoned, timeout, key, empty"
    )
    agent: str | None
    extension: str | None
    connected_us: int | None
    ended_us: int | None
    wait_us: int | None
    talk_us: int | None
    rings: int = Field(description="ring attempts no agent answered")
    ended_by: str | None
    transfer_to: str | None
    desktop_call_id: str | None = Field(
        description="the desktop leg that answered the customer call whose PBX call id is "
        "this uniqueid; else the desktop call at the agent's extension from this caller that "
        "started nearest the CONNECT (within a minute)"
    )
    user: str | None = Field(description="that desktop call's agent")


class WaitingCaller(BaseModel):
    uniqueid: str
    number: str | None
    position: int | None
    entered_us: int
    wait_s: float
    karma_avg: float | None
    ratings: int
    hint: str
    route: str


class QueueMember(BaseModel):
    agent: str
    extension: str | None
    user: str | None = Field(
        description="the store user of the extension (else whose desktop last used it)"
    )
    state: str = Field(
        description="free, on_call, wrap_up, break or not_ready: the PBX's and the desktop's "
        "views joined (a PBX pause is a break)"
    )
    pbx_state: str = Field(description="what the PBX says: ready or paused")
    desk_state: str | None = Field(description="the agent's state on the desktop, if known")
    reason: str | None
    since_us: int
    uniqueid: str | None = Field(description="the queue call of an agent on a call")


class LiveQueue(BaseModel):
    queue: str
    waiting: int
    longest_wait_s: float | None
    callers: list[WaitingCaller]
    offered: int = Field(description="since local midnight")
    answered: int
    abandoned: int
    service_level_pct: float | None
    agents: dict[str, int] = Field(
        description="members by state: free, on_call, wrap_up, break, not_ready"
    )
    members: list[QueueMember]


class LiveQueues(BaseModel):
    now_us: int
    since_us: int = Field(description="local midnight of the store's report zone")
    sl_s: int
    queues: list[LiveQueue]

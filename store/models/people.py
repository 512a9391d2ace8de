"""Bodies about people: callers (ratings, routing hint), agent states, the desktops' presence
snapshots and the live board, who a token belongs to."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from store.models.calls import CallSummary
from store.models.fields import (
    CALL_ID_PATTERN,
    AgentStateName,
    Direction,
    Flag,
    Micros,
    Num,
    Number,
    Role,
    Short,
    Strict,
)


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


class PresenceIn(Strict):
    """What an agent's desktop shows right now, for the supervisors' live board."""

    call_id: Annotated[str, Field(pattern=CALL_ID_PATTERN)] | None = None
    call_number: Number | None = None
    call_direction: Direction | None = None
    call_started_us: Micros | None = None
    call_answered_us: Micros | None = None
    hold_since_us: Micros | None = Field(None, description="set while the call is on hold")
    recording: Flag = False
    upload_backlog: Annotated[int, Num] = Field(
        0, ge=0, le=10_000_000, description="items waiting to upload"
    )
    upload_backlog_bytes: Annotated[int, Num] = Field(0, ge=0, le=2**53)


class BoardRow(PresenceIn):
    agent: str
    state: AgentStateName
    reason: str | None
    since_us: int | None
    presence_us: int | None = Field(description="when the desktop last reported; null: never")
    occupancy_10min_pct: float | None
    extension: str | None = Field(None, description="the agent's SIP extension")


class Board(BaseModel):
    now_us: int = Field(description="the server's clock, to measure times in state against")
    agents: list[BoardRow]


class Me(BaseModel):
    name: str
    role: Role
    extension: str | None = Field(
        description="the user's SIP extension, set by an admin (`agentdesk-store user set`)"
    )
    team: str | None = Field(
        None, description="the user's team, set by an admin (the recording policy's teams)"
    )

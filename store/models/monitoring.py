"""Monitoring sessions: a supervisor listens to, whispers to or barges into an agent's call
through the agent's own softphone (store/monitoring.py)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from store.models.fields import Flag, Long, Strict, UserName


class MonitorMode(StrEnum):
    listen = "listen"  # the supervisor hears both, nobody hears the supervisor
    whisper = "whisper"  # only the operator hears the supervisor
    barge = "barge"  # all three hear each other


class MonitorState(StrEnum):
    open = "open"  # delivered to the agent's desktop, waiting for the supervisor's call
    active = "active"  # the supervisor's call is mixed in
    ended = "ended"
    revoked = "revoked"
    rejected = "rejected"


class ReportedState(StrEnum):
    """What the agent's desktop reports of a session."""

    active = "active"
    ended = "ended"
    rejected = "rejected"


class MonitorIn(Strict):
    agent: UserName
    mode: MonitorMode
    follow: Flag = Field(
        default=False, description="follow the operator to the next call instead of ending"
    )


class MonitorModeIn(Strict):
    mode: MonitorMode


class MonitorStateIn(Strict):
    state: ReportedState
    reason: Long = ""


class MonitorOut(BaseModel):
    id: str = Field(description="random, 192 bits, URL-safe; the SIP header carries it")
    supervisor: str
    supervisor_sip: str = Field(description="the supervisor's extension: the only caller taken")
    agent: str
    agent_sip: str = Field(description="what the supervisor's softphone dials: the extension")
    mode: MonitorMode
    follow: bool
    call_id: str | None = Field(description="the agent's call when the session opened")
    created_us: int
    expires_us: int
    ended_us: int | None
    state: MonitorState
    reason: str | None

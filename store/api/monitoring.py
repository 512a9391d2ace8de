"""Routes of monitoring sessions (store/monitoring.py): supervisors and admins open, change
and revoke them; the agent's desktop reports what became of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from store import monitoring
from store.api.deps import Ctx, Who
from store.api.problems import BODY, COMMON, problems
from store.models import NAME_PATTERN
from store.models.monitoring import MonitorIn, MonitorModeIn, MonitorOut, MonitorStateIn

router = APIRouter(tags=["monitoring"], responses=COMMON)
SessionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$")]


@router.post(
    "/monitoring",
    response_model=MonitorOut,
    status_code=201,
    responses=problems(*BODY, 403, 404, 409),
    summary="Open a monitoring session on an agent (supervisor, admin; audited)",
)
def open_session(body: MonitorIn, ctx: Ctx, who: Who) -> dict[str, Any]:
    return monitoring.open_session(ctx.db, body, who)


@router.get(
    "/monitoring",
    response_model=list[MonitorOut],
    responses=problems(403),
    summary="Monitoring sessions, newest first (agents: their own)",
)
def list_sessions(
    ctx: Ctx,
    who: Who,
    agent: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    live: bool = False,
) -> list[dict[str, Any]]:
    return monitoring.listing(ctx.db, who, agent, live)


@router.get(
    "/monitoring/{session_id}",
    response_model=MonitorOut,
    responses=problems(404),
    summary="One monitoring session",
)
def get_session(session_id: SessionId, ctx: Ctx, who: Who) -> dict[str, Any]:
    return monitoring.get(ctx.db, session_id, who)


@router.patch(
    "/monitoring/{session_id}",
    response_model=MonitorOut,
    responses=problems(*BODY, 403, 404, 409),
    summary="Change a session's mode (its supervisor, admin; audited)",
)
def change_mode(session_id: SessionId, body: MonitorModeIn, ctx: Ctx, who: Who) -> dict[str, Any]:
    return monitoring.change_mode(ctx.db, session_id, body.mode, who)


@router.delete(
    "/monitoring/{session_id}",
    response_model=MonitorOut,
    responses=problems(403, 404, 409),
    summary="Revoke a session (its supervisor, admin; audited)",
)
def revoke(session_id: SessionId, ctx: Ctx, who: Who) -> dict[str, Any]:
    return monitoring.revoke(ctx.db, session_id, who)


@router.post(
    "/monitoring/{session_id}/state",
    response_model=MonitorOut,
    responses=problems(*BODY, 404, 409),
    summary="The agent's desktop: the session is active, ended or rejected (audited)",
)
def report(session_id: SessionId, body: MonitorStateIn, ctx: Ctx, who: Who) -> dict[str, Any]:
    return monitoring.report(ctx.db, session_id, body, who)

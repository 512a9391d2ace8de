"""Routes about people: callers (summary, routing hint) and agents (states, live view)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from store import agents, search
from store.api.deps import Ctx, Who
from store.api.problems import BODY, COMMON, problems
from store.db import Row
from store.models import MAX_US, NAME_PATTERN, CallerSummary, RoutingHint, StateIn, StateOut

router = APIRouter(tags=["people"], responses=COMMON)
NumberPath = Annotated[str, Path(min_length=1, max_length=64, description="any spelling")]
AgentPath = Annotated[str, Path(pattern=NAME_PATTERN)]
TimeParam = Annotated[int | None, Query(ge=0, le=MAX_US)]


@router.get(
    "/callers/{number}",
    response_model=CallerSummary,
    summary="Caller karma over all ratings, and the last calls you may see",
)
def caller(number: NumberPath, ctx: Ctx, who: Who) -> dict[str, Any]:
    return search.caller_summary(ctx.db, number, who)


@router.get("/routing-hint", response_model=RoutingHint, summary="A small answer for a PBX")
def routing_hint(
    number: Annotated[str, Query(min_length=1, max_length=64)], ctx: Ctx, who: Who
) -> dict[str, Any]:
    return search.routing_hint(ctx.db, number, who)


@router.post(
    "/agents/{agent}/states",
    response_model=StateOut,
    status_code=201,
    responses=problems(*BODY, 403, 404, 409),
    summary="Record an agent state change (agents: their own)",
)
def set_state(agent: AgentPath, body: StateIn, ctx: Ctx, who: Who) -> Row:
    return agents.set_state(ctx.db, agent, body, who)


@router.get(
    "/agents/states",
    response_model=list[StateOut],
    responses=problems(403),
    summary="Live view: every agent's current state (qa, supervisor, admin)",
)
def live(ctx: Ctx, who: Who) -> list[Row]:
    return agents.live(ctx.db, who)


@router.get(
    "/agents/{agent}/states",
    response_model=list[StateOut],
    responses=problems(403),
    summary="An agent's state history",
)
def history(
    agent: AgentPath,
    ctx: Ctx,
    who: Who,
    from_us: TimeParam = None,
    to_us: TimeParam = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    return agents.history(ctx.db, agent, who, from_us, to_us, limit)

"""Routes of the operator's screen, live: a supervisor's watch (open, frames, end) and the
agent's worker sending its frames while watched (see store/screen_live.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from formats.screen_live import CONTENT_TYPE
from store import screen_live
from store.api.deps import Ctx, Who
from store.api.payloads import body_up_to
from store.api.problems import BODY, COMMON, problems
from store.errors import UnsupportedMedia
from store.models import NAME_PATTERN

router = APIRouter(tags=["screen"], responses=COMMON)
AgentPath = Annotated[str, Path(pattern=NAME_PATTERN)]
WatchId = Annotated[int, Path(ge=1, le=2**62)]
_FRAME_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/agents/{agent}/screen/watches",
    status_code=201,
    responses=problems(403, 404),
    summary="Start watching an agent's screen (supervisor, admin); audited",
)
def start_watch(agent: AgentPath, ctx: Ctx, who: Who) -> dict[str, Any]:
    return screen_live.start(ctx.db, agent, who)


@router.get(
    "/agents/{agent}/screen/watches/{watch_id}/frames",
    responses=problems(403, 404, 410),
    summary="The live frames after `after` (0: from the latest key frame); keeps the watch open",
)
def watch_frames(
    agent: AgentPath,
    watch_id: WatchId,
    ctx: Ctx,
    who: Who,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> dict[str, Any]:
    return screen_live.frames(ctx.db, agent, watch_id, after, who)


@router.delete(
    "/agents/{agent}/screen/watches/{watch_id}",
    responses=problems(403, 404),
    summary="Stop watching; audited with the watch's period",
)
def end_watch(agent: AgentPath, watch_id: WatchId, ctx: Ctx, who: Who) -> dict[str, Any]:
    return screen_live.end(ctx.db, agent, watch_id, who)


@router.put(
    "/agents/{agent}/screen/live",
    summary="A live frame of the agent's own screen (formats/screen_live.py); answers "
    "{watched}: false means nobody watches and the frame was dropped",
    openapi_extra=_FRAME_BODY,
    responses=problems(*BODY, 403, 413, 415),
)
async def put_live(agent: AgentPath, request: Request, ctx: Ctx, who: Who) -> dict[str, Any]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != CONTENT_TYPE:
        raise UnsupportedMedia(f"send the live frame as {CONTENT_TYPE}")
    limit = screen_live.MAX_FRAME_BYTES
    received = await body_up_to(request, limit, f"a live frame has at most {limit} bytes")
    return await run_in_threadpool(screen_live.publish, ctx.db, agent, received, who)

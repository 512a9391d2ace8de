"""``GET /live``, the live channel (store/live/): the caller's events as server-sent events
(``text/event-stream``).

Each event is ``id: N`` and ``data: {"type": …}``; a comment line every 15 s keeps proxies
and the client's read timeout from taking a quiet stream for a dead one. With
``Last-Event-ID`` the stream starts with that user's events after it (kept a day); without,
with what is open now (each monitoring session as ``monitor.open``) and a ``hello`` carrying
the current id. A stream ends after an hour (the client reconnects, and its token is checked
again) and when the server stops.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from store.api.deps import Ctx, Who
from store.errors import Invalid
from store.live import events
from store.live.hub import END, Hub

router = APIRouter(include_in_schema=False)  # a stream: no schema to fuzz
HEARTBEAT_S = 15.0
MAX_STREAM_S = 3600.0
RETRY_MS = 2000


def frame(event_id: int | None, data: str) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}data: {data}\n\n"


def _last_id(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        number = int(value.strip())
    except ValueError:
        raise Invalid(
            f"Last-Event-ID must be an event id (a whole number), not {value!r}"
        ) from None
    if number < 0:
        raise Invalid("Last-Event-ID must not be negative")
    return number


@router.get("/live", tags=["live"])
async def live(
    request: Request,
    ctx: Ctx,
    who: Who,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> StreamingResponse:
    last = _last_id(last_event_id)
    hub: Hub = request.app.state.live
    sub = hub.subscribe(who.name)  # before reading the log: nothing falls between the two

    def opening() -> tuple[list[str], set[int]]:
        if last is not None:
            backlog = events.since(ctx.db, who.name, last)
            return [frame(i, body) for i, body in backlog], {i for i, _ in backlog}
        cursor = events.newest_id(ctx.db)
        now = [frame(None, json.dumps(e, default=str)) for e in hub.snapshot(who.name)]
        hello = json.dumps({"type": "hello", "user": who.name})
        return [*now, frame(cursor, hello)], set()

    try:
        first, replayed = await run_in_threadpool(opening)
    except BaseException:
        hub.unsubscribe(sub)
        raise

    async def stream() -> AsyncIterator[str]:
        try:
            yield f"retry: {RETRY_MS}\n\n"
            for text in first:
                yield text
            deadline = time.monotonic() + MAX_STREAM_S
            while (left := deadline - time.monotonic()) > 0:
                item: Any = await sub.next(min(HEARTBEAT_S, left))
                if item is END:
                    return
                if item is False:
                    yield ": ping\n\n"
                    continue
                event_id, body = item
                if event_id not in replayed:
                    yield frame(event_id, body)
        finally:
            hub.unsubscribe(sub)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

"""Routes of the PBX's view: queue events in (queue_log text or JSON), queue reports, the live
queues."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from store.api.deps import Ctx, Who, require
from store.api.payloads import body_up_to
from store.api.problems import BODY, COMMON, problems
from store.errors import Invalid, TooLarge, UnsupportedMedia
from store.models import MAX_US, Role
from store.pbx import ingest, live, report
from store.pbx.models import LiveQueues, QueueCall, QueueEventsIn, QueueEventsOut, QueueReport
from store.pbx.queue_log import BadLine, QueueEvent, make_event, parse_bytes
from store.users import Principal

router = APIRouter(tags=["pbx"], responses=COMMON)
MAX_BODY = 4 * 1024 * 1024
MAX_LINES = 20_000
Sender = Annotated[Principal, require(Role.admin, Role.pbx)]
Time = Annotated[int | None, Query(ge=0, le=MAX_US)]

_EVENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {
                "schema": {"type": "string", "maxLength": MAX_BODY},
                "example": "1741165200|1741165200.12|sales|NONE|ENTERQUEUE||+79125550102|1\n",
            },
            "application/json": {"schema": QueueEventsIn.model_json_schema()},
        },
    }
}


def _text_events(body: bytes, result: ingest.Ingested) -> list[QueueEvent]:
    lines = body.split(b"\n")
    if lines and lines[-1] in (b"", b"\r"):
        lines.pop()
    if len(lines) > MAX_LINES:
        raise TooLarge(f"at most {MAX_LINES} lines per request")
    events = []
    for number, raw in enumerate(lines, 1):
        try:
            events.append(parse_bytes(raw))
        except BadLine as exc:
            result.rejected.append({"line": number, "reason": str(exc)})
    return events


def _json_events(body: bytes, result: ingest.Ingested) -> list[QueueEvent]:
    try:
        parsed = QueueEventsIn.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()]
        raise RequestValidationError(errors) from None
    events = []
    for number, e in enumerate(parsed.events, 1):
        try:
            events.append(make_event(e.at_us, e.uniqueid, e.queue, e.agent, e.event, e.data))
        except BadLine as exc:
            result.rejected.append({"line": number, "reason": str(exc)})
    return events


@router.post(
    "/pbx/queue-events",
    response_model=QueueEventsOut,
    summary="Queue events from the PBX (admin, pbx): queue_log lines as text/plain, or JSON "
    "{events: [{at_us, uniqueid, queue, agent, event, data}]}; a line sent again is stored once",
    openapi_extra=_EVENTS_BODY,
    responses=problems(*BODY, 403, 413, 415),
)
async def queue_events(request: Request, ctx: Ctx, who: Sender) -> dict[str, Any]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("text/plain", "application/json"):
        raise UnsupportedMedia("send queue_log lines as text/plain or events as application/json")
    size = request.headers.get("content-length", "")
    if size.isdigit() and int(size) > MAX_BODY:
        raise TooLarge(f"at most {MAX_BODY} bytes per request")
    body = await body_up_to(request, MAX_BODY, f"at most {MAX_BODY} bytes per request")
    result = ingest.Ingested()
    events = (_text_events if kind == "text/plain" else _json_events)(body, result)
    done = await run_in_threadpool(ingest.ingest, ctx.db, events, who.name)
    result.received, result.stored = done.received, done.stored
    return result.answer()


@router.get(
    "/reports/queues",
    response_model=QueueReport,
    responses=problems(403),
    summary="What the PBX's queues did, per queue, day or hour (qa, supervisor, admin)",
)
def queues_report(
    ctx: Ctx,
    who: Who,
    from_us: Annotated[int | None, Query(alias="from", ge=0, le=MAX_US)] = None,
    to_us: Annotated[int | None, Query(alias="to", ge=0, le=MAX_US)] = None,
    by: Annotated[
        str,
        Query(
            pattern=r"^[a-z]+(,[a-z]+){0,1}$",
            description="queue, day or hour, or queue with day or hour (e.g. `queue,day`)",
        ),
    ] = "queue",
    queue: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    sl_s: Annotated[int | None, Query(ge=1, le=86_400, description="default: the store's")] = None,
    abandon_short_s: Annotated[int, Query(ge=1, le=86_400)] = 5,
    tz_offset_min: Annotated[int, Query(ge=-840, le=840)] = 0,
) -> dict[str, Any]:
    """`from` and `to` are UTC µs (the project's clock), like every `*_us`."""
    if from_us is None or to_us is None:
        raise Invalid("give from and to (UTC µs)")
    if queue is not None and "\x00" in queue:
        raise Invalid("queue must not contain NUL characters")
    q = report.QueueReportQuery(
        from_us=from_us,
        to_us=to_us,
        by=report.parse_by(by),
        queue=queue,
        sl_s=sl_s or ctx.settings.report_sl_s,
        abandon_short_s=abandon_short_s,
        tz_offset_min=tz_offset_min,
    )
    return report.queue_report(ctx.db, q, who)


@router.get("/reports/queues/metrics", summary="Every queue report metric and its formula")
def queue_metrics() -> dict[str, str]:
    return dict(report.QUEUE_METRICS)


@router.get(
    "/queues/live",
    response_model=LiveQueues,
    responses=problems(403),
    summary="The queues now: callers waiting (with karma), today's figures, members by state "
    "(qa, supervisor, admin)",
)
def queues_live(ctx: Ctx, who: Who) -> dict[str, Any]:
    s = ctx.settings
    return live.live(ctx.db, who, s.report_tz, s.report_sl_s)


@router.get(
    "/pbx/queue-calls",
    response_model=list[QueueCall],
    responses=problems(403),
    summary="Queue calls as the PBX saw them, each with the desktop call that took it "
    "(qa, supervisor, admin)",
)
def queue_calls(
    ctx: Ctx,
    who: Who,
    from_us: Annotated[int, Query(ge=0, le=MAX_US)],
    to_us: Annotated[int, Query(ge=0, le=MAX_US)],
    queue: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    uniqueid: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    for name, value in (("queue", queue), ("uniqueid", uniqueid)):
        if value is not None and "\x00" in value:
            raise Invalid(f"{name} must not contain NUL characters")
    return live.queue_calls(ctx.db, who, from_us, to_us, queue, uniqueid, limit)

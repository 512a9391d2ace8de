"""Routes for supervision: agents' presence snapshots, the live board, historical reports
(JSON objects, compact columns, or CSV)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AfterValidator

from store import presence, report_formats, reports
from store.api.deps import Ctx, Who
from store.api.payloads import csv_answer
from store.api.problems import BODY, COMMON, problems
from store.models import MAX_US, NAME_PATTERN, Board, PresenceIn, Report

router = APIRouter(tags=["supervision"])


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


AgentPath = Annotated[str, Path(pattern=NAME_PATTERN)]
Time = Annotated[int, Query(ge=0, le=MAX_US)]
GroupParam = Annotated[
    str,
    Query(
        pattern=r"^[a-z]+(,[a-z]+){0,2}$",
        description="comma-separated: agent, queue, day, hour (e.g. `day,agent`)",
    ),
]
AgentName = Annotated[str | None, Query(pattern=NAME_PATTERN)]
QueueName = Annotated[str | None, Query(min_length=1, max_length=100), AfterValidator(_no_nul)]
Offset = Annotated[int, Query(ge=-840, le=840, description="minutes east of UTC for days/hours")]
Seconds = Annotated[int | None, Query(ge=1, le=86_400, description="default: the store's")]
Format = Annotated[
    str,
    Query(
        pattern="^(json|columns|csv)$",
        description="json: rows as objects; columns: `fields` once and rows as arrays; csv",
    ),
]
UseRollups = Annotated[
    bool,
    Query(
        description="false: compute every figure from the raw calls and states, not from the "
        "per-day rollups (the same numbers; to cross-check)"
    ),
]


CSV = csv_answer("format=csv")


def _answer(report: dict[str, Any], format: str) -> Response:
    """The report in the asked shape (built and checked by store.reports; re-validating
    100,000 rows would double the time, and orjson writes a year's 19 MB in 0.05 s where
    the json module takes 0.4 s)."""
    if format == "csv":
        return Response(report_formats.to_csv(report), media_type="text/csv; charset=utf-8")
    body = report if format == "columns" else report_formats.to_objects(report)
    return Response(orjson.dumps(body), media_type="application/json")


@router.put(
    "/agents/{agent}/presence",
    responses={**COMMON, **problems(*BODY, 403, 404)},
    summary="The agent's desktop snapshot: current call, hold, recording, upload backlog",
)
def put_presence(agent: AgentPath, body: PresenceIn, ctx: Ctx, who: Who) -> dict[str, Any]:
    return presence.put(ctx.db, agent, body, who)


@router.get(
    "/agents/board",
    response_model=Board,
    responses={**COMMON, **problems(403)},
    summary="Live board: every agent's state, call, recording, backlog (qa, supervisor, admin)",
)
def board(ctx: Ctx, who: Who) -> Response:
    return Response(presence.board_json(ctx.db, who), media_type="application/json")


class ReportParams:
    """The query parameters every report takes: the period, the grouping, one agent, the
    timezone of days and hours, and the answer's shape."""

    def __init__(
        self,
        from_us: Time,
        to_us: Time,
        group: GroupParam = "agent",
        agent: AgentName = None,
        tz_offset_min: Offset = 0,
        format: Format = "json",
        rollups: UseRollups = True,
    ) -> None:
        self.from_us = from_us
        self.to_us = to_us
        self.group = group
        self.agent = agent
        self.tz_offset_min = tz_offset_min
        self.format = format
        self.rollups = rollups

    def query(self, queue: str | None, sl_s: int, long_call_s: int) -> reports.ReportQuery:
        return reports.ReportQuery(
            from_us=self.from_us,
            to_us=self.to_us,
            group=tuple(self.group.split(",")),
            agent=self.agent,
            queue=queue,
            tz_offset_min=self.tz_offset_min,
            sl_s=sl_s,
            long_call_s=long_call_s,
        )


Params = Annotated[ReportParams, Depends()]
REPORT: dict[str, Any] = {
    "response_model": Report,
    "responses": {**CSV, **COMMON, **problems(403)},
}


@router.get(
    "/reports/calls",
    summary="Call, time-in-state, occupancy and QA metrics per group (qa, supervisor, admin)",
    **REPORT,
)
def calls_report(
    ctx: Ctx,
    who: Who,
    params: Params,
    queue: QueueName = None,
    sl_s: Seconds = None,
    long_call_s: Seconds = None,
) -> Any:
    sl_s = sl_s or ctx.settings.report_sl_s
    long_call_s = long_call_s or ctx.settings.report_long_call_s
    q = params.query(queue, sl_s, long_call_s)
    return _answer(reports.calls_report(ctx.db, q, who, params.rollups), params.format)


@router.get(
    "/reports/states",
    summary="Time in each state and reason per agent and day/hour (qa, supervisor, admin)",
    **REPORT,
)
def states_report(ctx: Ctx, who: Who, params: Params) -> Any:
    q = params.query(None, 20, 600)
    return _answer(reports.states_report(ctx.db, q, who, params.rollups), params.format)


@router.get("/reports/metrics", summary="Every report metric and its formula")
def metrics() -> dict[str, str]:
    return dict(reports.METRICS)


@router.get(
    "/reports/norms",
    summary="This store's report defaults: the zone of its report days, the service-level "
    "and long-call norms (reports with other norms read the raw rows, slower on long ranges)",
)
def norms(ctx: Ctx) -> dict[str, Any]:
    s = ctx.settings
    return {"tz": s.report_tz, "sl_s": s.report_sl_s, "long_call_s": s.report_long_call_s}

"""The supervisors' and admins' pages: reports with a chart and CSV, the audit trail, the live
board."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from store import audit, presence, reports
from store.errors import Forbidden, Invalid
from store.models import Role
from store.web.i18n import words
from store.web.render import (
    ctx_of,
    day_us,
    error_page,
    lang_of,
    render,
    session_of,
    to_login,
    zone_of,
)

router = APIRouter(include_in_schema=False)


REPORT_COLUMNS = (
    "offered",
    "answered",
    "answered_pct",
    "handled",
    "avg_handle_s",
    "service_level_pct",
    "evaluations",
    "qa_avg_pct",
    "occupancy_pct",
)


@router.get("/reports")
def reports_page(request: Request) -> Response:
    """The calls report (the API's, from the rollups) by day, agent or queue, with a chart."""
    session = session_of(request)
    if session is None:
        return to_login(request)
    w = words(lang_of(request))
    if not session.who.sees_all:
        return error_page(request, session, 403, "forbidden_text")
    ctx = ctx_of(request)
    zone = zone_of(ctx)
    today = datetime.now(zone).date()
    fortnight = (today - timedelta(days=13)).isoformat()
    q = {
        "from": request.query_params.get("from", "")[:10] or fortnight,
        "to": request.query_params.get("to", "")[:10] or today.isoformat(),
        "group": request.query_params.get("group", "day"),
    }
    if q["group"] not in ("day", "agent", "queue"):
        q["group"] = "day"
    from_us = day_us(q["from"], zone, end=False)
    to_us = day_us(q["to"], zone, end=True)
    error, rows, csv_link = "", [], ""
    if from_us is None or to_us is None:
        error = w["bad_dates"]
    else:
        offset = datetime.fromtimestamp(from_us / 1e6, zone).utcoffset()
        offset_min = int(offset.total_seconds() // 60) if offset else 0
        csv_link = "/api/v1/reports/calls?" + urlencode(
            {"from_us": from_us, "to_us": to_us + 1, "group": q["group"],
             "tz_offset_min": offset_min, "format": "csv"}
        )  # fmt: skip
        query = reports.ReportQuery(
            from_us=from_us,
            to_us=to_us + 1,
            group=(q["group"],),
            tz_offset_min=offset_min,
            sl_s=ctx.settings.report_sl_s,
            long_call_s=ctx.settings.report_long_call_s,
        )
        try:
            report = reports.calls_report(ctx.db, query, session.who)
        except Invalid as exc:
            error = exc.message
        else:
            rows = [dict(zip(report["fields"], r, strict=True)) for r in report["rows"]]
    shown = ("offered", "answered", "handled")
    days: list[int] = []
    if q["group"] == "day" and from_us is not None and to_us is not None:
        day = datetime.fromtimestamp(from_us / 1e6, zone).date()
        last = datetime.fromtimestamp(to_us / 1e6, zone).date()
        while day <= last and len(days) < 400:  # every day of the range, those without calls at 0
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            days.append(int(midnight.timestamp()))
            day += timedelta(days=1)
    by_day = {int((r["bucket_us"] or 0) // 1_000_000): r for r in rows}
    chart = {
        "x": days,
        "series": {k: [(by_day.get(d) or {}).get(k) or 0 for d in days] for k in shown},
        "labels": {k: w[f"metric_{k}"] for k in shown},
        "x_label": w["day"],
        "zone": str(zone),
    }
    return render(
        request,
        "reports.html",
        session,
        q=q,
        rows=rows,
        columns=REPORT_COLUMNS,
        error=error,
        csv_link=csv_link,
        chart_json=json.dumps(chart).replace("</", ""),
    )


@router.get("/audit")
def audit_page(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return to_login(request)
    if session.who.role is not Role.admin:
        return error_page(request, session, 403, "forbidden_text")
    q = {k: request.query_params.get(k, "")[:200] for k in ("actor", "action", "target")}
    rows = audit.search(
        ctx_of(request).db,
        actor=q["actor"] or None,
        action=q["action"] or None,
        target=q["target"] or None,
        limit=200,
    )
    return render(request, "audit.html", session, q=q, rows=rows)


@router.get("/board")
def board_page(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return to_login(request)
    w = words(lang_of(request))
    try:
        board = presence.board(ctx_of(request).db, session.who)
    except Forbidden:
        return error_page(request, session, 403, "forbidden_text")
    states = {k[len("state_") :]: v for k, v in w.items() if k.startswith("state_")}
    board_words = json.dumps({"states": states, "zone": str(zone_of(ctx_of(request)))})
    return render(
        request, "board.html", session, board=board, board_words=board_words.replace("</", "")
    )

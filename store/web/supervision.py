"""The supervisors' and admins' pages: reports with a chart and CSV, the audit trail, the live
board with its monitoring sessions (open one on an agent, change its mode, stop it; the page
says what the supervisor's softphone dials)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from store import audit, monitoring, presence, reports
from store.errors import Forbidden, Invalid, StoreProblem
from store.models import Role
from store.models.monitoring import MonitorIn, MonitorMode
from store.sessions import Session
from store.web.i18n import words
from store.web.render import (
    ctx_of,
    day_us,
    error_page,
    first,
    lang_of,
    posted_form,
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
    return calls_report_page(request, "calls", REPORT_COLUMNS, ("offered", "answered", "handled"))


def calls_report_page(
    request: Request, tab: str, columns: tuple[str, ...], shown: tuple[str, ...]
) -> Response:
    """A page of the calls report (`columns` of it, the `shown` ones charted by day) on the
    report tab `tab` (its path /reports or /reports/TAB), with the API's CSV of it."""
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
        columns=columns,
        error=error,
        csv_link=csv_link,
        tab=tab,
        action="/reports" if tab == "calls" else f"/reports/{tab}",
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
    return _board(request, session)


def _board(request: Request, session: Session, status: int = 200, error: str = "") -> Response:
    w = words(lang_of(request))
    db = ctx_of(request).db
    try:
        board = presence.board(db, session.who)
    except Forbidden:
        return error_page(request, session, 403, "forbidden_text")
    supervising = session.who.role in monitoring.SUPERVISING
    sessions = monitoring.listing(db, session.who, None, live_only=True) if supervising else []
    states = {k[len("state_") :]: v for k, v in w.items() if k.startswith("state_")}
    watch = w["watch_screen"] if session.who.role in (Role.supervisor, Role.admin) else ""
    modes = {m.value: w[f"monitor_mode_{m.value}"] for m in MonitorMode}
    session_states = {k[len("monitor_state_") :]: v for k, v in w.items()
                      if k.startswith("monitor_state_")}  # fmt: skip
    board_words = json.dumps(
        {"states": states, "zone": str(zone_of(ctx_of(request))), "watch": watch,
         "modes": modes, "sessions": session_states if supervising else {}}
    )  # fmt: skip
    return render(
        request, "board.html", session, status, board=board,
        board_words=board_words.replace("</", ""), supervising=supervising,
        sessions=sessions, modes=[m.value for m in MonitorMode], monitor_error=error,
    )  # fmt: skip


@router.post("/board/monitor")
async def open_monitoring(request: Request) -> Response:
    """Open a monitoring session from the board (audited like the API's)."""
    posted = await posted_form(request)
    if isinstance(posted, Response):
        return posted
    session, form = posted
    try:
        body = MonitorIn(agent=first(form, "agent"), mode=MonitorMode(first(form, "mode")),
                         follow=first(form, "follow") == "on")  # fmt: skip
        db = ctx_of(request).db
        await run_in_threadpool(monitoring.open_session, db, body, session.who)
    except (ValueError, ValidationError) as exc:
        return _board(request, session, 422, str(exc).splitlines()[0])
    except StoreProblem as exc:
        return _board(request, session, exc.status, exc.message)
    return RedirectResponse("/board#monitoring", status_code=303)


@router.post("/board/monitor/{session_id}")
async def change_monitoring(request: Request, session_id: str) -> Response:
    """``action=mode`` with ``mode``, or ``action=stop``."""
    posted = await posted_form(request)
    if isinstance(posted, Response):
        return posted
    session, form = posted
    db = ctx_of(request).db
    try:
        if first(form, "action") == "stop":
            await run_in_threadpool(monitoring.revoke, db, session_id[:100], session.who)
        else:
            mode = MonitorMode(first(form, "mode"))
            await run_in_threadpool(monitoring.change_mode, db, session_id[:100], mode,
                                    session.who)  # fmt: skip
    except ValueError as exc:
        return _board(request, session, 422, str(exc))
    except StoreProblem as exc:
        return _board(request, session, exc.status, exc.message)
    return RedirectResponse("/board#monitoring", status_code=303)


@router.get("/screen/{agent}")
def screen_page(request: Request, agent: str) -> Response:
    """An agent's screen, live (supervisors and admins): static/screen.js opens the watch,
    paints the frames and ends the watch when the page goes."""
    session = session_of(request)
    if session is None:
        return to_login(request)
    if session.who.role not in (Role.supervisor, Role.admin):
        return error_page(request, session, 403, "forbidden_text")
    w = words(lang_of(request))
    page_words = {k: w[k] for k in ("screen_waiting", "screen_live", "screen_failed")}
    return render(
        request,
        "screen.html",
        session,
        agent=agent,
        heading=w["screen_of"].replace("{agent}", agent),
        screen_words=json.dumps({**page_words, "agent": agent}).replace("</", ""),
    )

"""The console's other report pages: the PBX's queues by hour or day with charts and CSV (the
queue report of store/pbx/report.py), and how often the automatic checks agree with QA's
answers (store/transcripts/agreement.py) with its CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from store import qa
from store.errors import Invalid
from store.pbx import report
from store.sessions import Session
from store.transcripts import agreement
from store.web.i18n import words
from store.web.render import ctx_of, day_us, lang_of, render, supervisor_of, zone_of

router = APIRouter(include_in_schema=False)

QUEUE_COLUMNS = (
    "offered",
    "answered",
    "abandoned",
    "answered_pct",
    "abandoned_pct",
    "service_level_pct",
    "avg_wait_s",
)
COUNTS = ("offered", "answered", "abandoned")
MAX_POINTS = 2000


def _dates(request: Request, zone: ZoneInfo, days_back: int) -> dict[str, str]:
    today = datetime.now(zone).date()
    return {
        "from": request.query_params.get("from", "")[:10]
        or (today - timedelta(days=days_back)).isoformat(),
        "to": request.query_params.get("to", "")[:10] or today.isoformat(),
    }


def _buckets(from_us: int, to_us: int, zone: ZoneInfo, hours: bool) -> list[int]:
    """Every bucket's start (Unix s) from the first day's midnight in `zone` to `to_us`,
    stepped as the queue report buckets (the zone's offset at the start, fixed)."""
    first = datetime.fromtimestamp(from_us / 1e6, zone)
    start = int(datetime(first.year, first.month, first.day, tzinfo=zone).timestamp())
    step = 3600 if hours else 86400
    return list(range(start, (to_us + 999_999) // 1_000_000, step))[:MAX_POINTS]


@dataclass
class QueueView:
    """The queue report as the page asks for it: the form's values, the rows, the buckets."""

    q: dict[str, str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    x: list[int] = field(default_factory=list)  # every bucket's start, Unix s
    error: str = ""


def _queue_view(request: Request, session: Session) -> QueueView:
    ctx = ctx_of(request)
    zone = zone_of(ctx)
    q = _dates(request, zone, 6)
    q["by"] = request.query_params.get("by", "day")
    q["queue"] = request.query_params.get("queue", "")[:256]
    if q["by"] not in ("day", "hour"):
        q["by"] = "day"
    view = QueueView(q)
    from_us, to_us = day_us(q["from"], zone, end=False), day_us(q["to"], zone, end=True)
    if from_us is None or to_us is None:
        view.error = words(lang_of(request))["bad_dates"]
        return view
    offset = datetime.fromtimestamp(from_us / 1e6, zone).utcoffset()
    query = report.QueueReportQuery(
        from_us=from_us,
        to_us=to_us + 1,
        by=(q["by"],),
        queue=q["queue"] or None,
        sl_s=ctx.settings.report_sl_s,
        tz_offset_min=int(offset.total_seconds() // 60) if offset else 0,
    )
    try:
        view.rows = report.queue_report(ctx.db, query, session.who)["rows"]
    except Invalid as exc:
        view.error = exc.message
    else:
        view.x = _buckets(from_us, to_us + 1, zone, q["by"] == "hour")
    return view


@router.get("/reports/queues")
def queues_page(request: Request) -> Response:
    """The queues' offered, answered and abandoned calls and service level, by hour or day."""
    session = supervisor_of(request)
    if isinstance(session, Response):
        return session
    ctx = ctx_of(request)
    w = words(lang_of(request))
    view = _queue_view(request, session)
    x = view.x
    by_bucket = {int(r["bucket_us"] // 1_000_000): r for r in view.rows}
    chart = {
        "x": x,
        "counts": {k: [(by_bucket.get(t) or {}).get(k) or 0 for t in x] for k in COUNTS},
        "sl": [(by_bucket.get(t) or {}).get("service_level_pct") for t in x],
        "labels": {k: w[f"metric_{k}"] for k in (*COUNTS, "service_level_pct")},
        "x_label": w[view.q["by"]],
        "calls_axis": w["calls_axis"],
        "zone": str(zone_of(ctx)),
        "hours": view.q["by"] == "hour",
    }
    return render(
        request,
        "queues.html",
        session,
        q=view.q,
        rows=view.rows,
        columns=QUEUE_COLUMNS,
        error=view.error,
        tab="queues",
        sl_s=ctx.settings.report_sl_s,
        chart_json=json.dumps(chart).replace("</", ""),
    )


@router.get("/reports/queues.csv")
def queues_csv(request: Request) -> Response:
    """The page's table as CSV: the bucket's local start, then every queue metric."""
    session = supervisor_of(request)
    if isinstance(session, Response):
        return session
    view = _queue_view(request, session)
    if view.error:
        return Response(view.error, status_code=422, media_type="text/plain; charset=utf-8")
    zone = zone_of(ctx_of(request))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([view.q["by"], *report.QUEUE_METRICS])
    for row in view.rows:
        local = datetime.fromtimestamp(row["bucket_us"] / 1e6, zone).strftime("%Y-%m-%d %H:%M")
        writer.writerow([local, *("" if row[k] is None else row[k] for k in report.QUEUE_METRICS)])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8")


@router.get("/reports/checks")
def checks_page(request: Request) -> Response:
    """Per scorecard question linked to an automatic check: its agreement with QA."""
    session = supervisor_of(request)
    if isinstance(session, Response):
        return session
    ctx = ctx_of(request)
    zone = zone_of(ctx)
    q = {k: request.query_params.get(k, "")[:10] for k in ("from", "to", "form")}
    from_us = day_us(q["from"], zone, end=False)
    to_us = day_us(q["to"], zone, end=True)
    form_id = int(q["form"]) if q["form"].isdigit() else None
    upper = to_us + 1 if to_us is not None else None
    rows = agreement.agreement(ctx.db, form_id, from_us, upper)
    given = {"form_id": form_id, "from_us": from_us, "to_us": upper}
    csv_query = urlencode({"format": "csv", **{k: v for k, v in given.items() if v is not None}})
    return render(
        request,
        "checks.html",
        session,
        q=q,
        rows=rows,
        forms=qa.list_forms(ctx.db),
        error="",
        csv_link=f"/api/v1/reports/check-agreement?{csv_query}",
    )

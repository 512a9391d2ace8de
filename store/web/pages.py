"""The console's pages: sign-in and out, call search, the call with its player and scorecard,
the live board and the audit trail. Server-rendered HTML (Jinja2, autoescaped); the player is
one small script that reads media through the API's audited media routes with the session.

Every page needs a session (else a redirect to /login); every POST needs the session's CSRF
token (form field `csrf`) and, when the browser names one, an Origin of this site.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from store import audit, calls, exports, presence, qa, reports, search, sessions
from store.api.deps import Context
from store.errors import Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from store.models import EvaluationIn, Role
from store.sessions import SESSION_COOKIE, Session
from store.web.i18n import JS_KEYS, LANG_COOKIE, LANGS, mark_label, pick_lang, words

router = APIRouter(include_in_schema=False)

_env = Environment(
    loader=PackageLoader("store.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)
MAX_FORM = 256 * 1024
PAGE = 50


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _lang(request: Request) -> str:
    return pick_lang(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def _zone(ctx: Context) -> ZoneInfo:
    try:
        return ZoneInfo(ctx.settings.report_tz)
    except Exception:
        return ZoneInfo("UTC")


def _render(
    request: Request,
    template: str,
    session: Session | None,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    lang = _lang(request)
    zone = _zone(_ctx(request))

    def when(us: int | None) -> str:
        if not us:
            return ""
        return datetime.fromtimestamp(us / 1e6, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    def seconds(s: float | None) -> str:
        if s is None:
            return ""
        whole = round(s)
        return f"{whole // 60}:{whole % 60:02d}"

    other = "en" if lang == "ru" else "ru"
    html = _env.get_template(template).render(
        w=words(lang),
        lang=lang,
        other_lang=other,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        session=session,
        who=session.who if session else None,
        when=when,
        seconds=seconds,
        zone=str(zone),
        **values,
    )
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
        "Content-Language": lang,
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def _session(request: Request) -> Session | None:
    return sessions.session_of(_ctx(request).db, request.cookies.get(SESSION_COOKIE))


def _to_login(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": here}), status_code=303)


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no host, no `//`)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/calls"
    parts = urlsplit(value)
    return "/calls" if parts.scheme or parts.netloc else value


async def _form(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM:
        raise Invalid("form too large")
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=500)


def _same_origin(request: Request) -> bool:
    """A POST from another site is refused whatever it carries (SameSite=Strict keeps the
    cookie away anyway; the Origin check also covers the sign-in form, which has no session)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _first(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[0]


def _own_form(request: Request, session: Session, form: dict[str, list[str]]) -> bool:
    """Whether the form was posted from this site with the session's CSRF token."""
    return _same_origin(request) and sessions.csrf_ok(session, _first(form, "csrf"))


def _error(request: Request, session: Session | None, status: int, text: str) -> Response:
    """The error page of a 403 or 404, its text the words' entry ``text``."""
    w = words(_lang(request))
    title = w["forbidden"] if status == 403 else w["not_found"]
    return _render(request, "error.html", session, status, title=title, text=w[text])


def _set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/calls", status_code=303)


@router.get("/lang/{code}")
def switch_lang(request: Request, code: str, next: str = "/calls") -> RedirectResponse:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGS:
        _set_cookie(request, response, LANG_COOKIE, code, 365 * 86400)
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/calls") -> Response:
    session = _session(request)
    if session is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _render(request, "login.html", None, next=_safe_next(next), error="", name="")


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    name, password = _first(form, "name"), _first(form, "password")
    target = _safe_next(_first(form, "next"))
    w = words(_lang(request))
    if not _same_origin(request):
        return _render(request, "login.html", None, 403, next=target, error=w["forbidden"], name="")
    ctx = _ctx(request)
    try:
        token, session = await run_in_threadpool(
            sessions.sign_in, ctx.db, name, password, _address(request)
        )
    except TooManyRequests as exc:
        page = _render(
            request,
            "login.html",
            None,
            429,
            next=target,
            error=w["throttled"].format(s=exc.retry_after_s),
            name=name,
        )
        page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    except Unauthorized:
        error = w["wrong_password"]
        return _render(request, "login.html", None, 401, next=target, error=error, name=name)
    response = RedirectResponse(target, status_code=303)
    age = max(1, (session.expires_us - sessions.now_us()) // 1_000_000)
    _set_cookie(request, response, SESSION_COOKIE, token, int(age))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await _form(request)
    session = _session(request)
    if session is not None and not _own_form(request, session, form):
        return _error(request, session, 403, "csrf_failed")
    sessions.sign_out(_ctx(request).db, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


_FILTERS = (
    "agent",
    "from",
    "to",
    "number",
    "queue",
    "direction",
    "min_duration_s",
    "max_duration_s",
    "disposition",
    "karma",
    "has_screen",
    "evaluated",
    "text",
    "tag",
    "sort",
    "order",
)


def _number(value: str, kind: type = float) -> Any:
    if not value.strip():
        return None
    try:
        number = kind(value.strip())
    except ValueError:
        return None
    if isinstance(number, float) and not math.isfinite(number):
        return None
    return number


def _day_us(value: str, zone: ZoneInfo, end: bool) -> int | None:
    """A date (`YYYY-MM-DD`) or date-time (`YYYY-MM-DDTHH:MM`) in the store's zone as UTC µs."""
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) == 10 and end:
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999_999)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp() * 1_000_000)


def _flag(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@router.get("/calls")
def calls_page(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    ctx = _ctx(request)
    q = {k: request.query_params.get(k, "")[:100] for k in _FILTERS}
    zone = _zone(ctx)
    karma = _number(q["karma"], int)
    f = search.CallFilter(
        agent=q["agent"] or None if session.who.sees_all else None,
        from_us=_day_us(q["from"], zone, end=False),
        to_us=_day_us(q["to"], zone, end=True),
        number=q["number"] or None,
        queue=q["queue"] or None,
        direction=q["direction"] if q["direction"] in ("inbound", "outbound", "internal") else None,
        min_duration_s=_number(q["min_duration_s"]),
        max_duration_s=_number(q["max_duration_s"]),
        disposition=q["disposition"] or None,
        karma=karma if karma is not None and -2 <= karma <= 2 else None,
        has_screen=_flag(q["has_screen"]),
        evaluated=_flag(q["evaluated"]),
        text=q["text"] or None,
        tag=q["tag"] or None,
    )
    sort = q["sort"] if q["sort"] in search.SORTS else "started"
    order = "asc" if q["order"] == "asc" else "desc"
    offset = max(0, _number(request.query_params.get("offset", ""), int) or 0)
    total, items = search.search(ctx.db, f, session.who, PAGE, offset, sort, order)  # type: ignore[arg-type]
    base = {k: v for k, v in q.items() if v}

    def page_link(at: int) -> str:
        return "/calls?" + urlencode({**base, "offset": at})

    return _render(
        request,
        "calls.html",
        session,
        q=q,
        items=items,
        total=total,
        offset=offset,
        prev_link=page_link(max(0, offset - PAGE)) if offset > 0 else None,
        next_link=page_link(offset + PAGE) if offset + PAGE < total else None,
    )


def _call_page(
    request: Request, session: Session, call_id: str, status: int = 200, **extra: Any
) -> Response:
    ctx = _ctx(request)
    w = words(_lang(request))
    try:
        call = calls.get(ctx.db, call_id, session.who)
    except NotFound:
        return _error(request, session, 404, "not_found_text")
    evaluations = qa.evaluations(ctx.db, call_id, session.who)
    forms = qa.list_forms(ctx.db)
    can_score = session.who.role in qa.EVALUATORS
    player = {
        "call": call,
        "media_base": "/api/v1/media/",
        "words": {k: w[k] for k in JS_KEYS},
    }
    marks = []
    for kind, at, label in _marks(call):
        if kind in ("pause", "resume") and label:
            label = ", ".join(w.get(f"reason_{r}", r) for r in label.split(", "))
        marks.append({"kind": kind, "at_us": at, "label": label, "name": mark_label(kind, w)})
    return _render(
        request,
        "call.html",
        session,
        status,
        call=call,
        marks=marks,
        evaluations=evaluations,
        forms=forms,
        forms_by_id={f["id"]: f for f in forms},
        chosen_form=next(
            (f for f in forms if str(f["id"]) == request.query_params.get("form")),
            forms[0] if forms else None,
        ),
        can_score=can_score,
        player_json=json.dumps(player, ensure_ascii=False).replace("</", "<\\/"),
        request_saved=request.query_params.get("saved") == "1",
        export_job=_number(request.query_params.get("export", ""), int),
        **extra,
    )


def _marks(call: dict[str, Any]) -> list[tuple[str, int, str]]:
    """The call's moments in time order (as the desktop's timeline lists them)."""
    out = [("ring", int(call["started_us"]), "")]
    if call.get("answered_us"):
        out.append(("answer", int(call["answered_us"]), ""))
    for hold in call.get("holds") or []:
        out.append(("hold", int(hold["start_us"]), ""))
        if hold.get("end_us"):
            out.append(("unhold", int(hold["end_us"]), ""))
    for transfer in call.get("transfers") or []:
        out.append(("transfer", int(transfer["at_us"]), str(transfer.get("to") or "")))
    for event in call.get("events") or []:
        out.append((str(event["kind"]), int(event["at_us"]), str(event.get("detail") or "")))
    for name, value in (call.get("card") or {}).items():
        out.append(("card", int(value["changed_us"]), f"{name}: {value['value']}"))
    if call.get("ended_us"):
        out.append(("hangup", int(call["ended_us"]), str(call.get("ended_by") or "")))
    return sorted(out, key=lambda m: (m[1], m[0]))


@router.get("/calls/{call_id}")
def call_page(request: Request, call_id: str) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    return _call_page(request, session, call_id[:200])


@router.post("/calls/{call_id}/evaluations")
async def evaluate(request: Request, call_id: str) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    call_id = call_id[:200]
    form = await _form(request)
    if not _own_form(request, session, form):
        return _error(request, session, 403, "csrf_failed")
    try:
        form_id = int(_first(form, "form_id") or 0)
        scores = {
            key[len("score.") :]: int(values[0])
            for key, values in form.items()
            if key.startswith("score.") and values and values[0].strip()
        }
        comments = [
            {"position_ms": int(p), "text": t}
            for p, t in zip(form.get("comment_ms", []), form.get("comment_text", []), strict=False)
            if t.strip()
        ]
        body = EvaluationIn.model_validate(
            {
                "form_id": form_id,
                "scores": scores,
                "comments": comments,
                "summary": _first(form, "summary"),
            }
        )
        ctx = _ctx(request)
        await run_in_threadpool(qa.evaluate, ctx.db, call_id, body, session.who)
    except (ValueError, ValidationError, Invalid) as exc:
        message = exc.message if isinstance(exc, Invalid) else str(exc).splitlines()[0]
        return _call_page(request, session, call_id, 422, score_error=message)
    except Forbidden:
        return _error(request, session, 403, "forbidden_text")
    except NotFound:
        return _error(request, session, 404, "not_found_text")
    return RedirectResponse(f"/calls/{call_id}?saved=1#evaluations", status_code=303)


@router.post("/calls/{call_id}/exports")
async def export_call(request: Request, call_id: str) -> Response:
    """Queue an MP4 export of the call (audited); the call page then shows its progress."""
    session = _session(request)
    if session is None:
        return _to_login(request)
    call_id = call_id[:200]
    form = await _form(request)
    if not _own_form(request, session, form):
        return _error(request, session, 403, "csrf_failed")
    try:
        db = _ctx(request).db
        row = await run_in_threadpool(exports.request_export, db, call_id, session.who)
    except NotFound:
        return _error(request, session, 404, "not_found_text")
    except Invalid as exc:
        return _call_page(request, session, call_id, 422, export_error=exc.message)
    return RedirectResponse(f"/calls/{call_id}?export={row['id']}#export", status_code=303)


@router.get("/exports/{job_id}.json")
def export_status(request: Request, job_id: int) -> Response:
    """The job's state for the page's progress bar; the file then reads through the media route."""
    session = _session(request)
    if session is None:
        return JSONResponse({"detail": "sign in", "code": "unauthorized"}, status_code=401)
    try:
        row = exports.job(_ctx(request).db, job_id, session.who)
    except NotFound as exc:
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=404)
    keys = ("id", "call_id", "status", "progress", "sha256", "size", "error")
    return JSONResponse({k: row[k] for k in keys}, headers={"Cache-Control": "no-store"})


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
    session = _session(request)
    if session is None:
        return _to_login(request)
    w = words(_lang(request))
    if not session.who.sees_all:
        return _error(request, session, 403, "forbidden_text")
    ctx = _ctx(request)
    zone = _zone(ctx)
    today = datetime.now(zone).date()
    fortnight = (today - timedelta(days=13)).isoformat()
    q = {
        "from": request.query_params.get("from", "")[:10] or fortnight,
        "to": request.query_params.get("to", "")[:10] or today.isoformat(),
        "group": request.query_params.get("group", "day"),
    }
    if q["group"] not in ("day", "agent", "queue"):
        q["group"] = "day"
    from_us = _day_us(q["from"], zone, end=False)
    to_us = _day_us(q["to"], zone, end=True)
    error, rows = "", []
    if from_us is None or to_us is None:
        error = w["bad_dates"]
    else:
        offset = datetime.fromtimestamp(from_us / 1e6, zone).utcoffset()
        query = reports.ReportQuery(
            from_us=from_us,
            to_us=to_us + 1,
            group=(q["group"],),
            tz_offset_min=int(offset.total_seconds() // 60) if offset else 0,
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
    return _render(
        request,
        "reports.html",
        session,
        q=q,
        rows=rows,
        columns=REPORT_COLUMNS,
        error=error,
        chart_json=json.dumps(chart).replace("</", ""),
    )


@router.get("/audit")
def audit_page(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    if session.who.role is not Role.admin:
        return _error(request, session, 403, "forbidden_text")
    q = {k: request.query_params.get(k, "")[:200] for k in ("actor", "action", "target")}
    rows = audit.search(
        _ctx(request).db,
        actor=q["actor"] or None,
        action=q["action"] or None,
        target=q["target"] or None,
        limit=200,
    )
    return _render(request, "audit.html", session, q=q, rows=rows)


@router.get("/board")
def board_page(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    w = words(_lang(request))
    try:
        board = presence.board(_ctx(request).db, session.who)
    except Forbidden:
        return _error(request, session, 403, "forbidden_text")
    states = {k[len("state_") :]: v for k, v in w.items() if k.startswith("state_")}
    board_words = json.dumps({"states": states, "zone": str(_zone(_ctx(request)))})
    return _render(
        request, "board.html", session, board=board, board_words=board_words.replace("</", "")
    )

"""The console's pages: sign-in and out, call search, the call with its player and scorecard,
the live board and the audit trail. Server-rendered HTML (Jinja2, autoescaped); the player is
one small script that reads media through the API's audited media routes with the session.

Every page needs a session (else a redirect to /login); every POST needs the session's CSRF
token (form field `csrf`) and, when the browser names one, an Origin of this site.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from store import calls, exports, qa, search, sessions
from store.errors import Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from store.models import EvaluationIn
from store.sessions import SESSION_COOKIE, Session
from store.transcripts import search as transcript_search
from store.web.i18n import JS_KEYS, LANG_COOKIE, LANGS, mark_label, words
from store.web.render import (
    PAGE,
    address_of,
    ctx_of,
    day_us,
    error_page,
    first,
    lang_of,
    own_form,
    read_form,
    render,
    safe_next,
    same_origin,
    session_of,
    set_cookie,
    to_login,
    zone_of,
)

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/calls", status_code=303)


@router.get("/lang/{code}")
def switch_lang(request: Request, code: str, next: str = "/calls") -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGS:
        set_cookie(request, response, LANG_COOKIE, code, 365 * 86400)
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/calls") -> Response:
    session = session_of(request)
    if session is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", None, next=safe_next(next), error="", name="")


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    name, password = first(form, "name"), first(form, "password")
    target = safe_next(first(form, "next"))
    w = words(lang_of(request))
    if not same_origin(request):
        return render(request, "login.html", None, 403, next=target, error=w["forbidden"], name="")
    ctx = ctx_of(request)
    try:
        token, session = await run_in_threadpool(
            sessions.sign_in, ctx.db, name, password, address_of(request)
        )
    except TooManyRequests as exc:
        page = render(
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
        return render(request, "login.html", None, 401, next=target, error=error, name=name)
    response = RedirectResponse(target, status_code=303)
    age = max(1, (session.expires_us - sessions.now_us()) // 1_000_000)
    set_cookie(request, response, SESSION_COOKIE, token, int(age))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    session = session_of(request)
    if session is not None and not own_form(request, session, form):
        return error_page(request, session, 403, "csrf_failed")
    sessions.sign_out(ctx_of(request).db, request.cookies.get(SESSION_COOKIE))
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
    "phrase",
    "side",
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


def _flag(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@router.get("/calls")
def calls_page(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return to_login(request)
    ctx = ctx_of(request)
    q = {k: request.query_params.get(k, "")[:100] for k in _FILTERS}
    zone = zone_of(ctx)
    karma = _number(q["karma"], int)
    f = search.CallFilter(
        agent=q["agent"] or None if session.who.sees_all else None,
        from_us=day_us(q["from"], zone, end=False),
        to_us=day_us(q["to"], zone, end=True),
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
    if q["phrase"].strip():  # calls in which it was said, newest first, with where
        side = q["side"] if q["side"] in ("operator", "customer") else None
        found = transcript_search.search(ctx.db, q["phrase"], side, f, session.who, PAGE, offset)
        total, items = found
    else:
        total, items = search.search(ctx.db, f, session.who, PAGE, offset, sort, order)  # type: ignore[arg-type]
    base = {k: v for k, v in q.items() if v}

    def page_link(at: int) -> str:
        return "/calls?" + urlencode({**base, "offset": at})

    return render(
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
    ctx = ctx_of(request)
    w = words(lang_of(request))
    try:
        call = calls.get(ctx.db, call_id, session.who)
    except NotFound:
        return error_page(request, session, 404, "not_found_text")
    evaluations = qa.evaluations(ctx.db, call_id, session.who)
    forms = qa.list_forms(ctx.db)
    can_score = session.who.role in qa.EVALUATORS
    player = {
        "call": call,
        "media_base": "/api/v1/media/",
        "words": {k: w[k] for k in JS_KEYS},
        "focus": _focus(request),
    }
    marks = []
    for kind, at, label in _marks(call):
        if kind in ("pause", "resume") and label:
            label = ", ".join(w.get(f"reason_{r}", r) for r in label.split(", "))
        marks.append({"kind": kind, "at_us": at, "label": label, "name": mark_label(kind, w)})
    return render(
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


def _focus(request: Request) -> dict[str, Any] | None:
    """Where a phrase-search hit opens the call (`?at=UTC µs&side=…&phrase=…`), or None."""
    at = _number(request.query_params.get("at", ""), int)
    if at is None or at < 0:
        return None
    side = request.query_params.get("side", "")
    return {
        "at_us": at,
        "side": side if side in ("operator", "customer") else None,
        "phrase": request.query_params.get("phrase", "")[:200],
    }


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
    session = session_of(request)
    if session is None:
        return to_login(request)
    return _call_page(request, session, call_id[:200])


async def _posted(request: Request) -> tuple[Session, dict[str, list[str]]] | Response:
    """A signed-in user's form that passed the same-site and CSRF checks, else the answer to
    give instead (the sign-in page, or 403)."""
    session = session_of(request)
    if session is None:
        return to_login(request)
    form = await read_form(request)
    if not own_form(request, session, form):
        return error_page(request, session, 403, "csrf_failed")
    return session, form


@router.post("/calls/{call_id}/evaluations")
async def evaluate(request: Request, call_id: str) -> Response:
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    session, form = posted
    call_id = call_id[:200]
    try:
        form_id = int(first(form, "form_id") or 0)
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
                "summary": first(form, "summary"),
            }
        )
        ctx = ctx_of(request)
        await run_in_threadpool(qa.evaluate, ctx.db, call_id, body, session.who)
    except (ValueError, ValidationError, Invalid) as exc:
        message = exc.message if isinstance(exc, Invalid) else str(exc).splitlines()[0]
        return _call_page(request, session, call_id, 422, score_error=message)
    except Forbidden:
        return error_page(request, session, 403, "forbidden_text")
    except NotFound:
        return error_page(request, session, 404, "not_found_text")
    return RedirectResponse(f"/calls/{call_id}?saved=1#evaluations", status_code=303)


@router.post("/calls/{call_id}/exports")
async def export_call(request: Request, call_id: str) -> Response:
    """Queue an MP4 export of the call (audited); the call page then shows its progress."""
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    session, _form = posted  # only the CSRF check needs it
    call_id = call_id[:200]
    try:
        db = ctx_of(request).db
        row = await run_in_threadpool(exports.request_export, db, call_id, session.who)
    except NotFound:
        return error_page(request, session, 404, "not_found_text")
    except Invalid as exc:
        return _call_page(request, session, call_id, 422, export_error=exc.message)
    return RedirectResponse(f"/calls/{call_id}?export={row['id']}#export", status_code=303)


@router.get("/exports/{job_id}.json")
def export_status(request: Request, job_id: int) -> Response:
    """The job's state for the page's progress bar; the file then reads through the media route."""
    session = session_of(request)
    if session is None:
        return JSONResponse({"detail": "sign in", "code": "unauthorized"}, status_code=401)
    try:
        row = exports.job(ctx_of(request).db, job_id, session.who)
    except NotFound as exc:
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=404)
    keys = ("id", "call_id", "status", "progress", "sha256", "size", "error")
    return JSONResponse({k: row[k] for k in keys}, headers={"Cache-Control": "no-store"})

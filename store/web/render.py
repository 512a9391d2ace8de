"""What every console page shares: rendering a template in the user's language with the
page's security headers, the session from its cookie, the same-site and CSRF checks of a
form, the error page and the cookies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from store import sessions
from store.api.deps import Context
from store.errors import Invalid
from store.sessions import SESSION_COOKIE, Session
from store.web.i18n import LANG_COOKIE, pick_lang, words

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


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def address_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def lang_of(request: Request) -> str:
    return pick_lang(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def zone_of(ctx: Context) -> ZoneInfo:
    try:
        return ZoneInfo(ctx.settings.report_tz)
    except Exception:
        return ZoneInfo("UTC")


def render(
    request: Request,
    template: str,
    session: Session | None,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    zone = zone_of(ctx_of(request))

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


def session_of(request: Request) -> Session | None:
    return sessions.session_of(ctx_of(request).db, request.cookies.get(SESSION_COOKIE))


def supervisor_of(request: Request) -> Session | Response:
    """The session of a user who sees all calls (qa, supervisors, admins), else the answer to
    give instead (the sign-in page, or 403)."""
    session = session_of(request)
    if session is None:
        return to_login(request)
    if not session.who.sees_all:
        return error_page(request, session, 403, "forbidden_text")
    return session


def to_login(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": here}), status_code=303)


def safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no host, no `//`)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/calls"
    parts = urlsplit(value)
    return "/calls" if parts.scheme or parts.netloc else value


async def read_form(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM:
        raise Invalid("form too large")
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=500)


def same_origin(request: Request) -> bool:
    """A POST from another site is refused whatever it carries (SameSite=Strict keeps the
    cookie away anyway; the Origin check also covers the sign-in form, which has no session)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def first(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[0]


def own_form(request: Request, session: Session, form: dict[str, list[str]]) -> bool:
    """Whether the form was posted from this site with the session's CSRF token."""
    return same_origin(request) and sessions.csrf_ok(session, first(form, "csrf"))


def error_page(request: Request, session: Session | None, status: int, text: str) -> Response:
    """The error page of a 403 or 404, its text the words' entry ``text``."""
    w = words(lang_of(request))
    title = w["forbidden"] if status == 403 else w["not_found"]
    return render(request, "error.html", session, status, title=title, text=w[text])


def set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def day_us(value: str, zone: ZoneInfo, end: bool) -> int | None:
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

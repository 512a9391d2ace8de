"""What every route needs: the server's context (database, blobs, settings) and the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from store.blobs import BlobStore
from store.db import Database
from store.errors import Forbidden, Unauthorized
from store.limits import UploadSlots
from store.models import CALL_ID_PATTERN, SHA256_PATTERN, Role
from store.sessions import SESSION_COOKIE, principal_of_cookie
from store.settings import Settings
from store.users import Principal, TokenCache, authenticate


@dataclass
class Context:
    db: Database
    blobs: BlobStore
    settings: Settings
    uploads: UploadSlots
    tokens: TokenCache = field(default_factory=TokenCache)


def _context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def context(request: Request) -> Context:
    """Async on purpose: FastAPI runs plain-def dependencies in the thread pool."""
    return _context(request)


_bearer = HTTPBearer(auto_error=False, description="a token from `agentdesk-store token issue`")


async def principal(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    ctx = _context(request)
    if creds is None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie is None:
            raise Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
        who = await run_in_threadpool(
            principal_of_cookie,
            *(ctx.db, cookie, request.method, request.headers.get("x-csrf-token")),
        )
        return _pbx_only_where_allowed(request, who)
    token = creds.credentials
    cached = ctx.tokens.get(token)
    if cached is not None:
        return _pbx_only_where_allowed(request, cached)
    who, expires = await run_in_threadpool(authenticate, ctx.db, token)
    ctx.tokens.put(token, who, expires)
    return _pbx_only_where_allowed(request, who)


PBX_ROUTES = ("/pbx/queue-events", "/routing-hint", "/me")  # each route's path template


def _pbx_only_where_allowed(request: Request, who: Principal) -> Principal:
    """A `pbx` token sends queue events and asks routing hints; every other route refuses it."""
    if who.role is Role.pbx:
        route = getattr(request.scope.get("route"), "path", "")
        if not route.endswith(PBX_ROUTES) or "{" in route:
            raise Forbidden("role pbx may only send queue events and ask routing hints")
    return who


def require(*roles: Role) -> Any:
    """A dependency letting only the given roles through (403 for the others)."""

    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role {who.role.value} may not do this (allowed: {allowed})")
        return who

    return Depends(check)


Ctx = Annotated[Context, Depends(context)]
Who = Annotated[Principal, Depends(principal)]
Sha = Annotated[str, Path(pattern=SHA256_PATTERN, description="lowercase hex SHA-256")]
CallId = Annotated[str, Path(pattern=CALL_ID_PATTERN, description="the client's call id")]

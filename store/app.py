"""The composition root of the HTTP service: builds the FastAPI app from settings, mounts the
routers under /api/v1 and turns every refusal into a 4xx JSON body {"detail", "code"}."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from store import live, monitoring, web
from store.api import (
    admin,
    calls,
    media,
    outbound,
    people,
    policy,
    queues,
    reports,
    screen,
    transcripts,
)
from store.api import live as live_api
from store.api import monitoring as monitoring_api
from store.api.deps import Context
from store.blobs import BlobError
from store.db import DatabaseError, IntegrityError
from store.errors import BadRange, StoreProblem, TooManyRequests, Unauthorized
from store.exports import ExportWorker
from store.limits import BodyTimeoutMiddleware, UploadSlots
from store.media import sweep_temp
from store.migrations import LATEST, current_version
from store.outbound.claims import CallbackWatch
from store.pbx import announce
from store.settings import Settings
from store.users import now_us

API_PREFIX = "/api/v1"
log = logging.getLogger("store")


def _version() -> str:
    try:
        return version("agentdesk")
    except PackageNotFoundError:
        return "0"


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


def _methods_of(request: Request) -> list[str]:
    """Every method the routes matching this path answer."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


def _problem(status: int, detail: str, code: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(StoreProblem)
    async def store_problem(request: Request, exc: StoreProblem) -> JSONResponse:
        headers: dict[str, str] = {}
        if isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, BadRange):
            headers["Content-Range"] = f"bytes */{exc.size}"
        if isinstance(exc, TooManyRequests):  # close: the unread body would keep it busy
            headers.update({"Retry-After": str(exc.retry_after_s), "Connection": "close"})
        return _problem(exc.status, exc.message, exc.code, **headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()[:20]
        ]
        body = {"detail": _validation_message(exc), "code": "invalid", "errors": errors}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's own refusals (an unparsable body, an unknown path) in the store's shape
        code = _HTTP_CODES.get(exc.status_code, "bad_request")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first route's methods
            headers["Allow"] = ", ".join(_methods_of(request))
        return _problem(exc.status_code, str(exc.detail), code, **headers)

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error on %s: %s", request.url.path, exc)
        return _problem(409, "the request conflicts with stored data", "conflict")

    @app.exception_handler(DatabaseError)
    async def database(request: Request, exc: DatabaseError) -> JSONResponse:
        log.error("database error on %s: %s", request.url.path, exc)
        return _problem(503, "the metadata database is unavailable", "unavailable")

    @app.exception_handler(BlobError)
    async def blobs(request: Request, exc: BlobError) -> JSONResponse:
        log.error("media storage error on %s: %s", request.url.path, exc)
        return _problem(503, "media storage is unavailable", "unavailable")


SETTINGS_ENV = "AGENTDESK_STORE_SETTINGS"


def create_app_from_env() -> FastAPI:
    """The app factory uvicorn's worker processes call (`serve --workers N`)."""
    return create_app(Settings.from_json(os.environ[SETTINGS_ENV]))


def create_app(settings: Settings) -> FastAPI:
    """The app for these settings. The database must be migrated (`serve` does it)."""
    db = settings.open_db()
    found = current_version(db)
    if found != LATEST:
        raise RuntimeError(
            f"database schema is at version {found}, this server needs {LATEST}: "
            "run `agentdesk-store migrate`"
        )
    blobs = settings.open_blobs()
    callbacks = CallbackWatch(db, now_us())

    def housekeeping() -> None:
        monitoring.expire_due(db)
        callbacks.look(now_us())  # callbacks whose time came go to their operator
        announce.flush_pending(db)  # queue changes coalesced within the last moment

    hub = live.Hub(
        db,
        housekeeping=housekeeping,
        snapshot=lambda user: monitoring.open_for(db, user),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sweep_temp(settings.tmp_dir)
        exporter = ExportWorker(db, blobs, settings.tmp_dir)  # MP4 export jobs
        exporter.start()
        hub.start()
        live.end_streams_on_exit(hub)
        yield
        hub.stop()
        exporter.stop()
        db.close()

    app = FastAPI(
        title="AgentDesk store",
        version=_version(),
        description="Calls, media, agent states and QA of AgentDesk. Times are UTC µs.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    slots = UploadSlots(settings.uploads_per_token, settings.uploads_per_address)
    app.state.ctx = Context(db=db, blobs=blobs, settings=settings, uploads=slots)
    app.state.live = hub
    app.add_middleware(BodyTimeoutMiddleware, timeout_s=settings.body_timeout_s)
    _install_handlers(app)
    routers = (admin, calls, media, outbound, people, policy, queues, reports, screen, transcripts)
    for module in (*routers, monitoring_api, live_api):
        app.include_router(module.router, prefix=API_PREFIX)
    web.mount(app)  # the web console on the same origin
    return app

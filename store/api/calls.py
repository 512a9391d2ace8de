"""Call routes: create/replace/patch, read, search, media links, export and evaluations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from store import audit, calls, qa, search
from store.api.call_filter import CallFilterQuery
from store.api.deps import CallId, Ctx, Sha, Who
from store.api.problems import BODY, COMMON, problems
from store.models import (
    CallFields,
    CallIn,
    CallOut,
    CallPage,
    EvaluationIn,
    EvaluationOut,
    ExportNote,
    LinkedMedia,
    MediaLink,
)

router = APIRouter(prefix="/calls", tags=["calls"], responses=COMMON)


class CallExport(BaseModel):
    call: CallOut
    evaluations: list[EvaluationOut]


@router.put(
    "/{call_id}",
    response_model=CallOut,
    status_code=201,
    responses={
        200: {"model": CallOut, "description": "replaced an existing call"},
        **problems(*BODY, 403, 404, 409),
    },
    summary="Create or replace a call (idempotent)",
)
def put_call(call_id: CallId, body: CallIn, ctx: Ctx, who: Who) -> JSONResponse:
    created = calls.put(ctx.db, call_id, body, who)
    out = CallOut.model_validate(calls.get(ctx.db, call_id, who))
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if created else 200)


@router.patch(
    "/{call_id}",
    response_model=CallOut,
    responses=problems(*BODY, 403, 404),
    summary="Update some fields of a call",
)
def patch_call(call_id: CallId, body: CallFields, ctx: Ctx, who: Who) -> dict[str, Any]:
    calls.patch(ctx.db, call_id, body, who)
    return calls.get(ctx.db, call_id, who)


@router.get(
    "/{call_id}",
    response_model=CallOut,
    responses=problems(404),
    summary="A call with its media links",
)
def get_call(call_id: CallId, ctx: Ctx, who: Who) -> dict[str, Any]:
    return calls.get(ctx.db, call_id, who)


@router.get(
    "",
    response_model=CallPage,
    responses=problems(403),
    summary="Search calls (agents: their own only)",
)
def search_calls(
    ctx: Ctx,
    who: Who,
    f: CallFilterQuery,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    sort: search.Sort = "started",
    order: Literal["asc", "desc"] = "desc",
) -> dict[str, Any]:
    total, items = search.search(ctx.db, f, who, limit, offset, sort, order)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.put(
    "/{call_id}/media/{sha256}",
    response_model=LinkedMedia,
    status_code=201,
    responses={
        200: {"model": LinkedMedia, "description": "the link existed; updated"},
        **problems(*BODY, 403, 404),
    },
    summary="Link an uploaded segment to a call",
)
def link_media(call_id: CallId, sha256: Sha, body: MediaLink, ctx: Ctx, who: Who) -> JSONResponse:
    created = calls.link_media(ctx.db, call_id, sha256, body, who)
    linked = next(m for m in calls.get(ctx.db, call_id, who)["media"] if m["sha256"] == sha256)
    out = LinkedMedia.model_validate(linked)
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if created else 200)


@router.get(
    "/{call_id}/export",
    response_model=CallExport,
    responses=problems(404),
    summary="Everything about a call in one document (audited)",
)
def export_call(call_id: CallId, ctx: Ctx, who: Who) -> dict[str, Any]:
    call = calls.get(ctx.db, call_id, who)
    audit.record(ctx.db, who, "call.export", call_id)
    return {"call": call, "evaluations": qa.evaluations(ctx.db, call_id, who)}


class ExportLogged(BaseModel):
    call_id: str
    action: str
    detail: str


@router.post(
    "/{call_id}/exports",
    response_model=ExportLogged,
    status_code=201,
    responses=problems(*BODY, 404),
    summary="Record that a reader exported the call's media (an MP4); audited",
)
def log_export(call_id: CallId, body: ExportNote, ctx: Ctx, who: Who) -> dict[str, Any]:
    calls.visible_call(ctx.db, call_id, who, "id")
    detail = f"{body.file_name} sha256={body.sha256} watermark={body.watermark!r}"
    audit.record(ctx.db, who, "call.export_mp4", call_id, detail)
    return {"call_id": call_id, "action": "call.export_mp4", "detail": detail}


@router.post(
    "/{call_id}/evaluations",
    response_model=EvaluationOut,
    status_code=201,
    responses=problems(*BODY, 403, 404, 409),
    summary="Evaluate a call against a scorecard form (qa, supervisor, admin; audited)",
)
def evaluate(call_id: CallId, body: EvaluationIn, ctx: Ctx, who: Who) -> dict[str, Any]:
    return qa.evaluate(ctx.db, call_id, body, who)


@router.get(
    "/{call_id}/evaluations",
    response_model=list[EvaluationOut],
    responses=problems(404),
    summary="A call's evaluations (its own agent may read them)",
)
def list_evaluations(call_id: CallId, ctx: Ctx, who: Who) -> list[dict[str, Any]]:
    return qa.evaluations(ctx.db, call_id, who)

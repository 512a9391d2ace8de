"""Media routes: verified upload, Range download, info, presigned URLs. Every read is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from store import audit, media
from store.api.deps import Ctx, Sha, Who, require
from store.api.problems import BODY, COMMON, problems
from store.blobs import StagedBlobError
from store.errors import Invalid, NotFound
from store.models import Commit, ContentType, MediaInfo, MediaOut, MediaUrl, Role
from store.users import Principal

router = APIRouter(prefix="/media", tags=["media"], responses=COMMON)
Uploader = Annotated[Principal, require(Role.agent, Role.supervisor, Role.admin)]

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_MEDIA_TYPES = {ct.value: _BINARY for ct in ContentType}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "the media bytes; their SHA-256 must equal the one in the URL",
        "content": _MEDIA_TYPES,
    }
}


def _stored(sha256: str, size: int, content_type: str, created: bool) -> JSONResponse:
    body = {"sha256": sha256, "size": size, "content_type": content_type, "created": created}
    return JSONResponse(body, status_code=201 if created else 200)


@router.put(
    "/{sha256}",
    response_model=MediaOut,
    status_code=201,
    responses={
        200: {"model": MediaOut, "description": "already stored (idempotent)"},
        **problems(403, 408, 413, 415, 429),
    },
    openapi_extra=UPLOAD_BODY,
    summary="Upload media under its SHA-256",
)
async def upload(sha256: Sha, request: Request, ctx: Ctx, who: Uploader) -> JSONResponse:
    content_type = media.content_type_of(request.headers.get("content-type"))
    settings = ctx.settings
    token = request.headers.get("authorization", "")
    with ctx.uploads.hold(token, request.client.host if request.client else "unknown"):
        body = await media.receive(request, sha256, settings.tmp_dir, settings.max_upload_bytes)
        stored_type, created = await run_in_threadpool(
            media.store_verified,
            *(ctx.db, ctx.blobs, settings.tmp_dir, sha256, body, content_type, who),
        )
    return _stored(sha256, body.size, stored_type, created)


@router.get(
    "/{sha256}",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "the whole media",
            "content": _MEDIA_TYPES,
        },
        206: {"description": "the requested byte range"},
        **problems(404, 410, 416),
    },
    summary="Download media, whole or a byte range (audited)",
)
def download(
    sha256: Sha,
    ctx: Ctx,
    who: Who,
    range_: Annotated[str | None, Header(alias="range", max_length=200)] = None,
) -> StreamingResponse:
    row = media.readable(ctx.db, sha256, who)
    size = int(row["size"])
    span = media.parse_range(range_, size)
    start, end = span if span else (0, size - 1)
    audit.record(ctx.db, who, "media.read", sha256, f"bytes {start}-{end}/{size}")
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(max(0, end - start + 1)),
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, max-age=86400, immutable",
    }
    if span:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    try:
        body = ctx.blobs.read_range(sha256, start, end) if size else iter(())
    except FileNotFoundError:
        raise NotFound(f"media {sha256} is listed but its bytes are missing") from None
    return StreamingResponse(
        body, status_code=206 if span else 200, media_type=row["content_type"], headers=headers
    )


@router.get(
    "/{sha256}/info",
    response_model=MediaInfo,
    responses=problems(404, 410),
    summary="Size, type and linked calls",
)
def info(sha256: Sha, ctx: Ctx, who: Who) -> MediaInfo:
    row = media.readable(ctx.db, sha256, who)
    return MediaInfo(
        sha256=sha256,
        size=row["size"],
        content_type=row["content_type"],
        created_us=row["created_us"],
        deleted=False,
        calls=media.linked_calls(ctx.db, sha256, who),
    )


@router.get(
    "/{sha256}/url",
    response_model=MediaUrl,
    responses=problems(404, 410),
    summary="A presigned URL to fetch the media straight from object storage (audited)",
)
def download_url(sha256: Sha, ctx: Ctx, who: Who) -> MediaUrl:
    media.readable(ctx.db, sha256, who)
    expires = ctx.settings.presign_expires_s
    url = ctx.blobs.presign_get(sha256, expires)
    if url is not None:
        audit.record(ctx.db, who, "media.read", sha256, f"presigned url, {expires} s")
    return MediaUrl(url=url, expires_s=expires)


@router.post(
    "/{sha256}/upload-url",
    response_model=MediaUrl,
    responses=problems(403),
    summary="A presigned URL to PUT the media to object storage; then POST …/commit",
)
def upload_url(sha256: Sha, ctx: Ctx, who: Uploader) -> MediaUrl:
    expires = ctx.settings.presign_expires_s
    return MediaUrl(url=ctx.blobs.presign_put(sha256, expires), expires_s=expires)


@router.post(
    "/{sha256}/commit",
    response_model=MediaOut,
    status_code=201,
    responses={
        200: {"model": MediaOut, "description": "already stored (idempotent)"},
        **problems(*BODY, 403, 404),
    },
    summary="Verify and publish media uploaded through a presigned URL",
)
def commit(sha256: Sha, body: Commit, ctx: Ctx, who: Uploader) -> JSONResponse:
    content_type = body.content_type.value
    try:
        ctx.blobs.commit_presigned(sha256, content_type, ctx.settings.max_upload_bytes)
    except StagedBlobError as exc:
        raise Invalid(str(exc), "staged_upload") from None
    size = ctx.blobs.size(sha256)
    if size is None:
        raise NotFound(f"media {sha256} vanished after commit")
    created = media.record(ctx.db, sha256, size, content_type, who)
    return _stored(sha256, size, media.content_type_stored(ctx.db, sha256, content_type), created)

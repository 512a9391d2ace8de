"""Routes for who-am-I, health, QA forms, the audit trail and retention rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from store import audit, qa, retention, users
from store.api.deps import Ctx, Who, require
from store.api.problems import BODY, COMMON, problems
from store.db import Row
from store.migrations import current_version
from store.models import MAX_US, AuditRow, FormIn, FormOut, Health, Me, Role, RuleIn, RuleOut
from store.users import Principal

router = APIRouter()
Admin = Annotated[Principal, require(Role.admin)]
Id = Annotated[int, Path(ge=1, le=2**53)]
Filter = Annotated[str | None, Query(min_length=1, max_length=200)]


@router.get(
    "/health",
    response_model=Health,
    responses=problems(503),
    tags=["service"],
    summary="No token needed",
)
def health(ctx: Ctx) -> dict[str, Any]:
    return {
        "status": "ok",
        "schema_version": current_version(ctx.db),
        "database": ctx.db.dialect,
        "blobs": ctx.settings.describe_blobs(),
    }


@router.get(
    "/me",
    response_model=Me,
    responses=problems(401, 503),
    tags=["service"],
    summary="Who the token belongs to",
)
def me(ctx: Ctx, who: Who) -> dict[str, object]:
    return users.profile(ctx.db, who)


@router.post(
    "/qa/forms",
    response_model=FormOut,
    status_code=201,
    responses={**COMMON, **problems(*BODY, 403, 409)},
    tags=["qa"],
)
def create_form(body: FormIn, ctx: Ctx, who: Who) -> dict[str, Any]:
    return qa.create_form(ctx.db, body, who)


@router.get("/qa/forms", response_model=list[FormOut], responses=COMMON, tags=["qa"])
def list_forms(ctx: Ctx, who: Who) -> list[dict[str, Any]]:
    return qa.list_forms(ctx.db)


@router.get(
    "/qa/forms/{form_id}",
    response_model=FormOut,
    responses={**COMMON, **problems(404)},
    tags=["qa"],
)
def get_form(form_id: Id, ctx: Ctx, who: Who) -> dict[str, Any]:
    return qa.get_form(ctx.db, form_id)


@router.get(
    "/audit",
    response_model=list[AuditRow],
    responses={**COMMON, **problems(403)},
    tags=["admin"],
    summary="Newest first",
)
def audit_rows(
    ctx: Ctx,
    who: Admin,
    actor: Filter = None,
    action: Filter = None,
    target: Filter = None,
    since_us: Annotated[int | None, Query(ge=0, le=MAX_US)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[Row]:
    return audit.search(ctx.db, actor, action, target, since_us, limit)


@router.get(
    "/retention/rules",
    response_model=list[RuleOut],
    responses={**COMMON, **problems(403)},
    tags=["admin"],
)
def rules(ctx: Ctx, who: Admin) -> list[Row]:
    return retention.list_rules(ctx.db)


@router.post(
    "/retention/rules",
    response_model=RuleOut,
    status_code=201,
    responses={**COMMON, **problems(*BODY, 403)},
    tags=["admin"],
)
def add_rule(body: RuleIn, ctx: Ctx, who: Admin) -> Row:
    return retention.add_rule(ctx.db, body, who)


@router.delete(
    "/retention/rules/{rule_id}",
    status_code=204,
    responses={**COMMON, **problems(403, 404)},
    tags=["admin"],
)
def delete_rule(rule_id: Id, ctx: Ctx, who: Admin) -> Response:
    retention.delete_rule(ctx.db, rule_id, who)
    return Response(status_code=204)

"""Routes of the recording policy: every user reads what applies to them (with an ETag, so
desktops poll it cheaply), admins set it and read its versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from store import policy
from store.api.deps import Ctx, Who, require
from store.api.problems import BODY, COMMON, problems
from store.models import Role
from store.models.policy import PolicyDocument, PolicyOut, PolicyVersion
from store.users import Principal

router = APIRouter()
Admin = Annotated[Principal, require(Role.admin)]
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "unchanged since the ETag given in If-None-Match"}
}


def _answer(response: Response, tagged: tuple[dict[str, Any], str]) -> dict[str, Any]:
    answer, tag = tagged
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = "no-cache"
    return answer


@router.get(
    "/recording-policy",
    response_model=PolicyOut,
    responses={**COMMON, **_NOT_MODIFIED, **problems(403)},
    tags=["policy"],
    summary="The recording policy and what applies to the caller (ETag, If-None-Match)",
)
def get_policy(
    ctx: Ctx,
    who: Who,
    response: Response,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    tagged = policy.for_user(ctx.db, who)
    tag = tagged[1]
    if if_none_match is not None and tag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=304, headers={"ETag": tag, "Cache-Control": "no-cache"})
    return _answer(response, tagged)


@router.put(
    "/recording-policy",
    response_model=PolicyOut,
    responses={**COMMON, **problems(*BODY, 403, 409)},
    tags=["policy"],
    summary="A new version of the recording policy (audited)",
)
def put_policy(body: PolicyDocument, ctx: Ctx, who: Admin, response: Response) -> Any:
    policy.put(ctx.db, body, who)
    return _answer(response, policy.for_user(ctx.db, who))


@router.get(
    "/recording-policy/history",
    response_model=list[PolicyVersion],
    responses={**COMMON, **problems(403)},
    tags=["policy"],
    summary="Every version of the recording policy, newest first",
)
def policy_history(
    ctx: Ctx, who: Admin, limit: Annotated[int, Query(ge=1, le=policy.HISTORY_LIMIT)] = 100
) -> list[dict[str, Any]]:
    return policy.history(ctx.db, limit)

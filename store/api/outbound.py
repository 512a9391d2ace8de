"""Routes of outbound campaigns: supervisors make and watch campaigns, import contacts and keep
the do-not-call list; agents' desktops claim the next task, keep its lease, ask to dial and
report the outcome."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from store.api.deps import Ctx, require
from store.api.payloads import body_up_to, csv_answer
from store.api.problems import BODY, COMMON, problems
from store.errors import NotFound
from store.models import Role
from store.models.outbound import (
    Campaign,
    CampaignIn,
    CampaignPatch,
    ContactHistory,
    DncIn,
    ImportReport,
    OutcomeIn,
    OutcomeOut,
    Progress,
    Task,
)
from store.outbound import campaigns, claims, contacts_csv, dnc, progress
from store.users import Principal, now_us

router = APIRouter(prefix="/outbound", tags=["outbound"])
Boss = Annotated[Principal, require(Role.supervisor, Role.admin)]
Caller = Annotated[Principal, require(Role.agent, Role.supervisor)]
CampaignId = Annotated[int, Path(ge=1, le=2**62)]
ClaimId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
MAX_CSV_BYTES = 32 * 1024 * 1024
CSV = csv_answer("UTF-8 CSV")


@router.post(
    "/campaigns",
    response_model=Campaign,
    status_code=201,
    responses={**COMMON, **problems(*BODY, 403, 409)},
    summary="A new campaign",
)
def create_campaign(body: CampaignIn, ctx: Ctx, who: Boss) -> Campaign:
    return campaigns.create(ctx.db, body, who, now_us())


@router.get(
    "/campaigns",
    response_model=list[Campaign],
    responses={**COMMON, **problems(403)},
    summary="Every campaign",
)
def list_campaigns(ctx: Ctx, who: Boss) -> list[Campaign]:
    return campaigns.all_campaigns(ctx.db)


@router.patch(
    "/campaigns/{campaign_id}",
    response_model=Campaign,
    responses={**COMMON, **problems(*BODY, 403, 404)},
    summary="Pause, resume or change a campaign (audited)",
)
def change_campaign(campaign_id: CampaignId, body: CampaignPatch, ctx: Ctx, who: Boss) -> Campaign:
    return campaigns.change(ctx.db, campaign_id, who, now_us(), body.paused, body.settings)


@router.post(
    "/campaigns/{campaign_id}/contacts",
    response_model=ImportReport,
    responses={**COMMON, **problems(403, 404, 413)},
    summary="Contacts from a CSV body, all or none; bad rows named by line",
)
async def import_contacts(
    campaign_id: CampaignId,
    request: Request,
    ctx: Ctx,
    who: Boss,
    encoding: Annotated[str | None, Query(max_length=40)] = None,
    delimiter: Annotated[str | None, Query(max_length=4)] = None,
) -> ImportReport:
    data = await body_up_to(
        request, MAX_CSV_BYTES, f"a contact file is at most {MAX_CSV_BYTES // 2**20} MB"
    )

    def work() -> ImportReport:
        campaign = campaigns.get(ctx.db, campaign_id)
        done = contacts_csv.import_contacts(ctx.db, campaign, data, now_us(), encoding, delimiter)
        return ImportReport(
            imported=len(done.rows),
            encoding=done.encoding,
            delimiter=done.delimiter,
            columns=done.columns,
        )

    return await run_in_threadpool(work)


@router.get(
    "/campaigns/{campaign_id}/progress",
    response_model=Progress,
    responses={**COMMON, **problems(403, 404)},
    summary="A campaign's counts",
)
def campaign_progress(campaign_id: CampaignId, ctx: Ctx, who: Boss) -> Progress:
    return progress.progress(ctx.db, campaign_id, now_us())


@router.get(
    "/campaigns/{campaign_id}/contacts",
    responses={**COMMON, **problems(403, 404)},
    summary="A campaign's contacts with their status",
)
def campaign_contacts(
    campaign_id: CampaignId,
    ctx: Ctx,
    who: Boss,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    campaigns.get(ctx.db, campaign_id)
    return progress.contacts(ctx.db, campaign_id, limit, offset)


@router.get(
    "/campaigns/{campaign_id}/results.csv",
    response_class=Response,
    responses={**COMMON, **problems(403, 404), **CSV},
    summary="Every contact's status and last outcome as CSV",
)
def campaign_results(campaign_id: CampaignId, ctx: Ctx, who: Boss) -> Response:
    text = progress.results_csv(ctx.db, campaign_id)
    return Response(text.encode(), media_type="text/csv; charset=utf-8")


@router.get(
    "/contacts/{contact_id}",
    response_model=ContactHistory,
    responses={**COMMON, **problems(403, 404)},
    summary="A contact and every attempt made",
)
def contact_history(contact_id: CampaignId, ctx: Ctx, who: Boss) -> ContactHistory:
    return progress.history(ctx.db, contact_id)


@router.post(
    "/dnc", responses={**COMMON, **problems(*BODY, 403)}, summary="Numbers never to be dialled"
)
def add_dnc(body: DncIn, ctx: Ctx, who: Boss) -> dict[str, int]:
    return {"added": dnc.add(ctx.db, body.numbers, body.reason or "", who, now_us())}


@router.get("/dnc", responses={**COMMON, **problems(403)}, summary="The do-not-call list")
def list_dnc(ctx: Ctx, who: Boss) -> list[dict[str, Any]]:
    return dnc.entries(ctx.db)


@router.delete(
    "/dnc/{number}",
    status_code=204,
    responses={**COMMON, **problems(403, 404)},
    summary="A number off the do-not-call list",
)
def remove_dnc(
    number: Annotated[str, Path(pattern=r"^[^\x00-\x1f]{1,64}$")], ctx: Ctx, who: Boss
) -> Response:
    if not dnc.remove(ctx.db, number, who):
        raise NotFound(f"{number} is not on the do-not-call list")
    return Response(status_code=204)


@router.post(
    "/claims",
    response_model=Task | None,
    responses={**COMMON, **problems(403)},
    summary="The caller's next task (null when nothing is due)",
)
def claim_task(ctx: Ctx, who: Caller) -> Task | None:
    return claims.claim(ctx.db, who.name, now_us())


@router.post(
    "/claims/{claim_id}/heartbeat",
    responses={**COMMON, **problems(403, 409)},
    summary="Keep the task: its lease extended",
)
def heartbeat(claim_id: ClaimId, ctx: Ctx, who: Caller) -> dict[str, int]:
    return {"lease_until_us": claims.heartbeat(ctx.db, claim_id, who.name, now_us())}


@router.post(
    "/claims/{claim_id}/dial",
    responses={**COMMON, **problems(403, 409)},
    summary="May the task be dialled now (409 do_not_call: never)",
)
def dial(claim_id: ClaimId, ctx: Ctx, who: Caller) -> dict[str, int]:
    return {"attempts": claims.dial(ctx.db, claim_id, who.name, now_us())}


@router.post(
    "/claims/{claim_id}/outcome",
    response_model=OutcomeOut,
    responses={**COMMON, **problems(*BODY, 403, 409)},
    summary="The attempt's outcome; schedules the next by the campaign's rules",
)
def outcome(claim_id: ClaimId, body: OutcomeIn, ctx: Ctx, who: Caller) -> OutcomeOut:
    return claims.report(ctx.db, claim_id, who.name, body, now_us())


@router.delete(
    "/claims/{claim_id}",
    status_code=204,
    responses={**COMMON, **problems(403, 409)},
    summary="Give an undialled task back",
)
def release(claim_id: ClaimId, ctx: Ctx, who: Caller) -> Response:
    claims.release(ctx.db, claim_id, who.name, now_us())
    return Response(status_code=204)

"""Transcript routes: a call's transcript (with its job's state), phrase search, the jobs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from store import audit, calls
from store.api.call_filter import CallFilterQuery, TimeParam, no_nul
from store.api.deps import CallId, Ctx, Who, require
from store.api.payloads import csv_answer
from store.api.problems import BODY, COMMON, problems
from store.db import IntegrityError
from store.errors import Conflict, NotFound
from store.models import CallSummary, Role
from store.models.fields import clean_text
from store.transcripts import agreement, checks, jobs, records
from store.transcripts import search as transcript_search
from store.users import Principal, now_us

router = APIRouter(tags=["transcripts"], responses=COMMON)
Side = Literal["operator", "customer"]
Clean = AfterValidator(clean_text)  # no NUL, no lone surrogates: neither database stores them
JobStatus = Literal["queued", "running", "done", "failed"]


class TranscriptWord(BaseModel):
    start_us: int
    end_us: int
    text: str
    probability: float
    masked: str | None = None


class TranscriptSegment(BaseModel):
    side: Side
    start_us: int
    end_us: int
    language: str
    text: str
    words: list[TranscriptWord]


class TranscriptJob(BaseModel):
    call_id: str
    sha256: str
    status: JobStatus
    attempts: int
    last_error: str | None
    next_try_us: int
    worker: str | None
    claimed_us: int | None
    updated_us: int


class Evidence(BaseModel):
    side: Side
    start_us: int
    end_us: int
    text: str


class CheckResult(BaseModel):
    rule_id: int
    name: str
    kind: Literal["required", "forbidden"]
    side: Side | None
    phrase: str
    within_s: int | None
    passed: bool
    evidence: list[Evidence]


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S"), Clean]
    kind: Literal["required", "forbidden"]
    phrase: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\w"), Clean]
    side: Side | None = None
    within_s: int | None = Field(None, ge=1, le=86_400)
    queue: Annotated[str, Field(min_length=1, max_length=100), Clean] | None = None


class RuleOut(BaseModel):
    id: int
    name: str
    kind: Literal["required", "forbidden"]
    phrase: str
    side: Side | None
    within_s: int | None
    queue: str | None
    created_by: str
    created_us: int


class Transcript(BaseModel):
    call_id: str
    job: TranscriptJob
    language: str | None = None
    model: str | None = None
    audio_start_us: int | None = None
    duration_us: int | None = None
    masked: int = 0
    metrics: dict[str, float | int | None] | None = None
    checks: list[CheckResult] = []
    segments: list[TranscriptSegment] = []


class TranscriptHit(BaseModel):
    side: Side
    start_us: int
    end_us: int
    text: str


class TranscriptCall(CallSummary):
    hits: list[TranscriptHit]


class TranscriptPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[TranscriptCall]


@router.get(
    "/calls/{call_id}/transcript",
    response_model=Transcript,
    responses=problems(404),
    summary="A call's transcript (masked), talk metrics, automatic checks and the state of its "
    "job; audited",
)
def get_transcript(call_id: CallId, ctx: Ctx, who: Who) -> dict[str, Any]:
    calls.visible_call(ctx.db, call_id, who, "id")
    job = jobs.job_of(ctx.db, call_id)
    if job is None:
        raise NotFound(f"call {call_id!r} has no transcript (no audio yet?)")
    out: dict[str, Any] = {"call_id": call_id, "job": job}
    stored = records.load(ctx.db, call_id)
    if stored is not None:
        stored.pop("sha256", None)
        stored.pop("created_us", None)
        out.update(stored)
        audit.record(ctx.db, who, "transcript.read", call_id)
    return out


@router.get(
    "/transcripts/search",
    response_model=TranscriptPage,
    responses=problems(403),
    summary="Calls in which a phrase was said (by a side), with the call filters of /calls",
)
def search_transcripts(
    ctx: Ctx,
    who: Who,
    f: CallFilterQuery,
    phrase: Annotated[str, Query(min_length=1, max_length=200)],
    side: Side | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    no_nul(phrase)
    total, items = transcript_search.search(ctx.db, phrase, side, f, who, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get(
    "/transcripts/jobs",
    response_model=list[TranscriptJob],
    responses=problems(403),
    summary="Transcription jobs, latest first (failed ones with their last error)",
)
def list_jobs(
    ctx: Ctx,
    who: Annotated[Principal, require(Role.qa, Role.supervisor, Role.admin)],
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    return jobs.jobs(ctx.db, status, limit)


@router.post(
    "/transcripts/rules",
    response_model=RuleOut,
    status_code=201,
    responses=problems(*BODY, 403, 409),
    summary="An automatic check: a phrase required (by a side, within N s) or forbidden",
)
def add_rule(
    body: RuleIn, ctx: Ctx, who: Annotated[Principal, require(Role.admin)]
) -> JSONResponse:
    try:
        row = checks.add_rule(ctx.db, body.model_dump(), who.name, now_us())
    except IntegrityError:
        raise Conflict(f"a rule named {body.name!r} exists") from None
    return JSONResponse(RuleOut.model_validate(row).model_dump(mode="json"), status_code=201)


@router.get(
    "/transcripts/rules",
    response_model=list[RuleOut],
    summary="The automatic checks applied to new transcripts",
)
def list_rules(ctx: Ctx, who: Who) -> list[dict[str, Any]]:
    return checks.list_rules(ctx.db)


class QuestionAgreement(BaseModel):
    form_id: int
    form: str
    question: str
    label: str
    rule: str
    calls: int
    agreed: int
    agreement_pct: float | None
    both_yes: int
    both_no: int
    check_yes_qa_no: int
    check_no_qa_yes: int


class CheckAgreement(BaseModel):
    from_us: int | None
    to_us: int | None
    questions: list[QuestionAgreement]


@router.get(
    "/reports/check-agreement",
    response_model=CheckAgreement,
    responses={**csv_answer("csv"), **problems(403)},
    summary="Per scorecard question linked to an automatic check: how often the check agreed "
    "with QA's answer on the same calls, with the counts (qa, supervisor, admin)",
)
def check_agreement(
    ctx: Ctx,
    who: Annotated[Principal, require(Role.qa, Role.supervisor, Role.admin)],
    form_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    from_us: TimeParam = None,
    to_us: TimeParam = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """QA said yes at half the question's points or more; calls started in [from_us, to_us)."""
    rows = agreement.agreement(ctx.db, form_id, from_us, to_us)
    if format == "csv":
        return Response(agreement.to_csv(rows), media_type="text/csv; charset=utf-8")
    return {"from_us": from_us, "to_us": to_us, "questions": rows}

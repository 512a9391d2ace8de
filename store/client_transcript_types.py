"""Transcripts' JSON shapes, as TypedDicts for `store.client`: a call's transcript and its
job, phrase-search hits and pages, and how often the automatic checks agree with QA
(mirroring the store's pydantic models)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from store.client_types import CallSummary


class TranscriptWord(TypedDict):
    start_us: int
    end_us: int
    text: str  # empty when masked
    probability: float
    masked: NotRequired[str | None]  # why: card, digits or paused


class TranscriptSegment(TypedDict):
    side: Literal["operator", "customer"]
    start_us: int
    end_us: int
    language: str
    text: str
    words: list[TranscriptWord]


class TranscriptJob(TypedDict):
    call_id: str
    status: Literal["queued", "running", "done", "failed"]
    attempts: int
    last_error: str | None


class Transcript(TypedDict):
    call_id: str
    job: TranscriptJob
    language: NotRequired[str | None]
    segments: list[TranscriptSegment]
    checks: list[dict[str, Any]]
    metrics: NotRequired[dict[str, Any] | None]


class TranscriptHit(TypedDict):
    side: Literal["operator", "customer"]
    start_us: int
    end_us: int
    text: str


class TranscriptCall(CallSummary):
    hits: list[TranscriptHit]


class TranscriptPage(TypedDict):
    total: int
    limit: int
    offset: int
    items: list[TranscriptCall]


class QuestionAgreement(TypedDict):
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


class CheckAgreement(TypedDict):
    from_us: int | None
    to_us: int | None
    questions: list[QuestionAgreement]

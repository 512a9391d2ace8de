"""Service and admin bodies: health, retention rules, the audit trail, report tables."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from store.models.fields import Num, Short, Strict, Tag


class RuleIn(Strict):
    queue: Short | None = None
    tag: Tag | None = None
    days: Annotated[int, Num] = Field(ge=1, le=36_500)


class RuleOut(RuleIn):
    id: int
    created_by: str
    created_us: int


class AuditRow(BaseModel):
    id: int
    at_us: int
    actor: str
    action: str
    target: str
    detail: str


class Health(BaseModel):
    status: Literal["ok"]
    schema_version: int
    database: str
    blobs: str


class ReportRow(BaseModel):
    """One group of a report; every metric is defined in store/report_metrics.py (METRICS)."""

    model_config = ConfigDict(extra="allow")
    agent: str | None = None
    queue: str | None = None
    bucket_us: int | None = None


class Report(BaseModel):
    group: list[str]
    from_us: int
    to_us: int
    tz_offset_min: int
    source: str = Field(
        description="rollups, raw or rollups+raw: the per-day rollups or the raw rows (same sums)"
    )
    columns: list[str]
    rows: list[ReportRow]

"""Media bodies: an upload's result, media info, presigned URLs, a presigned upload's commit."""

from __future__ import annotations

from pydantic import BaseModel, Field

from store.models.fields import ContentType, Strict


class MediaOut(BaseModel):
    sha256: str
    size: int
    content_type: str
    created: bool = Field(description="true if stored now, false if it already existed")


class MediaInfo(BaseModel):
    sha256: str
    size: int
    content_type: str
    created_us: int
    deleted: bool
    calls: list[str]


class MediaUrl(BaseModel):
    url: str | None = Field(description="null: the store serves media itself (no presigning)")
    expires_s: int


class Commit(Strict):
    content_type: ContentType

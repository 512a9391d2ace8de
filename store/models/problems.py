"""Error bodies: every refusal is {"detail", "code"}; a 422 adds the fields at fault."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """Any 4xx/5xx answer of the store."""

    detail: str = Field(description="what went wrong, for humans")
    code: str = Field(description="a machine code, e.g. not_found, hash_mismatch, unknown_media")


class FieldProblem(BaseModel):
    loc: list[str] = Field(description="where: body/query/path/header, then the field's path")
    msg: str


class ValidationProblem(Problem):
    """422: the request breaks the schema (`errors` names each field) or a rule of the store
    that no schema states (`errors` is then absent), e.g. a body whose SHA-256 differs from the
    URL's."""

    errors: list[FieldProblem] | None = Field(None, description="the fields at fault")

"""QA bodies: scorecard forms and their criteria, evaluations with comments."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from store.models.fields import ONLY_KEYS, Key, Long, Num, Short, Strict, clean_text


class Criterion(Strict):
    key: Key
    label: Short
    max_score: Annotated[int, Num] = Field(ge=1, le=100)
    weight: Annotated[float, Num] = Field(1.0, ge=0, le=100)
    rule: Short | None = Field(
        None,
        description="the automatic check (a transcript rule's name) that answers this "
        "question too: its agreement with QA's answers is reported (/reports/check-agreement)",
    )


class FormIn(Strict):
    name: Short
    criteria: list[Criterion] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _unique_keys(self) -> Self:
        keys = [c.key for c in self.criteria]
        if len(set(keys)) != len(keys):
            raise ValueError("criterion keys must be unique")
        if not any(c.weight for c in self.criteria):
            raise ValueError("at least one criterion needs a weight above 0")
        return self


class FormOut(FormIn):
    id: int
    created_by: str
    created_us: int


class Comment(Strict):
    position_ms: Annotated[int, Num] = Field(ge=0, le=86_400_000, description="playback position")
    text: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(clean_text)]


class EvaluationIn(Strict):
    form_id: Annotated[int, Num] = Field(ge=1, le=2**53)
    scores: dict[Key, Annotated[int, Field(ge=0, le=100), Num]] = Field(
        max_length=50, json_schema_extra=ONLY_KEYS
    )
    comments: list[Comment] = Field(default_factory=list, max_length=200)
    summary: Long = ""


class EvaluationOut(EvaluationIn):
    id: int
    call_id: str
    evaluator: str
    score_pct: float
    created_us: int

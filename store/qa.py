"""QA scorecard forms (defined by admins) and evaluations of calls with scores and comments
tied to playback positions. Every evaluation is audited."""

from __future__ import annotations

import json
from typing import Any

from store import audit, rollups
from store.calls import visible_call
from store.db import Database, IntegrityError, Row
from store.errors import Conflict, Forbidden, Invalid, NotFound
from store.models import EvaluationIn, FormIn, Role
from store.users import Principal, now_us

EVALUATORS = (Role.qa, Role.supervisor, Role.admin)


def _form(row: Row) -> dict[str, Any]:
    return {**row, "criteria": json.loads(row["criteria"])}


def create_form(db: Database, form: FormIn, who: Principal) -> dict[str, Any]:
    if who.role is not Role.admin:
        raise Forbidden("only admins define scorecard forms")
    named = sorted({c.rule for c in form.criteria if c.rule})
    if named:
        marks = ", ".join("?" for _ in named)
        known = {r["name"] for r in db.query(
            f"SELECT name FROM transcript_rules WHERE name IN ({marks})", named)}  # fmt: skip
        unknown = [n for n in named if n not in known]
        if unknown:
            raise Invalid(f"no automatic check named {', '.join(map(repr, unknown))}")
    criteria = json.dumps([c.model_dump() for c in form.criteria])
    try:
        row = db.one(
            "INSERT INTO qa_forms (name, criteria, created_by, created_us) VALUES (?, ?, ?, ?) "
            "RETURNING id, name, criteria, created_by, created_us",
            (form.name, criteria, who.name, now_us()),
        )
    except IntegrityError:
        raise Conflict(f"a form named {form.name!r} already exists") from None
    assert row is not None
    return _form(row)


def list_forms(db: Database) -> list[dict[str, Any]]:
    rows = db.query("SELECT id, name, criteria, created_by, created_us FROM qa_forms ORDER BY id")
    return [_form(r) for r in rows]


def get_form(db: Database, form_id: int) -> dict[str, Any]:
    row = db.one(
        "SELECT id, name, criteria, created_by, created_us FROM qa_forms WHERE id = ?", (form_id,)
    )
    if row is None:
        raise NotFound(f"no scorecard form {form_id}")
    return _form(row)


def _score_pct(criteria: list[dict[str, Any]], scores: dict[str, int]) -> float:
    unknown = sorted(set(scores) - {c["key"] for c in criteria})
    if unknown:
        raise Invalid(f"scores for criteria not in the form: {', '.join(unknown)}")
    missing = [c["key"] for c in criteria if c["key"] not in scores]
    if missing:
        raise Invalid(f"criteria not scored: {', '.join(missing)}")
    total = weights = 0.0
    for c in criteria:
        score = scores[c["key"]]
        if score > c["max_score"]:
            raise Invalid(f"score {score} for {c['key']!r} is above its maximum {c['max_score']}")
        total += c["weight"] * score / c["max_score"]
        weights += c["weight"]
    return round(100 * total / weights, 2)


def evaluate(db: Database, call_id: str, ev: EvaluationIn, who: Principal) -> dict[str, Any]:
    if who.role not in EVALUATORS:
        raise Forbidden("only qa, supervisors and admins evaluate calls")
    visible_call(db, call_id, who, "id")
    form = db.one("SELECT criteria FROM qa_forms WHERE id = ?", (ev.form_id,))
    if form is None:
        raise Invalid(f"no scorecard form {ev.form_id}")
    pct = _score_pct(json.loads(form["criteria"]), ev.scores)
    comments = json.dumps([c.model_dump() for c in ev.comments])
    with db.transaction():
        row = db.one(
            "INSERT INTO evaluations (call_id, form_id, evaluator, scores, comments, summary, "
            "score_pct, created_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id, created_us",
            (
                call_id,
                ev.form_id,
                who.name,
                json.dumps(ev.scores),
                comments,
                ev.summary,
                pct,
                now_us(),
            ),
        )
        assert row is not None
        db.execute("UPDATE calls SET evaluated = 1 WHERE id = ?", (call_id,))
        rollups.refresh_call(db, call_id)  # the QA averages of its day's reports
        audit.record(db, who, "evaluation.create", call_id, f"evaluation {row['id']}: {pct}%")
    return {
        **ev.model_dump(),
        "id": row["id"],
        "call_id": call_id,
        "evaluator": who.name,
        "score_pct": pct,
        "created_us": row["created_us"],
    }


def evaluations(db: Database, call_id: str, who: Principal) -> list[dict[str, Any]]:
    """A call's evaluations: its agent may read them (self-review), as may every other role."""
    visible_call(db, call_id, who, "id")
    rows = db.query(
        "SELECT id, call_id, form_id, evaluator, scores, comments, summary, score_pct, "
        "created_us FROM evaluations WHERE call_id = ? ORDER BY id",
        (call_id,),
    )
    return [
        {**r, "scores": json.loads(r["scores"]), "comments": json.loads(r["comments"])}
        for r in rows
    ]

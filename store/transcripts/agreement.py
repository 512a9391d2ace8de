"""How often the automatic checks agree with QA's answers, per scorecard question.

A scorecard question (a form's criterion) may name an automatic check (``rule``, a transcript
rule's name). On every call that has both a stored transcript with that check's result and an
evaluation with that form (the latest one per call, by id), the check's answer (``passed``) is
compared with QA's: QA said yes when the question got at least half its points (``2 × score ≥
max_score``). Per question: the calls compared, how many agreed and the rate (100 × agreed /
calls, two decimals), and the four cells (both yes, both no, check yes and QA no, check no and
QA yes). Calls may be limited to those started in [from_us, to_us).
"""

from __future__ import annotations

import json
from typing import Any

from store.db import Database
from store.report_formats import rows_csv

CELLS = ("both_yes", "both_no", "check_yes_qa_no", "check_no_qa_yes")
COLUMNS = ("form_id", "form", "question", "label", "rule", "calls", "agreed", "agreement_pct",
           *CELLS)  # fmt: skip


def qa_said_yes(score: int, max_score: int) -> bool:
    return 2 * score >= max_score


def _linked(db: Database, form_id: int | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(form, criterion) for every criterion that names a check."""
    where, params = ("WHERE id = ?", [form_id]) if form_id is not None else ("", [])
    out = []
    for form in db.query(f"SELECT id, name, criteria FROM qa_forms {where} ORDER BY id", params):
        for criterion in json.loads(form["criteria"]):
            if criterion.get("rule"):
                out.append(({"id": form["id"], "name": form["name"]}, criterion))
    return out


def _evaluated(
    db: Database, form_id: int, from_us: int | None, to_us: int | None
) -> list[tuple[dict[str, int], list[dict[str, Any]]]]:
    """(scores, check results) of each call with a transcript and an evaluation by the form,
    the latest evaluation per call."""
    where = ["e.form_id = ?"]
    params: list[Any] = [form_id]
    if from_us is not None:
        where.append("c.started_us >= ?")
        params.append(from_us)
    if to_us is not None:
        where.append("c.started_us < ?")
        params.append(to_us)
    rows = db.query(
        "SELECT e.scores, t.checks FROM evaluations e "
        "JOIN calls c ON c.id = e.call_id JOIN transcripts t ON t.call_id = e.call_id "
        f"WHERE {' AND '.join(where)} AND e.id = (SELECT MAX(l.id) FROM evaluations l "
        "WHERE l.call_id = e.call_id AND l.form_id = e.form_id)",
        params,
    )
    return [(json.loads(r["scores"]), json.loads(r["checks"])) for r in rows]


def agreement(
    db: Database, form_id: int | None = None, from_us: int | None = None, to_us: int | None = None
) -> list[dict[str, Any]]:
    """One row per linked question (forms by id, questions in form order), see COLUMNS."""
    out = []
    cache: dict[int, list[tuple[dict[str, int], list[dict[str, Any]]]]] = {}
    for form, criterion in _linked(db, form_id):
        if form["id"] not in cache:
            cache[form["id"]] = _evaluated(db, form["id"], from_us, to_us)
        cells = dict.fromkeys(CELLS, 0)
        for scores, results in cache[form["id"]]:
            check = next((r for r in results if r.get("name") == criterion["rule"]), None)
            if check is None or criterion["key"] not in scores:
                continue
            auto = bool(check["passed"])
            human = qa_said_yes(int(scores[criterion["key"]]), int(criterion["max_score"]))
            cell = ("both_yes" if human else "check_yes_qa_no") if auto else (
                "check_no_qa_yes" if human else "both_no")  # fmt: skip
            cells[cell] += 1
        calls = sum(cells.values())
        agreed = cells["both_yes"] + cells["both_no"]
        out.append({
            "form_id": form["id"], "form": form["name"], "question": criterion["key"],
            "label": criterion["label"], "rule": criterion["rule"], "calls": calls,
            "agreed": agreed,
            "agreement_pct": round(100 * agreed / calls, 2) if calls else None, **cells,
        })  # fmt: skip
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    return rows_csv(COLUMNS, rows)

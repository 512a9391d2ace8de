"""Automatic scorecard checks on a transcript, with evidence.

A rule (`transcript_rules`, made by an admin through the API) is ``required`` (the phrase must
be said — by a side if given, within ``within_s`` seconds of the call's answer (else its start)
if given) or ``forbidden`` (never said, by that side if given); ``queue`` limits it to one
queue's calls. A phrase matches words in a row, compared lower-case with ``ё`` as ``е`` and
punctuation dropped; masked words never match. Each result says whether the call passed and
gives the evidence: the side, the words' times (UTC µs) and the segment's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from store.db import Database, Row
from store.transcripts.masking import Segment

REQUIRED, FORBIDDEN = "required", "forbidden"
MAX_EVIDENCE = 5


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower().replace("ё", "е"))


def rules_for(db: Database, queue: str | None) -> list[Row]:
    return db.query(
        "SELECT id, name, kind, side, phrase, within_s, queue FROM transcript_rules "
        "WHERE queue IS NULL OR queue = ? ORDER BY id",
        (queue,),
    )


def _occurrences(rule: Row, segments: Sequence[Segment]) -> list[dict[str, Any]]:
    want = tokens(rule["phrase"])
    found: list[dict[str, Any]] = []
    if not want:
        return found
    for seg in segments:
        if rule["side"] and seg.side != rule["side"]:
            continue
        flat = [(t, w) for w in seg.words if not w.masked for t in tokens(w.text)]
        for i in range(len(flat) - len(want) + 1):
            if [t for t, _ in flat[i : i + len(want)]] == want:
                first, last = flat[i][1], flat[i + len(want) - 1][1]
                found.append(
                    {"side": seg.side, "start_us": first.start_us, "end_us": last.end_us,
                     "text": seg.text}
                )  # fmt: skip
    return found


def evaluate(rules: Sequence[Row], segments: Sequence[Segment], from_us: int) -> list[dict]:
    """One result per rule: ``passed`` and its ``evidence`` (where the phrase was said)."""
    results = []
    for rule in rules:
        hits = _occurrences(rule, segments)
        if rule["kind"] == REQUIRED:
            if rule["within_s"] is not None:
                limit = from_us + int(rule["within_s"]) * 1_000_000
                hits = [h for h in hits if h["start_us"] <= limit]
            passed = bool(hits)
        else:
            passed = not hits
        results.append(
            {"rule_id": rule["id"], "name": rule["name"], "kind": rule["kind"],
             "side": rule["side"], "phrase": rule["phrase"], "within_s": rule["within_s"],
             "passed": passed, "evidence": hits[:MAX_EVIDENCE]}
        )  # fmt: skip
    return results


def add_rule(db: Database, rule: dict[str, Any], who: str, now_us: int) -> Row:
    db.execute(
        "INSERT INTO transcript_rules (name, kind, side, phrase, within_s, queue, created_by, "
        "created_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (rule["name"], rule["kind"], rule.get("side"), rule["phrase"], rule.get("within_s"),
         rule.get("queue"), who, now_us),
    )  # fmt: skip
    row = db.one("SELECT * FROM transcript_rules WHERE name = ?", (rule["name"],))
    assert row is not None
    return row


def list_rules(db: Database) -> list[Row]:
    return db.query("SELECT * FROM transcript_rules ORDER BY id")

"""Phrase search over stored transcripts, by side, within the call filters of the calls
search (store/search.py) and who may see what.

SQLite: an FTS5 phrase query (``unicode61``: case and diacritics folded, no stemming).
PostgreSQL: the segment's tsvector (built in its language's configuration) against the phrase
as both a Russian and an English ``phraseto_tsquery``, so inflected forms match too.
"""

from __future__ import annotations

from typing import Any

from store.db import Database
from store.errors import Forbidden
from store.search import SUMMARY_COLUMNS, CallFilter, _where, summary
from store.users import Principal

MAX_HITS = 5


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _matching(db: Database, phrase: str, side: str | None) -> tuple[str, list[Any]]:
    """SQL selecting (segment id) rows that match, and its parameters."""
    side_sql = " AND s.side = ?" if side else ""
    extra = [side] if side else []
    if db.dialect == "postgresql":
        return (
            "SELECT s.id FROM transcript_segments s WHERE s.tsv @@ "
            "(phraseto_tsquery('russian', ?) || phraseto_tsquery('english', ?))" + side_sql,
            [phrase, phrase, *extra],
        )
    return (
        "SELECT f.rowid AS id FROM transcript_fts f JOIN transcript_segments s "
        "ON s.id = f.rowid WHERE transcript_fts MATCH ?" + side_sql,
        [_fts_phrase(phrase), *extra],
    )


def search(
    db: Database,
    phrase: str,
    side: str | None,
    f: CallFilter,
    who: Principal,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """(calls matching, one page of them, newest first, each with its matching segments)."""
    if not who.sees_all:
        if f.agent is not None and f.agent != who.name:
            raise Forbidden("agents can only search their own calls")
        f.agent = who.name
    phrase = "".join(ch if ch.isprintable() else " " for ch in phrase).strip()
    if not phrase:
        return 0, []
    where, params = _where(f)
    match_sql, match_params = _matching(db, phrase, side)
    hit_ids = {int(r["id"]) for r in db.query(match_sql, match_params)}
    if not hit_ids:
        return 0, []
    ids = sorted(hit_ids)
    marks = ", ".join("?" for _ in ids)
    segments = db.query(
        f"SELECT call_id, side, start_us, end_us, text FROM transcript_segments "
        f"WHERE id IN ({marks}) ORDER BY start_us",
        ids,
    )
    by_call: dict[str, list[dict[str, Any]]] = {}
    for seg in segments:
        by_call.setdefault(seg["call_id"], []).append(
            {k: seg[k] for k in ("side", "start_us", "end_us", "text")}
        )
    calls = list(by_call)
    call_marks = ", ".join("?" for _ in calls)
    cond = f"id IN ({call_marks})"
    where = f"{where} AND {cond}" if where else f" WHERE {cond}"
    rows = db.query(
        f"SELECT {SUMMARY_COLUMNS} FROM calls{where} ORDER BY started_us DESC, id DESC",
        [*params, *calls],
    )
    page = rows[offset : offset + limit]
    items = [{**summary(r), "hits": by_call[r["id"]][:MAX_HITS]} for r in page]
    return len(rows), items

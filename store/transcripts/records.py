"""Stored transcripts: written once per job in one transaction (segments, words, the search
index, metrics), read back for the API."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from store import rollups
from store.db import Database
from store.transcripts.masking import Segment
from store.transcripts.schema import PG_CONFIG, TALK_COLUMNS, TALK_FROM_METRICS


def save(
    db: Database,
    call_id: str,
    sha256: str,
    language: str,
    model: str,
    audio_start_us: int,
    duration_us: int,
    segments: Sequence[Segment],
    metrics: dict[str, Any],
    masked: int,
    now_us: int,
    checks: list[dict[str, Any]] | None = None,
) -> None:
    """Replaces the call's transcript (a retried job writes the same rows again), its talk
    figures also as columns (TALK_COLUMNS) and in the report rollups of the call's group."""
    talk = [_talk_value(metrics, TALK_FROM_METRICS[c]) for c in TALK_COLUMNS]
    with db.transaction():
        if db.dialect == "sqlite":
            db.execute("DELETE FROM transcript_fts WHERE call_id = ?", (call_id,))
        db.execute("DELETE FROM transcript_segments WHERE call_id = ?", (call_id,))
        db.execute("DELETE FROM transcripts WHERE call_id = ?", (call_id,))
        db.execute(
            "INSERT INTO transcripts (call_id, sha256, language, model, audio_start_us, "
            f"duration_us, metrics, masked, checks, created_us, {', '.join(TALK_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in range(10 + len(TALK_COLUMNS)))})",
            (call_id, sha256, language, model, audio_start_us, duration_us,
             json.dumps(metrics), masked, json.dumps(checks or [], ensure_ascii=False), now_us,
             *talk),
        )  # fmt: skip
        for seg in segments:
            words = json.dumps([w.to_json() for w in seg.words], ensure_ascii=False)
            values = (call_id, seg.side, seg.start_us, seg.end_us, seg.language, seg.text, words)
            if db.dialect == "postgresql":
                config = PG_CONFIG.get(seg.language, "simple")
                db.execute(
                    "INSERT INTO transcript_segments (call_id, side, start_us, end_us, language, "
                    "text, words, tsv) VALUES (?, ?, ?, ?, ?, ?, ?, to_tsvector(?::regconfig, ?))",
                    (*values, config, seg.text),
                )
            else:
                db.execute(
                    "INSERT INTO transcript_segments (call_id, side, start_us, end_us, language, "
                    "text, words) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    values,
                )
                db.execute(
                    "INSERT INTO transcript_fts (rowid, text, call_id, side) "
                    "VALUES (last_insert_rowid(), ?, ?, ?)",
                    (seg.text, call_id, seg.side),
                )
        rollups.refresh_call(db, call_id)


def _talk_value(metrics: dict[str, Any], key: str) -> int:
    """One talk column from the metrics: seconds (a key ending in _s) as µs, else a count."""
    value = metrics.get(key) or 0
    return round(value * 1_000_000) if key.endswith("_s") else int(value)


def load(db: Database, call_id: str) -> dict[str, Any] | None:
    row = db.one(
        "SELECT call_id, sha256, language, model, audio_start_us, duration_us, metrics, masked, "
        "checks, created_us FROM transcripts WHERE call_id = ?",
        (call_id,),
    )
    if row is None:
        return None
    segments = db.query(
        "SELECT side, start_us, end_us, language, text, words FROM transcript_segments "
        "WHERE call_id = ? ORDER BY start_us, side",
        (call_id,),
    )
    out = dict(row)
    out["metrics"] = json.loads(out["metrics"])
    out["checks"] = json.loads(out["checks"])
    out["masked"] = int(out["masked"])
    out["segments"] = [{**s, "words": json.loads(s["words"])} for s in segments]
    return out

"""The transcripts' tables (one migration, store/migrations.py) and the dialect-specific
full-text index: SQLite FTS5 beside the segments, PostgreSQL a tsvector column with a GIN
index, filled in each segment's language (russian or english configuration)."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE transcript_jobs (
    call_id TEXT PRIMARY KEY REFERENCES calls(id),
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_try_us {bigint} NOT NULL,
    worker TEXT,
    claimed_us {bigint},
    created_us {bigint} NOT NULL,
    updated_us {bigint} NOT NULL
);
CREATE INDEX transcript_jobs_due ON transcript_jobs (status, next_try_us);
CREATE TABLE transcripts (
    call_id TEXT PRIMARY KEY REFERENCES calls(id),
    sha256 TEXT NOT NULL,
    language TEXT NOT NULL,
    model TEXT NOT NULL,
    audio_start_us {bigint} NOT NULL,
    duration_us {bigint} NOT NULL,
    metrics TEXT NOT NULL,
    masked INTEGER NOT NULL DEFAULT 0,
    checks TEXT NOT NULL DEFAULT '[]',
    created_us {bigint} NOT NULL
);
CREATE TABLE transcript_segments (
    id {pk},
    call_id TEXT NOT NULL REFERENCES calls(id),
    side TEXT NOT NULL,
    start_us {bigint} NOT NULL,
    end_us {bigint} NOT NULL,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    words TEXT NOT NULL
);
CREATE INDEX transcript_segments_call ON transcript_segments (call_id, start_us);
CREATE TABLE transcript_rules (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    side TEXT,
    phrase TEXT NOT NULL,
    within_s INTEGER,
    queue TEXT,
    created_by TEXT NOT NULL,
    created_us {bigint} NOT NULL
);
CREATE TABLE transcript_languages (
    queue TEXT PRIMARY KEY,
    language TEXT NOT NULL
);
{transcript_search}
"""

# Filled into SCHEMA's {transcript_search} per dialect (store/migrations.py's _DIALECT).
SEARCH_INDEX = {
    "sqlite": (
        "CREATE VIRTUAL TABLE transcript_fts USING fts5(text, call_id UNINDEXED, "
        "side UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')"
    ),
    "postgresql": (
        "ALTER TABLE transcript_segments ADD COLUMN tsv tsvector;\n"
        "CREATE INDEX transcript_segments_tsv ON transcript_segments USING GIN (tsv)"
    ),
}

# Each language's PostgreSQL text-search configuration.
PG_CONFIG = {"ru": "russian", "en": "english"}

# Migration 20: each transcript's talk figures as integer columns the reports add up
# (store/report_sql.TRANSCRIPT_SUMS; records.save writes them from the metrics), filled for
# the transcripts stored before from their metrics JSON, by `{talk_backfill}`. Those had no
# silence time: it is taken as silence_share × duration (to 0.1 % of the audio).
TALK_COLUMNS = (
    "operator_talk_us",
    "customer_talk_us",
    "silence_us",
    "longest_silence_us",
    "overtalks",
    "overtalk_us",
    "operator_words",
)
# Each column from the metrics (a name ending in _s: seconds, stored as µs).
TALK_FROM_METRICS = {
    "operator_talk_us": "operator_talk_s",
    "customer_talk_us": "customer_talk_s",
    "silence_us": "silence_s",
    "longest_silence_us": "longest_silence_s",
    "overtalks": "overtalk_count",
    "overtalk_us": "overtalk_s",
    "operator_words": "operator_words",
}
TALK_SCHEMA = (
    ";\n".join(
        f"ALTER TABLE transcripts ADD COLUMN {c} {{bigint}} NOT NULL DEFAULT 0"
        for c in TALK_COLUMNS
    )
    + ";\n{talk_backfill}"
)


def _backfill(field: str) -> str:
    """An UPDATE of the talk columns from the metrics JSON; `field` gives the SQL of one
    of its numbers by key."""

    def us(key: str) -> str:
        return f"CAST(ROUND(COALESCE({field.format(key)}, 0) * 1000000) AS BIGINT)"

    values = {
        column: us(key)
        if key.endswith("_s")
        else f"CAST(COALESCE({field.format(key)}, 0) AS BIGINT)"
        for column, key in TALK_FROM_METRICS.items()
    }
    values["silence_us"] = (
        f"CAST(ROUND(COALESCE({field.format('silence_share')}, 0) * duration_us) AS BIGINT)"
    )
    return "UPDATE transcripts SET " + ", ".join(f"{c} = {v}" for c, v in values.items())


TALK_BACKFILL = {
    "sqlite": _backfill("json_extract(metrics, '$.{}')"),
    "postgresql": _backfill("CAST(CAST(metrics AS jsonb) ->> '{}' AS DOUBLE PRECISION)"),
}

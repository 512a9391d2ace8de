"""Indexes for searches over a centre's calls (migration 19), found with bench/search_filters.py
and EXPLAIN ANALYZE over 1,000,000 calls on PostgreSQL.

A search answers a page and the total; the total of a filter that no index serves scans
every call (PostgreSQL: ~300 ms for a million). These give the common all-time filters of
the console's search page an index for both the total and the newest-first page:

- `calls (karma, started_us)`: "karma -2, all time";
- `calls (evaluated, started_us)`: evaluated (or not) calls, all time;
- `calls (duration_us)`: "longest first" over every call (a top-N sort of all of them without);
- PostgreSQL: trigram indexes (`pg_trgm`, a trusted extension shipped with PostgreSQL, so
  the store's own database user may create it) on the dialog-card text and the tags, which
  `LIKE '%…%'` uses. SQLite has no such index: its searches over card text scan, which is
  fine at the sizes SQLite stores serve.
"""

from __future__ import annotations

SCHEMA = """
CREATE INDEX calls_karma_started ON calls (karma, started_us);
CREATE INDEX calls_evaluated_started ON calls (evaluated, started_us);
CREATE INDEX calls_duration ON calls (duration_us);
{calls_text_index}
"""

# `{calls_text_index}` in SCHEMA, per dialect (store/migrations.py fills it in).
TEXT_INDEX = {
    "sqlite": "",
    "postgresql": (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
        "CREATE INDEX calls_card_text_trgm ON calls USING GIN (card_text gin_trgm_ops);\n"
        "CREATE INDEX calls_tags_trgm ON calls USING GIN (tags gin_trgm_ops)"
    ),
}

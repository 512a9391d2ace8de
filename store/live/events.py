"""The live channel's event log: every event published to a user is a row (id, recipient,
type, body), so a desktop that reconnects with ``Last-Event-ID`` gets what it missed, even
across a restart of the store. Rows older than a day are pruned."""

from __future__ import annotations

import json
import re
from typing import Any

from store.db import Database
from store.users import now_us

SCHEMA = """
CREATE TABLE live_events (
    id {pk},
    recipient TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_us {bigint} NOT NULL
);
CREATE INDEX live_events_recipient ON live_events (recipient, id)
"""
CHANNEL = "agentdesk_live"  # PostgreSQL's NOTIFY channel; the payload is the event's id
KEEP_US = 24 * 3600 * 1_000_000
REPLAY_LIMIT = 1000
_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


def insert(db: Database, user: str, event: dict[str, Any]) -> int:
    """Store ``event`` for ``user`` and, on PostgreSQL, notify every API process (delivered
    when the surrounding transaction commits); the event's id."""
    kind = event.get("type")
    if not isinstance(kind, str) or not _TYPE.fullmatch(kind):
        raise ValueError(f"a live event needs a dotted lowercase 'type', not {kind!r}")
    body = json.dumps(event, separators=(",", ":"), default=str)
    row = db.one(
        "INSERT INTO live_events (recipient, type, body, created_us) VALUES (?, ?, ?, ?) "
        "RETURNING id",
        (user, kind, body, now_us()),
    )
    assert row is not None
    event_id = int(row["id"])
    if db.dialect == "postgresql":
        db.query("SELECT pg_notify(?, ?)", (CHANNEL, str(event_id)))
    return event_id


def since(db: Database, user: str, after_id: int) -> list[tuple[int, str]]:
    """``user``'s events after ``after_id`` as (id, JSON text), oldest first."""
    rows = db.query(
        "SELECT id, body FROM live_events WHERE recipient = ? AND id > ? ORDER BY id LIMIT ?",
        (user, after_id, REPLAY_LIMIT),
    )
    return [(int(r["id"]), r["body"]) for r in rows]


def after(db: Database, after_id: int, limit: int = 500) -> list[tuple[int, str, str]]:
    """Everyone's events after ``after_id`` as (id, recipient, JSON text), oldest first."""
    rows = db.query(
        "SELECT id, recipient, body FROM live_events WHERE id > ? ORDER BY id LIMIT ?",
        (after_id, limit),
    )
    return [(int(r["id"]), r["recipient"], r["body"]) for r in rows]


def by_ids(db: Database, ids: list[int]) -> list[tuple[int, str, str]]:
    """The events of these ids as (id, recipient, JSON text), in id order."""
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = db.query(
        f"SELECT id, recipient, body FROM live_events WHERE id IN ({marks}) ORDER BY id", ids
    )
    return [(int(r["id"]), r["recipient"], r["body"]) for r in rows]


def newest_id(db: Database) -> int:
    row = db.one("SELECT MAX(id) AS m FROM live_events")
    return int(row["m"]) if row and row["m"] is not None else 0


def prune(db: Database) -> int:
    """Forget events older than a day; how many."""
    return db.execute("DELETE FROM live_events WHERE created_us < ?", (now_us() - KEEP_US,))

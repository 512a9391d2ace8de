"""The outbox's journal: its SQLite schema, the order items are sent in, one claimed item, the
errors it raises, and the status the UI shows (see :mod:`recorder.outbox.journal`)."""

from __future__ import annotations

import errno
import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

DB_NAME = "outbox.sqlite3"
SPOOL = "spool"
KEEP_DONE_US = 7 * 86_400_000_000  # confirmed rows kept (de-duplication of late re-adds)
LEASE_US = 600_000_000  # a claimed item returns to the queue if its uploader died
MAX_HOLD_US = 900_000_000  # a call whose window never ends is sent after 15 minutes
FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
# Which ready item goes first: small metadata, then call audio, then screen segments.
PRIORITY = {"state": 0, "call": 0, "patch": 0, "link": 0, "audio": 1, "screen": 2}

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT UNIQUE,
    call_id TEXT,
    media TEXT,
    priority INTEGER NOT NULL,
    body TEXT NOT NULL DEFAULT '{}',
    files TEXT NOT NULL DEFAULT '[]',
    sha256 TEXT,
    bytes INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    created_us INTEGER NOT NULL,
    next_us INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_us INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    done_us INTEGER
);
CREATE INDEX IF NOT EXISTS items_pending ON items (state, priority, id);
CREATE INDEX IF NOT EXISTS items_call ON items (call_id, state);
"""
# An item's state: ``pending`` (to send), ``done`` (the store confirmed it), ``parked`` (the
# store refused it as invalid: kept with the store's reason in ``last_error``, never sent
# again by itself), ``open`` (a call still in progress, journalled as it goes; not sent).
PENDING, DONE, PARKED, OPEN = "pending", "done", "parked", "open"
# Ready: not waiting or leased; patches and links wait for their call's record (while it is
# open, pending or parked: never a "404 no call"), patches for the patches before them, links
# for their media; a call waits for the media it links to.
CLAIM_SQL = """
SELECT * FROM items i WHERE state = 'pending' AND next_us <= ? AND lease_us <= ?
AND (kind NOT IN ('patch', 'link') OR NOT EXISTS (SELECT 1 FROM items c
     WHERE c.key = 'call:' || i.call_id AND c.state IN ('pending', 'open', 'parked')))
AND (kind != 'patch' OR NOT EXISTS (SELECT 1 FROM items p WHERE p.kind = 'patch'
     AND p.call_id = i.call_id AND p.state = 'pending' AND p.id < i.id))
AND (kind != 'link' OR EXISTS (SELECT 1 FROM items m WHERE m.key = i.media
     AND m.state = 'done'))
AND (kind != 'call' OR NOT EXISTS (SELECT 1 FROM items l JOIN items m ON m.key = l.media
     WHERE l.kind = 'link' AND l.call_id = i.call_id AND m.state = 'pending'))
ORDER BY priority, id LIMIT 20
"""


def now_us() -> int:
    return time.time_ns() // 1000


class OutboxError(Exception):
    """The outbox cannot take an item; the message names what and why. Nothing was lost:
    the file is where it was."""


class OutboxFull(OutboxError):
    """The disk under the outbox is full."""


@dataclass
class Item:
    """One claimed item (see :mod:`recorder.outbox.journal` for the kinds)."""

    id: int
    kind: str
    key: str | None
    call_id: str | None
    media: str | None  # media items: "audio" | "screen"; links: the media item's key
    body: dict[str, Any]
    files: list[str]
    sha256: str | None
    bytes: int
    attempts: int
    created_us: int


def item_from_row(row: sqlite3.Row) -> Item:
    return Item(
        id=row["id"],
        kind=row["kind"],
        key=row["key"],
        call_id=row["call_id"],
        media=row["media"],
        body=escape_surrogates(json.loads(row["body"])),
        files=json.loads(row["files"]),
        sha256=row["sha256"],
        bytes=row["bytes"],
        attempts=row["attempts"],
        created_us=row["created_us"],
    )


def escape_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings written as a backslash escape
    (``\\udc80`` as six characters): text from SIP headers may carry them, and neither the
    journal's JSON nor the store may see one."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {escape_surrogates(k): escape_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [escape_surrogates(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """The journal's JSON of ``value``: compact, UTF-8 text, no lone surrogates."""
    return json.dumps(escape_surrogates(value), separators=(",", ":"), ensure_ascii=False)


def pending_status(db: sqlite3.Connection, quota_bytes: int) -> dict[str, Any]:
    """Items and bytes not in the store yet (pending and parked), the oldest one's time, the
    last error, the parked items (count and the store's last reason), the quota warning."""
    row = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(bytes), 0), MIN(created_us) FROM items "
        "WHERE state IN ('pending', 'parked')"
    ).fetchone()
    err = db.execute(
        "SELECT last_error FROM items WHERE state = 'pending' AND last_error != '' "
        "ORDER BY next_us DESC LIMIT 1"
    ).fetchone()
    parked = db.execute(
        "SELECT COUNT(*), (SELECT last_error FROM items WHERE state = 'parked' "
        "ORDER BY done_us DESC, id DESC LIMIT 1) FROM items WHERE state = 'parked'"
    ).fetchone()
    items, size, oldest = int(row[0]), int(row[1]), row[2]
    over = bool(quota_bytes) and size >= quota_bytes
    warning = ""
    if over:
        warning = (
            f"upload spool full: {size / 1e6:.0f} MB of {quota_bytes / 1e6:.0f} MB "
            "waiting for the store; screen recording stopped, calls are still kept"
        )
    elif quota_bytes and size >= 0.8 * quota_bytes:
        warning = f"upload spool {100 * size / quota_bytes:.0f} % full"
    return {
        "items": items,
        "bytes": size,
        "oldest_us": oldest,
        "last_error": err[0] if err else (parked[1] or ""),
        "over_quota": over,
        "warning": warning,
        "parked": int(parked[0]),
        "parked_reason": parked[1] or "",
    }

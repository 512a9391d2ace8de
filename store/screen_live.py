"""The operator's screen, live: watch sessions and the frames relayed to the watchers.

A supervisor (or admin) opens a watch of an agent; the watch stays open while its viewer asks
for frames (every fraction of a second), and ends when the viewer says so or stops asking for
``WATCH_TIMEOUT_US``. The agent's desktop learns from its presence answer that it is watched
(a ``screen.watch`` event on its live channel makes it ask at once, not at its next heartbeat);
its recorder worker then sends live frames (formats/screen_live.py), which are kept here only
from the latest key frame on, and only while somebody watches: when the last watch ends, the
agent's frames are deleted. Everything is in the database, so the viewer and the agent's
worker may each reach any API process. Every watch is audited when it starts and when it ends
(who watched whom, from when to when).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from formats.screen_live import LiveFrameError, read_frame
from store import audit, live
from store.db import Database
from store.errors import Forbidden, Gone, Invalid, NotFound
from store.models import Role
from store.users import Principal, now_us

SCHEMA = """
CREATE TABLE screen_watches (
    id {pk},
    agent TEXT NOT NULL,
    watcher TEXT NOT NULL,
    started_us {bigint} NOT NULL,
    seen_us {bigint} NOT NULL,
    ended_us {bigint}
);
CREATE INDEX screen_watches_open ON screen_watches (agent, ended_us);
CREATE TABLE screen_frames (
    id {pk},
    agent TEXT NOT NULL,
    utc_us {bigint} NOT NULL,
    is_key INTEGER NOT NULL,
    frame TEXT NOT NULL,
    created_us {bigint} NOT NULL
);
CREATE INDEX screen_frames_agent ON screen_frames (agent, id)
"""
WATCH_EVENT = "screen.watch"  # to the agent's desktop: its presence answer has news
WATCH_TIMEOUT_US = 10_000_000  # a viewer that has not asked for this long has gone
MAX_FRAME_BYTES = 8 * 1024 * 1024
FRAMES_PER_ANSWER = 100
WATCHERS = (Role.supervisor, Role.admin)


def _audit_end(db: Database, row: dict[str, Any], ended_us: int, how: str) -> None:
    detail = f"watch {row['id']} of {row['agent']} from {row['started_us']} to {ended_us} ({how})"
    audit.record_by(db, row["watcher"], "screen.watch_end", f"agent/{row['agent']}", detail)


def start(db: Database, agent: str, who: Principal) -> dict[str, Any]:
    """Open a watch of ``agent``'s screen (supervisors and admins)."""
    if who.role not in WATCHERS:
        raise Forbidden(f"role {who.role.value} may not watch screens (supervisor, admin)")
    if db.one("SELECT 1 AS x FROM users WHERE name = ?", (agent,)) is None:
        raise NotFound(f"no user {agent!r}")
    stamp = now_us()
    with db.transaction():
        db.execute(
            "INSERT INTO screen_watches (agent, watcher, started_us, seen_us) VALUES (?, ?, ?, ?)",
            (agent, who.name, stamp, stamp),
        )
        row = db.one(
            "SELECT id FROM screen_watches WHERE agent = ? AND watcher = ? AND started_us = ? "
            "ORDER BY id DESC LIMIT 1",
            (agent, who.name, stamp),
        )
        assert row is not None
        watch_id = int(row["id"])
        audit.record(db, who, "screen.watch", f"agent/{agent}", f"watch {watch_id} started")
        live.publish(db, agent, {"type": WATCH_EVENT, "id": watch_id})
    return {"id": watch_id, "agent": agent, "watcher": who.name, "started_us": stamp}


def _watch(db: Database, agent: str, watch_id: int, who: Principal) -> dict[str, Any]:
    if who.role not in WATCHERS:
        raise Forbidden(f"role {who.role.value} may not watch screens (supervisor, admin)")
    row = db.one(
        "SELECT id, agent, watcher, started_us, seen_us, ended_us FROM screen_watches "
        "WHERE id = ? AND agent = ?",
        (watch_id, agent),
    )
    if row is None or (row["watcher"] != who.name and who.role is not Role.admin):
        raise NotFound(f"no watch {watch_id} of {agent!r} by {who.name!r}")
    return dict(row)


def frames(db: Database, agent: str, watch_id: int, after: int, who: Principal) -> dict[str, Any]:
    """The frames after ``after`` (or from the latest key frame, when ``after`` is older than
    it); asking keeps the watch open."""
    row = _watch(db, agent, watch_id, who)
    stamp = now_us()
    if row["ended_us"] is not None or row["seen_us"] < stamp - WATCH_TIMEOUT_US:
        raise Gone(f"watch {watch_id} has ended: start a new one")
    db.execute("UPDATE screen_watches SET seen_us = ? WHERE id = ?", (stamp, watch_id))
    key = db.one("SELECT MAX(id) AS id FROM screen_frames WHERE agent = ? AND is_key = 1", (agent,))
    first = int(key["id"]) if key and key["id"] is not None else None
    if first is None:
        rows = []
    else:
        rows = db.query(
            "SELECT id, frame FROM screen_frames WHERE agent = ? AND id >= ? AND id > ? "
            "ORDER BY id LIMIT ?",
            (agent, first, after, FRAMES_PER_ANSWER),
        )
    out = [{"id": int(r["id"]), **json.loads(r["frame"])} for r in rows]
    return {"watching": True, "last": out[-1]["id"] if out else after, "frames": out}


def end(db: Database, agent: str, watch_id: int, who: Principal) -> dict[str, Any]:
    """End a watch (its viewer closed); audited with its period."""
    row = _watch(db, agent, watch_id, who)
    stamp = now_us()
    if row["ended_us"] is None and db.execute(
        "UPDATE screen_watches SET ended_us = ? WHERE id = ? AND ended_us IS NULL",
        (stamp, watch_id),
    ):
        _audit_end(db, row, stamp, "closed")
        row["ended_us"] = stamp
    watched(db, agent)
    return {
        "id": watch_id,
        "agent": agent,
        "started_us": row["started_us"],
        "ended_us": row["ended_us"],
    }


def watched(db: Database, agent: str) -> bool:
    """Whether anybody watches ``agent`` now; ends (and audits) the watches whose viewer went
    away, and deletes the agent's frames once nobody watches."""
    stale = now_us() - WATCH_TIMEOUT_US
    live = False
    for row in db.query(
        "SELECT id, agent, watcher, started_us, seen_us FROM screen_watches "
        "WHERE agent = ? AND ended_us IS NULL",
        (agent,),
    ):
        if row["seen_us"] >= stale:
            live = True
        elif db.execute(
            "UPDATE screen_watches SET ended_us = ? WHERE id = ? AND ended_us IS NULL",
            (row["seen_us"], row["id"]),
        ):
            _audit_end(db, dict(row), int(row["seen_us"]), "viewer gone")
    if live:
        return True
    if db.one("SELECT 1 AS x FROM screen_frames WHERE agent = ? LIMIT 1", (agent,)):
        db.execute("DELETE FROM screen_frames WHERE agent = ?", (agent,))  # reads only, mostly
    return False


def publish(db: Database, agent: str, data: bytes, who: Principal) -> dict[str, Any]:
    """One frame from ``agent``'s recorder (the agent's own token): relayed while watched,
    dropped otherwise; a key frame replaces everything before it."""
    if who.name != agent:
        raise Forbidden("only the agent's own desktop sends its screen")
    if len(data) > MAX_FRAME_BYTES:
        raise Invalid(f"live frame of {len(data)} bytes: at most {MAX_FRAME_BYTES}")
    try:
        frame = read_frame(data)
    except LiveFrameError as exc:
        raise Invalid(str(exc)) from None
    if not watched(db, agent):
        return {"watched": False}
    parts = [
        {"x": p.x, "y": p.y, "w": p.w, "h": p.h, "jpeg": base64.b64encode(p.jpeg).decode()}
        for p in frame.parts
    ]
    text = json.dumps(
        {"utc_us": frame.utc_us, "key": frame.key, "width": frame.width, "height": frame.height,
         "parts": parts},
        separators=(",", ":"),
    )  # fmt: skip
    with db.transaction():
        db.execute(
            "INSERT INTO screen_frames (agent, utc_us, is_key, frame, created_us) "
            "VALUES (?, ?, ?, ?, ?)",
            (agent, frame.utc_us, int(frame.key), text, now_us()),
        )
        if frame.key:
            newest = db.one("SELECT MAX(id) AS id FROM screen_frames WHERE agent = ?", (agent,))
            assert newest is not None
            db.execute(
                "DELETE FROM screen_frames WHERE agent = ? AND id < ?", (agent, newest["id"])
            )
    return {"watched": True}

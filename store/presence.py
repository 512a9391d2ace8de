"""What each agent's desktop shows right now (current call, hold, recording, upload backlog),
and the supervisors' live board that joins it with the agents' current states.

Presence lives in a table, not in process memory: several API processes serve one store, and
a desktop's next snapshot may reach any of them.
"""

from __future__ import annotations

from typing import Any

from store import board_cache, policy, reports, screen_live
from store.db import Database
from store.errors import Forbidden, NotFound
from store.models import Board, PresenceIn, Role
from store.users import Principal, now_us

COLUMNS = (
    "call_id",
    "call_number",
    "call_direction",
    "call_started_us",
    "call_answered_us",
    "hold_since_us",
    "recording",
    "upload_backlog",
    "upload_backlog_bytes",
)

_TEXT = ("call_id", "call_number", "call_direction")
# Typed placeholders: in INSERT … SELECT PostgreSQL would take an untyped NULL for text.
_PARAMS = tuple(f"CAST(? AS {'TEXT' if c in _TEXT else 'BIGINT'})" for c in COLUMNS)


def put(db: Database, agent: str, snapshot: PresenceIn, who: Principal) -> dict[str, Any]:
    """Replace the agent's snapshot (the desktop sends it on change and every few seconds);
    the answer also says whether the agent's screen is watched (``watched``, ``show_watched``)."""
    if who.role is Role.qa or (who.role is Role.agent and agent != who.name):
        raise Forbidden("agents can only report their own presence; supervisors and admins any")
    values = snapshot.model_dump(mode="json")
    values["recording"] = int(values["recording"])
    stamp = now_us()
    sets = ", ".join(f"{c} = excluded.{c}" for c in ("updated_us", *COLUMNS))
    # One statement: the row is written only for an existing user ("WHERE" also tells SQLite
    # that ON CONFLICT belongs to the INSERT, not to the SELECT).
    written = db.execute(
        f"INSERT INTO agent_presence (agent, updated_us, {', '.join(COLUMNS)}) "
        f"SELECT name, CAST(? AS BIGINT), {', '.join(_PARAMS)} FROM users WHERE name = ? "
        f"ON CONFLICT (agent) DO UPDATE SET {sets}",
        [stamp, *(values[c] for c in COLUMNS), agent],
    )
    if not written:
        raise NotFound(f"no user {agent!r}")
    board_cache.changed(db, agent, tuple(values[c] for c in COLUMNS))
    return {
        **values,
        "recording": bool(values["recording"]),
        "agent": agent,
        "updated_us": stamp,
        # A supervisor watches the screen: the desktop's recorder sends it while this holds;
        # the policy says whether the operator is shown so.
        "watched": screen_live.watched(db, agent),
        "show_watched": policy.current_document(db).show_watched,
    }


def board(db: Database, who: Principal) -> dict[str, Any]:
    """Every enabled agent with their state and time in it, current call, recording, upload
    backlog and occupancy over the last 10 minutes; times against the server's clock."""
    if not who.sees_all:
        raise Forbidden("the live board is for qa, supervisors and admins")
    return board_cache.board(db, lambda: _build(db))


def board_json(db: Database, who: Principal) -> bytes:
    """The board as the API sends it (JSON of ``Board``), encoded once per board built."""
    if not who.sees_all:
        raise Forbidden("the live board is for qa, supervisors and admins")
    return board_cache.encoded(
        db, lambda: _build(db), lambda b: Board.model_validate(b).model_dump_json().encode()
    )


def _build(db: Database) -> dict[str, Any]:
    cols = ", ".join(f"p.{c}" for c in COLUMNS)
    rows = db.query(
        "SELECT u.name AS agent, u.extension, a.state, a.reason, a.since_us, "
        "p.updated_us AS presence_us, "
        f"{cols} FROM users u LEFT JOIN agent_current a ON a.agent = u.name "
        "LEFT JOIN agent_presence p ON p.agent = u.name "
        "WHERE u.role = 'agent' AND u.disabled = 0 ORDER BY u.name"
    )
    occupancy = reports.occupancy_last(db)
    for row in rows:
        if row["state"] is None:
            row["state"] = "offline"
        row["recording"] = bool(row["recording"])
        row["upload_backlog"] = row["upload_backlog"] or 0
        row["upload_backlog_bytes"] = row["upload_backlog_bytes"] or 0
        row["occupancy_10min_pct"] = occupancy.get(row["agent"])
    return {"now_us": now_us(), "agents": rows}

"""Agent states (ready, not ready with a reason, break, on a call, wrap-up, offline): the
history of changes and the live view of each agent's current state."""

from __future__ import annotations

from typing import Any

from store import board_cache
from store.db import Database, Row
from store.errors import Forbidden, NotFound
from store.models import Role, StateIn
from store.pbx.announce import queues_changed
from store.report_columns import link_state
from store.users import Principal, now_us


def _check_user(db: Database, agent: str) -> None:
    if db.one("SELECT 1 AS x FROM users WHERE name = ?", (agent,)) is None:
        raise NotFound(f"no user {agent!r}")


def set_state(db: Database, agent: str, change: StateIn, who: Principal) -> Row:
    """Record a state change; the live view moves only forward in time (late events are kept
    in the history but do not overwrite a newer current state). Idempotent: the same
    (agent, at_us, state) sent again (a retry after a lost answer) adds no second row."""
    if who.role is Role.qa or (who.role is Role.agent and agent != who.name):
        raise Forbidden("agents can only set their own state; supervisors and admins any")
    _check_user(db, agent)
    at = change.at_us if change.at_us is not None else now_us()
    with db.transaction():
        db.execute(
            "INSERT INTO agent_states (agent, state, reason, at_us, recorded_us, call_id) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (agent, at_us, state) DO NOTHING",
            (agent, change.state.value, change.reason, at, now_us(), change.call_id),
        )
        db.execute(
            "INSERT INTO agent_current (agent, state, reason, since_us) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (agent) DO UPDATE SET state = excluded.state, "
            "reason = excluded.reason, since_us = excluded.since_us "
            "WHERE agent_current.since_us <= excluded.since_us",
            (agent, change.state.value, change.reason, at),
        )
        # The upsert above locks the agent's row: link this change into the stream now.
        mine = db.one(
            "SELECT id, call_id FROM agent_states WHERE agent = ? AND at_us = ? AND state = ?",
            (agent, at, change.state.value),
        )
        if mine is not None:
            link_state(db, mine["id"], agent, at, change.state.value, mine["call_id"])
        row = db.one(
            "SELECT agent, state, reason, since_us FROM agent_current WHERE agent = ?", (agent,)
        )
    assert row is not None
    board_cache.changed(db)
    queues_changed(db)  # the queue panels count members by state
    return row


def live(db: Database, who: Principal) -> list[Row]:
    """Every agent's current state, for supervisors' wallboards."""
    if not who.sees_all:
        raise Forbidden("the live view is for qa, supervisors and admins")
    return db.query("SELECT agent, state, reason, since_us FROM agent_current ORDER BY agent")


def history(
    db: Database, agent: str, who: Principal, from_us: int | None, to_us: int | None, limit: int
) -> list[dict[str, Any]]:
    if not who.sees_all and agent != who.name:
        raise Forbidden("agents can only read their own state history")
    sql = "SELECT agent, state, reason, at_us AS since_us FROM agent_states WHERE agent = ?"
    params: list[Any] = [agent]
    if from_us is not None:
        sql += " AND at_us >= ?"
        params.append(from_us)
    if to_us is not None:
        sql += " AND at_us < ?"
        params.append(to_us)
    return db.query(sql + " ORDER BY at_us, id LIMIT ?", [*params, limit])

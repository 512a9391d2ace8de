"""Figures the reports read per row, kept up to date when states and calls are written.

Each agent state's `next_us` is the time of the agent's next change (NULL while it is the
latest), so a state interval needs no window function at report time. Each call's `wrap_us`
is the sum of its closed wrap_up intervals (each at most STATE_CAP) and `wrap_open_us` the
start of a wrap_up still open, which the report counts until now (at most STATE_CAP).
Both changes also recompute the per-day rollups they touch (store/rollups.py).
"""

from __future__ import annotations

from store import rollups
from store.db import Database
from store.report_sql import STATE_CAP

__all__ = ["STATE_CAP", "link_state", "refresh_wrap"]

_CLOSED = f"(CASE WHEN next_us - at_us > {STATE_CAP} THEN {STATE_CAP} ELSE next_us - at_us END)"


def refresh_wrap(db: Database, call_id: str, rollup: bool = True) -> None:
    """Recompute the call's wrap-up columns from its wrap_up states (any agent's), and the
    rollup of its group (unless the caller does: `rollup=False`)."""
    db.execute(
        f"UPDATE calls SET wrap_us = COALESCE((SELECT SUM({_CLOSED}) FROM agent_states "
        "WHERE call_id = ? AND state = 'wrap_up' AND next_us IS NOT NULL), 0), "
        "wrap_open_us = (SELECT MAX(at_us) FROM agent_states "
        "WHERE call_id = ? AND state = 'wrap_up' AND next_us IS NULL) WHERE id = ?",
        (call_id, call_id, call_id),
    )
    if rollup:
        rollups.refresh_call(db, call_id)


def link_state(
    db: Database, state_id: int, agent: str, at_us: int, state: str, call_id: str | None
) -> None:
    """Fit a just-inserted state into its agent's stream (it may arrive late): set its
    `next_us`, end the state before it here, and refresh the wrap-up of the calls whose
    intervals changed, and the agent's state rollups of the days it touches. Call inside the
    inserting transaction, after the agent's row in `agent_current` is locked, so one
    agent's changes are linked one at a time."""
    before = db.one(
        "SELECT id, state, call_id FROM agent_states WHERE agent = ? AND at_us <= ? "
        "AND (at_us < ? OR id < ?) ORDER BY at_us DESC, id DESC LIMIT 1",
        (agent, at_us, at_us, state_id),
    )
    after = db.one(
        "SELECT at_us FROM agent_states WHERE agent = ? AND at_us >= ? "
        "AND (at_us > ? OR id > ?) ORDER BY at_us, id LIMIT 1",
        (agent, at_us, at_us, state_id),
    )
    if after is not None:
        db.execute("UPDATE agent_states SET next_us = ? WHERE id = ?", (after["at_us"], state_id))
    calls = {call_id} if state == "wrap_up" and call_id is not None else set()
    if before is not None:
        db.execute("UPDATE agent_states SET next_us = ? WHERE id = ?", (at_us, before["id"]))
        if before["state"] == "wrap_up" and before["call_id"] is not None:
            calls.add(before["call_id"])
    for changed in sorted(calls):
        refresh_wrap(db, changed)
    # Only [at_us, at_us + cap) changed: this state's interval and the end of the one before.
    rollups.refresh_agent_days(db, agent, at_us, at_us + STATE_CAP)

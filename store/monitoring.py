"""Monitoring sessions: a supervisor (or admin) asks to listen to, whisper to or barge into
an agent's call; the store authorises it, audits it, notes it on the agent's call for QA and
delivers it to the agent's desktop over the live channel. The supervisor's softphone then
calls the agent's softphone with the session's id, which the agent's engine accepts only
while the store says the session is open.

A session is ``open`` for CONNECT_S after it is made; the agent's desktop reports it
``active`` (each report extends it by ACTIVE_LEASE_S), ``ended`` or ``rejected``; the
supervisor changes its mode or revokes it; an unreported session expires and is ended. Every
end reaches the desktop as ``monitor.end``. The supervisor who opened the session learns of
each change of it (opened, active, mode, ended or rejected with the reason) as
``monitor.session`` {session}, on the desktop and in the web console alike.
"""

from __future__ import annotations

import secrets
from typing import Any

from store import audit, live
from store.db import Database, Row
from store.errors import Conflict, Forbidden, NotFound
from store.live.hub import wake_local
from store.models import Role
from store.models.monitoring import MonitorIn, MonitorMode, MonitorStateIn, ReportedState
from store.policy import team_of
from store.users import Principal, now_us

SCHEMA = """
CREATE TABLE monitoring_sessions (
    id TEXT PRIMARY KEY,
    supervisor TEXT NOT NULL,
    supervisor_sip TEXT NOT NULL,
    agent TEXT NOT NULL,
    agent_sip TEXT NOT NULL,
    mode TEXT NOT NULL,
    follow INTEGER NOT NULL,
    call_id TEXT,
    state TEXT NOT NULL,
    reason TEXT,
    created_us {bigint} NOT NULL,
    expires_us {bigint} NOT NULL,
    ended_us {bigint}
);
CREATE INDEX monitoring_sessions_agent ON monitoring_sessions (agent, created_us);
CREATE INDEX monitoring_sessions_due ON monitoring_sessions (state, expires_us);
CREATE TABLE monitoring_events (
    id {pk},
    session_id TEXT NOT NULL,
    call_id TEXT,
    at_us {bigint} NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX monitoring_events_call ON monitoring_events (call_id, at_us)
"""
CONNECT_S = 60
ACTIVE_LEASE_S = 180
LIST_LIMIT = 100
SUPERVISING = (Role.supervisor, Role.admin)
LIVE = ("open", "active")
STORE = Principal("store", Role.admin)  # the actor of what the store does by itself
_COLUMNS = (
    "id, supervisor, supervisor_sip, agent, agent_sip, mode, follow, call_id, state, reason, "
    "created_us, expires_us, ended_us"
)


def _out(row: Row) -> dict[str, Any]:
    return {**row, "follow": bool(row["follow"])}


def _row(db: Database, session_id: str) -> Row | None:
    return db.one(f"SELECT {_COLUMNS} FROM monitoring_sessions WHERE id = ?", (session_id,))


def _current_call(db: Database, agent: str) -> str | None:
    row = db.one("SELECT call_id FROM agent_presence WHERE agent = ?", (agent,))
    return row["call_id"] if row else None


def _note(db: Database, session: Row, kind: str, detail: str, at_us: int) -> None:
    """The event on the QA timeline of the agent's call now (else of the session's call)."""
    call_id = _current_call(db, session["agent"]) or session["call_id"]
    db.execute(
        "INSERT INTO monitoring_events (session_id, call_id, at_us, kind, detail) "
        "VALUES (?, ?, ?, ?, ?)",
        (session["id"], call_id, at_us, kind, detail),
    )


def _tell_supervisor(db: Database, session_id: str) -> None:
    """The session as it is now, to the supervisor who opened it (in the caller's transaction)."""
    row = _row(db, session_id)
    if row is not None:
        live.publish(db, row["supervisor"], {"type": "monitor.session", "session": _out(row)})


def _may_monitor(db: Database, who: Principal, agent: str) -> Row:
    """The agent's row if ``who`` may monitor them: supervisors and admins, and a supervisor
    in a team only the agents of that team."""
    if who.role not in SUPERVISING:
        raise Forbidden(f"role {who.role.value} may not monitor calls (supervisor or admin)")
    row = db.one("SELECT name, role, extension, team, disabled FROM users WHERE name = ?", (agent,))
    if row is None or row["role"] != Role.agent.value or row["disabled"]:
        raise NotFound(f"no agent {agent!r}")
    team = team_of(db, who.name) if who.role is Role.supervisor else None
    if team is not None and row["team"] != team:
        raise Forbidden(f"{agent} is not in your team {team!r}")
    if not row["extension"]:
        raise Conflict(
            f"agent {agent!r} has no SIP extension in the store to call "
            f"(agentdesk-store user set {agent} --extension E)"
        )
    return row


def _own_extension(db: Database, who: Principal) -> str:
    """The supervisor's SIP user: the agent's softphone takes the session's call from it only."""
    row = db.one("SELECT extension FROM users WHERE name = ?", (who.name,))
    if row is None or not row["extension"]:
        raise Conflict(
            f"you ({who.name}) have no SIP extension in the store, so the agent's softphone "
            f"could not tell your call (agentdesk-store user set {who.name} --extension E)"
        )
    return str(row["extension"])


def open_session(db: Database, body: MonitorIn, who: Principal) -> dict[str, Any]:
    """A new session, audited, on the agent's call and on its way to the agent's desktop."""
    stamp = now_us()
    with db.transaction():
        agent = _may_monitor(db, who, body.agent)
        session = {
            "id": secrets.token_urlsafe(24),
            "supervisor": who.name,
            "supervisor_sip": _own_extension(db, who),
            "agent": body.agent,
            "agent_sip": agent["extension"],
            "mode": body.mode.value,
            "follow": int(body.follow),
            "call_id": _current_call(db, body.agent),
            "state": "open",
            "reason": None,
            "created_us": stamp,
            "expires_us": stamp + CONNECT_S * 1_000_000,
            "ended_us": None,
        }
        names = _COLUMNS.split(", ")
        marks = ", ".join("?" for _ in names)
        db.execute(
            f"INSERT INTO monitoring_sessions ({_COLUMNS}) VALUES ({marks})",
            [session[n] for n in names],
        )
        detail = f"{who.name} {body.mode.value}" + (" follow" if body.follow else "")
        audit.record(db, who, "monitor.open", f"monitoring/{session['id']}",
                     f"agent={body.agent} mode={body.mode.value} follow={body.follow} "
                     f"call={session['call_id'] or ''}")  # fmt: skip
        _note(db, session, "monitor_open", detail, stamp)
        out = _out(session)
        live.publish(db, body.agent, {"type": "monitor.open", "session": out})
        _tell_supervisor(db, session["id"])
    wake_local()
    return out


def _own(db: Database, session_id: str, who: Principal) -> Row:
    """The session if ``who`` opened it or is an admin (others: 403; unknown: 404)."""
    row = _row(db, session_id)
    if row is None:
        raise NotFound(f"no monitoring session {session_id!r}")
    if who.role is not Role.admin and row["supervisor"] != who.name:
        if who.role is Role.supervisor:
            raise Forbidden("only the supervisor who opened a session, or an admin, may change it")
        raise Forbidden(f"role {who.role.value} may not change monitoring sessions")
    return row


def _ended_conflict(row: Row) -> Conflict:
    return Conflict(f"monitoring session {row['id']!r} is {row['state']} already")


def change_mode(db: Database, session_id: str, mode: MonitorMode, who: Principal) -> dict[str, Any]:
    stamp = now_us()
    with db.transaction():
        row = _own(db, session_id, who)
        expires = max(row["expires_us"], stamp + CONNECT_S * 1_000_000)
        changed = db.execute(
            "UPDATE monitoring_sessions SET mode = ?, expires_us = ? "
            "WHERE id = ? AND state IN ('open', 'active')",
            (mode.value, expires, session_id),
        )
        if not changed:
            raise _ended_conflict(row)
        if row["mode"] != mode.value:
            audit.record(db, who, "monitor.mode", f"monitoring/{session_id}",
                         f"agent={row['agent']} mode={row['mode']}->{mode.value}")  # fmt: skip
            _note(db, row, "monitor_mode", f"{row['supervisor']} {mode.value}", stamp)
            live.publish(db, row["agent"], {"type": "monitor.mode", "id": session_id,
                                            "mode": mode.value})  # fmt: skip
            _tell_supervisor(db, session_id)
        out = _row(db, session_id)
    wake_local()
    assert out is not None
    return _out(out)


def _end(db: Database, row: Row, state: str, reason: str, who: Principal, action: str) -> bool:
    """Close a live session (in the caller's transaction); False if it was not live."""
    stamp = now_us()
    if not db.execute(
        "UPDATE monitoring_sessions SET state = ?, reason = ?, ended_us = ? "
        "WHERE id = ? AND state IN ('open', 'active')",
        (state, reason, stamp, row["id"]),
    ):
        return False
    audit.record(db, who, action, f"monitoring/{row['id']}",
                 f"agent={row['agent']} state={state} reason={reason}")  # fmt: skip
    kind = "monitor_reject" if state == "rejected" else "monitor_end"
    _note(db, row, kind, f"{row['supervisor']}: {reason}", stamp)
    live.publish(db, row["agent"], {"type": "monitor.end", "id": row["id"], "reason": reason})
    _tell_supervisor(db, row["id"])
    return True


def revoke(db: Database, session_id: str, who: Principal) -> dict[str, Any]:
    with db.transaction():
        row = _own(db, session_id, who)
        if not _end(db, row, "revoked", f"revoked by {who.name}", who, "monitor.end"):
            raise _ended_conflict(row)
        out = _row(db, session_id)
    wake_local()
    assert out is not None
    return _out(out)


def report(db: Database, session_id: str, body: MonitorStateIn, who: Principal) -> dict[str, Any]:
    """The agent's desktop says the supervisor's call is mixed in, ended or was refused."""
    with db.transaction():
        row = _row(db, session_id)
        if row is None or (who.role is not Role.admin and row["agent"] != who.name):
            raise NotFound(f"no monitoring session {session_id!r}")
        if body.state is ReportedState.active:
            changed = db.execute(
                "UPDATE monitoring_sessions SET state = 'active', expires_us = ? "
                "WHERE id = ? AND state IN ('open', 'active')",
                (now_us() + ACTIVE_LEASE_S * 1_000_000, session_id),
            )
            if not changed:
                raise _ended_conflict(row)
            if row["state"] == "open":
                audit.record(db, who, "monitor.active", f"monitoring/{session_id}",
                             f"agent={row['agent']} mode={row['mode']}")  # fmt: skip
                _tell_supervisor(db, session_id)
        else:
            reason = body.reason or body.state.value
            action = "monitor.reject" if body.state is ReportedState.rejected else "monitor.end"
            if not _end(db, row, body.state.value, reason, who, action):
                raise _ended_conflict(row)
        out = _row(db, session_id)
    wake_local()
    assert out is not None
    return _out(out)


def get(db: Database, session_id: str, who: Principal) -> dict[str, Any]:
    row = _row(db, session_id)
    if row is None or (who.role not in SUPERVISING and row["agent"] != who.name):
        raise NotFound(f"no monitoring session {session_id!r}")
    return _out(row)


def listing(
    db: Database, who: Principal, agent: str | None, live_only: bool
) -> list[dict[str, Any]]:
    """Sessions newest first: supervisors and admins any agent's, an agent only their own."""
    if who.role not in SUPERVISING:
        if agent is not None and agent != who.name:
            raise Forbidden("agents see only their own monitoring sessions")
        agent = who.name
    where, params = [], []
    if agent is not None:
        where.append("agent = ?")
        params.append(agent)
    if live_only:
        where.append("state IN ('open', 'active')")
    sql = f"SELECT {_COLUMNS} FROM monitoring_sessions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = db.query(sql + " ORDER BY created_us DESC LIMIT ?", [*params, LIST_LIMIT])
    return [_out(r) for r in rows]


def open_for(db: Database, agent: str) -> list[dict[str, Any]]:
    """The agent's live sessions as ``monitor.open`` events (a desktop's fresh connection)."""
    rows = db.query(
        f"SELECT {_COLUMNS} FROM monitoring_sessions WHERE agent = ? "
        "AND state IN ('open', 'active') AND expires_us > ? ORDER BY created_us",
        (agent, now_us()),
    )
    return [{"type": "monitor.open", "session": _out(r)} for r in rows]


def expire_due(db: Database) -> int:
    """End every live session past its expiry (each once, whichever API process gets it)."""
    due = db.query(
        f"SELECT {_COLUMNS} FROM monitoring_sessions WHERE state IN ('open', 'active') "
        "AND expires_us <= ?",
        (now_us(),),
    )
    ended = 0
    for row in due:
        with db.transaction():
            ended += _end(db, row, "ended", "expired", STORE, "monitor.end")
    if ended:
        wake_local()
    return ended


def call_events(db: Database, call_id: str) -> list[dict[str, Any]]:
    """The monitoring events noted on a call, as the call's own events are."""
    rows = db.query(
        "SELECT at_us, kind, detail FROM monitoring_events WHERE call_id = ? ORDER BY at_us, id",
        (call_id,),
    )
    return [dict(r) for r in rows]

"""The queues now, from the database (so every API process answers alike): per queue the
callers waiting (with the caller's karma when operators rated them), today's answered,
abandoned and service level since local midnight of the store's report zone, and the members
by state.

A member's state joins what the PBX says (paused, talking to a queue call) with what the
agent's desktop says (its state in ``agent_current``, the call in its fresh presence), the
member found by extension: on_call, else wrap_up, else break (a PBX pause counts as one),
else not_ready (the desktop says not ready or offline), else free.

A call counts as waiting from its ENTERQUEUE until any line ends the wait; calls that entered
before the PBX's last QUEUESTART (a restart drops every call), or more than WAIT_CAP ago (a
lost line), are not waiting any more.
"""

from __future__ import annotations

from typing import Any

from store import local_days, search
from store.db import Database
from store.errors import Forbidden
from store.pbx.ingest import CONNECTED, NONE, WAITING, now_us
from store.users import Principal

SECOND = 1_000_000
WAIT_CAP = 12 * 3600 * SECOND
STATES = ("free", "on_call", "wrap_up", "break", "not_ready")
PRESENCE_FRESH = 30 * SECOND  # a desktop reports its presence every few seconds


def member_state(pbx_state: str, talking: bool, desk_state: str | None, on_desk_call: bool) -> str:
    """One member's state from the PBX's and the desktop's views (see above)."""
    if talking or on_desk_call or desk_state == "on_call":
        return "on_call"
    if desk_state == "wrap_up":
        return "wrap_up"
    if pbx_state == "paused" or desk_state == "break":
        return "break"
    if desk_state in ("not_ready", "offline"):
        return "not_ready"
    return "free"


def _since_restart(db: Database, now: int) -> int:
    row = db.one(
        "SELECT MAX(at_us) AS at FROM pbx_queue_events WHERE event = 'QUEUESTART' AND at_us <= ?",
        (now,),
    )
    start = row["at"] if row and row["at"] is not None else 0
    return max(int(start), now - WAIT_CAP)


_DESK_LED = {"on_call": "on_call", "wrap_up": "wrap_up", "break": "break",
             "not_ready": "not_ready", "offline": "not_ready"}  # fmt: skip


def live(db: Database, who: Principal, zone_name: str, sl_s: int) -> dict[str, Any]:
    if not who.sees_all:
        raise Forbidden("the live queues are for qa, supervisors and admins")
    now = now_us()
    midnight = local_days.day_start(local_days.zone_named(zone_name), now)
    alive = _since_restart(db, now)
    queues: dict[str, dict[str, Any]] = {}

    def queue(name: str) -> dict[str, Any]:
        if name not in queues:
            queues[name] = {
                "queue": name, "waiting": 0, "longest_wait_s": None, "callers": [],
                "offered": 0, "answered": 0, "abandoned": 0, "service_level_pct": None,
                "agents": dict.fromkeys(STATES, 0), "members": [],
            }  # fmt: skip
        return queues[name]

    today = db.query(
        "SELECT queue, COUNT(*) AS offered, "
        "SUM(CASE WHEN connected_us IS NOT NULL THEN 1 ELSE 0 END) AS answered, "
        "SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END) AS abandoned, "
        "SUM(CASE WHEN connected_us IS NOT NULL AND wait_us <= ? THEN 1 ELSE 0 END) AS in_sl "
        "FROM pbx_queue_calls WHERE entered_us >= ? AND entered_us <= ? GROUP BY queue",
        (sl_s * SECOND, midnight, now),
    )
    for row in today:
        q = queue(row["queue"])
        offered = int(row["offered"])
        q.update(offered=offered, answered=int(row["answered"]), abandoned=int(row["abandoned"]))
        # 100 × in_sl / offered, three decimals half up (as the reports round)
        q["service_level_pct"] = (200_000 * int(row["in_sl"]) + offered) // (2 * offered) / 1000
    waiting = db.query(
        "SELECT uniqueid, queue, caller, caller_norm, position, entered_us FROM pbx_queue_calls "
        "WHERE outcome = ? AND entered_us >= ? AND entered_us <= ? ORDER BY entered_us, uniqueid",
        (WAITING, alive, now),
    )
    for row in waiting:
        q = queue(row["queue"])
        wait = (now - int(row["entered_us"])) / SECOND
        caller: dict[str, Any] = {
            "uniqueid": row["uniqueid"], "number": row["caller"], "position": row["position"],
            "entered_us": row["entered_us"], "wait_s": round(wait, 3),
            "karma_avg": None, "ratings": 0, "hint": "unknown", "route": "default",
        }  # fmt: skip
        if row["caller"]:
            hint = search.routing_hint(db, row["caller"], who)
            caller.update(
                karma_avg=hint["karma_avg"],
                ratings=hint["ratings"],
                hint=hint["hint"],
                route=hint["route"],
            )
        q["callers"].append(caller)
        q["waiting"] += 1
        q["longest_wait_s"] = max(q["longest_wait_s"] or 0.0, caller["wait_s"])
    talking = {
        r["agent"]: r
        for r in db.query(
            "SELECT agent, queue, uniqueid, connected_us FROM pbx_queue_calls "
            "WHERE outcome = ? AND entered_us >= ? AND agent IS NOT NULL ORDER BY connected_us",
            (CONNECTED, alive),
        )
    }
    desks = {r["agent"]: r for r in db.query(
        "SELECT agent, state, reason, since_us FROM agent_current"
    )}  # fmt: skip
    presence = {r["agent"]: r for r in db.query(
        "SELECT agent, call_id FROM agent_presence WHERE updated_us >= ?", (now - PRESENCE_FRESH,)
    )}  # fmt: skip
    members = db.query(
        "SELECT m.queue, m.agent, m.extension, m.state, m.reason, m.since_us, COALESCE("
        "(SELECT MIN(u.name) FROM users u WHERE u.extension = m.extension AND u.disabled = 0), "
        "(SELECT c.agent FROM calls c WHERE c.local_norm = m.extension "
        "ORDER BY c.started_us DESC LIMIT 1)) AS user_name "
        "FROM pbx_queue_members m WHERE m.state <> 'out' AND m.queue <> ? "
        "ORDER BY m.queue, m.agent",
        (NONE,),
    )
    for row in members:
        q = queue(row["queue"])
        call = talking.get(row["agent"])
        desk = desks.get(row["user_name"])
        seen = presence.get(row["user_name"])
        desk_state = desk["state"] if desk is not None else None
        state = member_state(
            row["state"], call is not None, desk_state, bool(seen and seen["call_id"])
        )
        q["agents"][state] += 1
        since, reason = row["since_us"], row["reason"]
        if call is not None:
            since = call["connected_us"]
        elif desk is not None and state == _DESK_LED.get(desk["state"], ""):
            since, reason = max(desk["since_us"], since), desk["reason"] or reason
        q["members"].append(
            {
                "agent": row["agent"],
                "extension": row["extension"],
                "user": row["user_name"],
                "state": state,
                "pbx_state": row["state"],
                "desk_state": desk_state,
                "reason": reason,
                "since_us": since,
                "uniqueid": call["uniqueid"] if call is not None else None,
            }
        )
    return {
        "now_us": now,
        "since_us": midnight,
        "sl_s": sl_s,
        "queues": [queues[name] for name in sorted(queues) if name != NONE],
    }


JOIN_WINDOW = 60 * SECOND
QUEUE_CALL_COLUMNS = (
    "q.uniqueid, q.queue, q.caller, q.position, q.entered_us, q.outcome, q.agent, q.extension, "
    "q.connected_us, q.ended_us, q.wait_us, q.talk_us, q.rings, q.ended_by, q.transfer_to"
)


def queue_calls(
    db: Database,
    who: Principal,
    from_us: int,
    to_us: int,
    queue: str | None = None,
    uniqueid: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Queue calls that entered in [from_us, to_us), oldest first, each with the desktop call
    that took it (`desktop_call_id`, its `user`): the leg that answered for the customer call
    whose PBX call id (from the INVITE's headers) is the queue call's uniqueid, in that queue
    or none named; else (a desktop that got no such header) the call at the agent's extension
    (the call's local number, or its agent's extension in the store) from the same caller that
    started nearest the CONNECT, within a minute."""
    if not who.sees_all:
        raise Forbidden("queue calls are for qa, supervisors and admins")
    where = "q.entered_us >= ? AND q.entered_us < ?"
    args: list[Any] = [from_us, to_us]
    if queue is not None:
        where += " AND q.queue = ?"
        args.append(queue)
    if uniqueid is not None:
        where += " AND q.uniqueid = ?"
        args.append(uniqueid)
    exact = (
        "SELECT MIN(c.id) FROM calls c WHERE c.pbx_call_id = x.uniqueid AND c.offer_answered = 1 "
        "AND x.connected_us IS NOT NULL AND (c.queue IS NULL OR c.queue = x.queue)"
    )
    # The nearest start first, then the call with it (SQLite takes no outer column in a
    # subquery's ORDER BY).
    same = (
        "FROM calls c WHERE (c.local_norm = {q}.extension OR c.agent IN "
        "(SELECT u.name FROM users u WHERE u.extension = {q}.extension)) "
        "AND c.remote_norm = {q}.caller_norm "
        "AND c.started_us >= {q}.connected_us - ? AND c.started_us <= {q}.connected_us + ?"
    )
    gap = f"(SELECT MIN(ABS(c.started_us - q.connected_us)) {same.format(q='q')})"
    pick = f"{same.format(q='x')} AND ABS(c.started_us - x.connected_us) = x.gap_"
    rows = db.query(
        "SELECT y.*, (SELECT d.agent FROM calls d WHERE d.id = y.desktop_call_id) AS user_name "
        f"FROM (SELECT x.*, COALESCE(({exact}), (SELECT MIN(c.id) {pick})) AS desktop_call_id "
        "FROM ("
        f"SELECT {QUEUE_CALL_COLUMNS}, q.caller_norm, {gap} AS gap_ FROM pbx_queue_calls q "
        f"WHERE {where} ORDER BY q.entered_us, q.uniqueid, q.queue LIMIT ?) x) y "
        "ORDER BY y.entered_us, y.uniqueid, y.queue",
        [*[JOIN_WINDOW] * 4, *args, limit],
    )
    for row in rows:
        row["user"] = row.pop("user_name")
        del row["gap_"], row["caller_norm"]
    return rows

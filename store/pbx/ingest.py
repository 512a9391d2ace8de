"""Queue events into the store, exactly once, and what they say about each queue call and
member.

Every event is kept raw in `pbx_queue_events` under its line key (store.pbx.queue_log), which
is unique: a line the feed resends after a restart, a rotation or an outage adds nothing. Each
new event then recomputes, from all the raw events of its (uniqueid, queue), that queue call's
row in `pbx_queue_calls`, and from the member events of its (queue, agent), that member's row
in `pbx_queue_members`. Recomputing from the raw rows (ordered by time, then arrival) makes the
rows independent of the order and the number of times lines arrive. Writers take one lock
(PostgreSQL: a transaction advisory lock; SQLite: BEGIN IMMEDIATE), so two API processes
ingesting events of one call see each other's.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from store.db import Database, Row
from store.numbers import normalise
from store.pbx.announce import queues_changed
from store.pbx.queue_log import SECOND, QueueEvent, extension

SCHEMA = """
CREATE TABLE pbx_queue_events (
    id {pk},
    line_key TEXT NOT NULL UNIQUE,
    at_us {bigint} NOT NULL,
    uniqueid TEXT NOT NULL,
    queue TEXT NOT NULL,
    agent TEXT NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    received_us {bigint} NOT NULL,
    sender TEXT NOT NULL
);
CREATE INDEX pbx_queue_events_call ON pbx_queue_events (uniqueid, queue);
CREATE INDEX pbx_queue_events_agent ON pbx_queue_events (agent, at_us);
CREATE INDEX pbx_queue_events_event ON pbx_queue_events (event, at_us);
CREATE TABLE pbx_queue_calls (
    uniqueid TEXT NOT NULL,
    queue TEXT NOT NULL,
    caller TEXT,
    caller_norm TEXT,
    position INTEGER,
    entered_us {bigint} NOT NULL,
    outcome TEXT NOT NULL,
    agent TEXT,
    extension TEXT,
    connected_us {bigint},
    ended_us {bigint},
    wait_us {bigint},
    talk_us {bigint},
    rings INTEGER NOT NULL DEFAULT 0,
    ended_by TEXT,
    transfer_to TEXT,
    updated_us {bigint} NOT NULL,
    PRIMARY KEY (uniqueid, queue)
);
CREATE INDEX pbx_queue_calls_entered ON pbx_queue_calls (entered_us);
CREATE INDEX pbx_queue_calls_queue ON pbx_queue_calls (queue, entered_us);
CREATE INDEX pbx_queue_calls_outcome ON pbx_queue_calls (outcome, entered_us);
CREATE INDEX pbx_queue_calls_caller ON pbx_queue_calls (caller_norm, entered_us);
CREATE TABLE pbx_queue_members (
    queue TEXT NOT NULL,
    agent TEXT NOT NULL,
    extension TEXT,
    state TEXT NOT NULL,
    reason TEXT,
    since_us {bigint} NOT NULL,
    PRIMARY KEY (queue, agent)
)
"""

# A queue call's outcome: still waiting, talking to an agent, or how it left the queue.
WAITING, CONNECTED = "waiting", "connected"
OUTCOMES = (WAITING, CONNECTED, "completed", "transferred", "abandoned", "timeout", "key", "empty")
LEFT = {  # event → (outcome, data field holding the wait in seconds)
    "ABANDON": ("abandoned", 3),
    "EXITWITHTIMEOUT": ("timeout", 3),
    "EXITWITHKEY": ("key", 4),
    "EXITEMPTY": ("empty", 3),
}
COMPLETED = {"COMPLETECALLER": "caller", "COMPLETEAGENT": "agent"}
TRANSFERS = ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
CALL_EVENTS = frozenset(
    {"ENTERQUEUE", "RINGNOANSWER", "RINGCANCELED", "CONNECT", *LEFT, *COMPLETED, *TRANSFERS}
)
MEMBER_EVENTS = ("ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "AGENTLOGIN", "AGENTLOGOFF")
# The member's every queue: these, and member events whose queue is NONE (e.g. AGENTLOGIN of
# an Asterisk agent).
ALL_QUEUES = ("PAUSEALL", "UNPAUSEALL")
MEMBER_STATE = {
    "ADDMEMBER": "ready",
    "UNPAUSE": "ready",
    "UNPAUSEALL": "ready",
    "AGENTLOGIN": "ready",
    "PAUSE": "paused",
    "PAUSEALL": "paused",
    "REMOVEMEMBER": "out",
    "AGENTLOGOFF": "out",
}
NONE = "NONE"
_LOCK = 4242002


@dataclass
class Ingested:
    received: int = 0
    stored: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.received - self.stored

    def answer(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


def now_us() -> int:
    return time.time_ns() // 1000


def ingest(db: Database, events: Iterable[QueueEvent], sender: str) -> Ingested:
    """Store the events not stored yet and bring the queue call and member rows they touch
    up to date, in one transaction."""
    result = Ingested()
    calls: set[tuple[str, str]] = set()
    members: set[tuple[str, str]] = set()
    everywhere: set[str] = set()
    received = now_us()
    with db.transaction():
        if db.dialect == "postgresql":
            db.query(f"SELECT pg_advisory_xact_lock({_LOCK})")
        for event in events:
            result.received += 1
            added = db.execute(
                "INSERT INTO pbx_queue_events (line_key, at_us, uniqueid, queue, agent, event, "
                "data, received_us, sender) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (line_key) DO NOTHING",
                (event.key, event.at_us, event.uniqueid, event.queue, event.agent, event.event,
                 "|".join(event.data), received, sender),
            )  # fmt: skip
            if added <= 0:
                continue
            result.stored += 1
            if event.event in CALL_EVENTS and event.uniqueid != NONE:
                calls.add((event.uniqueid, event.queue))
            elif event.event in MEMBER_EVENTS and event.queue != NONE:
                members.add((event.queue, event.agent))
            elif event.event in ALL_QUEUES or event.event in MEMBER_EVENTS:
                everywhere.add(event.agent)
        for agent in sorted(everywhere):
            for row in db.query("SELECT queue FROM pbx_queue_members WHERE agent = ?", (agent,)):
                members.add((row["queue"], agent))
        for uniqueid, queue in sorted(calls):
            refresh_call(db, uniqueid, queue)
        for queue, agent in sorted(members):
            refresh_member(db, queue, agent)
    if result.stored:
        queues_changed(db)
    return result


def _event(row: Row) -> QueueEvent:
    data = tuple(row["data"].split("|")) if row["data"] else ()
    return QueueEvent(row["at_us"], row["uniqueid"], row["queue"], row["agent"], row["event"], data)


def _rank(event: str) -> int:
    """Within one second: the entry first, the end last."""
    if event == "ENTERQUEUE":
        return 0
    if event in LEFT or event in COMPLETED or event in TRANSFERS:
        return 2
    return 1


def _us(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * SECOND)


def call_row(events: list[QueueEvent]) -> dict[str, Any]:
    """A queue call from its events (in order): when it entered, whether and when an agent
    took it, how it ended, how long it waited and talked. Waits and talk times are the PBX's
    own (holdtime, waittime, calltime), the time between the lines when it gave none."""
    row: dict[str, Any] = {
        "caller": None, "position": None, "entered_us": None, "outcome": WAITING,
        "agent": None, "connected_us": None, "ended_us": None, "wait_us": None,
        "talk_us": None, "rings": 0, "ended_by": None, "transfer_to": None,
    }  # fmt: skip
    for e in events:
        if e.event == "ENTERQUEUE":
            row["entered_us"] = e.at_us
            row["caller"] = (e.data[1] if len(e.data) > 1 else "") or None
            pos = e.number(3)
            row["position"] = int(pos) if pos is not None else None
        elif e.event in ("RINGNOANSWER", "RINGCANCELED"):
            row["rings"] += 1
        elif e.event == "CONNECT":
            row.update(outcome=CONNECTED, agent=e.agent, connected_us=e.at_us)
            row["wait_us"] = _us(e.number(1))
        elif e.event in COMPLETED or e.event in TRANSFERS:
            talk_at, wait_at = (2, 1) if e.event in COMPLETED else (4, 3)
            if row["connected_us"] is None:  # the CONNECT line is missing
                row.update(agent=e.agent, wait_us=_us(e.number(wait_at)))
            row["ended_us"] = e.at_us
            row["talk_us"] = _us(e.number(talk_at))
            if row["talk_us"] is None and row["connected_us"] is not None:
                row["talk_us"] = e.at_us - row["connected_us"]
            if e.event in COMPLETED:
                row.update(outcome="completed", ended_by=COMPLETED[e.event])
            else:
                row.update(outcome="transferred", ended_by="transfer", transfer_to=e.data[0])
        elif e.event in LEFT:
            outcome, wait_at = LEFT[e.event]
            row.update(outcome=outcome, ended_us=e.at_us, wait_us=_us(e.number(wait_at)))
            row["ended_by"] = "caller" if outcome == "abandoned" else "queue"
    if row["connected_us"] is None and row["outcome"] in ("completed", "transferred"):
        wait = row["wait_us"] or 0
        talk = row["talk_us"] or 0
        row["connected_us"] = row["ended_us"] - talk if talk else row["ended_us"]
        row["wait_us"] = wait
    if row["entered_us"] is None:  # no ENTERQUEUE line: back from the first wait we know
        first = events[0].at_us
        if row["connected_us"] is not None and row["wait_us"] is not None:
            first = min(first, row["connected_us"] - row["wait_us"])
        elif row["ended_us"] is not None and row["wait_us"] is not None:
            first = min(first, row["ended_us"] - row["wait_us"])
        row["entered_us"] = first
    if row["wait_us"] is None:
        end = row["connected_us"] if row["connected_us"] is not None else row["ended_us"]
        if end is not None:
            row["wait_us"] = max(0, end - row["entered_us"])
    return row


def refresh_call(db: Database, uniqueid: str, queue: str) -> None:
    rows = db.query(
        "SELECT at_us, uniqueid, queue, agent, event, data, id FROM pbx_queue_events "
        "WHERE uniqueid = ? AND queue = ?",
        (uniqueid, queue),
    )
    rows.sort(key=lambda r: (r["at_us"], _rank(r["event"]), r["id"]))
    events = [_event(r) for r in rows if r["event"] in CALL_EVENTS]
    if not events:
        return
    row = call_row(events)
    row.update(
        uniqueid=uniqueid,
        queue=queue,
        caller_norm=normalise(row["caller"]),
        extension=extension(row["agent"]) if row["agent"] else None,
        updated_us=now_us(),
    )
    columns = list(row)
    db.execute(
        f"INSERT INTO pbx_queue_calls ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) ON CONFLICT (uniqueid, queue) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("uniqueid", "queue")),
        [row[c] for c in columns],
    )


def refresh_member(db: Database, queue: str, agent: str) -> None:
    """The member's state in the queue: its latest member event there or for all its queues
    says ready, paused (with the reason) or out."""
    names = MEMBER_EVENTS + ALL_QUEUES
    marks = ", ".join("?" for _ in names)
    all_marks = ", ".join("?" for _ in ALL_QUEUES)
    last = db.one(
        f"SELECT event, data, at_us FROM pbx_queue_events WHERE agent = ? AND event IN ({marks}) "
        f"AND (queue = ? OR queue = ? OR event IN ({all_marks})) "
        "ORDER BY at_us DESC, id DESC LIMIT 1",
        (agent, *names, queue, NONE, *ALL_QUEUES),
    )
    if last is None:
        return
    state = MEMBER_STATE[last["event"]]
    reason = (last["data"].split("|")[0] or None) if state == "paused" else None
    db.execute(
        "INSERT INTO pbx_queue_members (queue, agent, extension, state, reason, since_us) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (queue, agent) DO UPDATE SET "
        "extension = excluded.extension, state = excluded.state, reason = excluded.reason, "
        "since_us = excluded.since_us",
        (queue, agent, extension(agent), state, reason, last["at_us"]),
    )

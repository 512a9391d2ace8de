"""Per-day report rollups in the store's reporting time zone, kept at write time.

`report_day_calls` holds, per (local day, agent, queue), the call sums of
store/report_sql.py (`CALL_SUMS`, at the store's service-level and long-call norms, with
only the closed wrap-up), `report_day_evaluations` and `report_day_transcripts` the QA and
talk sums of its calls; `report_day_states` the µs per (local day, agent, state, reason) of
the state intervals as they stand (an agent's latest state counted to its cap, so only days
that ended before now are read from it); `report_day_agents` one row per (local day, agent)
with all: the call, QA and talk sums over its queues and the STATE_SUMS over its states, so
a report by agent and day reads one row per row it answers. Writers recompute the groups
their change touches from the raw rows, and the agent's days from those, in the same transaction
(`refresh_call_group`, `refresh_agent_days`); the one-row table `report_rollups` names the
zone and norms the rollups are built for (`Basis`), and `ensure` rebuilds them when the store
is started with others (`--report-tz`, `--report-sl-s`, `--report-long-call-s`). Reports
read them through store/rollup_reads.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from store.db import Database
from store.local_days import UTC_ZONE, day_sql, day_start, days, next_day, zone_named
from store.report_sql import (
    CALL_SUMS,
    EVALUATION_SUMS,
    REPORT_SUMS,
    STATE_CAP,
    STATE_SUMS,
    TRANSCRIPT_SUMS,
    call_sums,
    evaluation_sums,
    state_time_in,
    sums_row,
    transcript_sums,
)

DEFAULT_SL_S = 20
DEFAULT_LONG_CALL_S = 600


@dataclass(frozen=True)
class Basis:
    """What the rollups are built for: the zone of their days and the norms of the service
    level (answered within `sl_s`) and of long calls (over `long_call_s`)."""

    zone: ZoneInfo = UTC_ZONE
    sl_s: int = DEFAULT_SL_S
    long_call_s: int = DEFAULT_LONG_CALL_S

    @property
    def norms(self) -> tuple[int, int]:
        return self.sl_s, self.long_call_s


# The sums the rollup tables had when migrations 6 and 7 created them; later sums are
# columns that a later migration adds (12: the per-leg counts).
_V6_CALL_SUMS = CALL_SUMS[:14]
_V7_REPORT_SUMS = (*_V6_CALL_SUMS, *STATE_SUMS[:5], *EVALUATION_SUMS)
LEG_SUMS = CALL_SUMS[14:]

SCHEMA = (
    """
CREATE TABLE report_rollups (tz TEXT NOT NULL, built_us {bigint} NOT NULL);
INSERT INTO report_rollups (tz, built_us) VALUES ('UTC', 0);
CREATE TABLE report_day_calls (
    day_us {bigint} NOT NULL, agent TEXT NOT NULL, queue TEXT,
    """
    + ",\n    ".join(f"{name} {{bigint}} NOT NULL" for name in _V6_CALL_SUMS)
    + """
);
CREATE INDEX report_day_calls_day ON report_day_calls (day_us, agent);
CREATE TABLE report_day_states (
    day_us {bigint} NOT NULL, agent TEXT NOT NULL, state TEXT NOT NULL, reason TEXT,
    us {bigint} NOT NULL
);
CREATE INDEX report_day_states_day ON report_day_states (day_us, agent);
CREATE INDEX calls_wrap_open ON calls (wrap_open_us) WHERE wrap_open_us IS NOT NULL
"""
)
# Migration 7: the QA evaluations per (local day, agent, queue), and one row per (local day,
# agent) recomputed from the three tables. It leaves the rollups to be rebuilt (`UNBUILT`):
# by `serve` at start, in the zone it is given.
UNBUILT = ""
AGENT_DAYS_SCHEMA = (
    """
CREATE TABLE report_day_evaluations (
    day_us {bigint} NOT NULL, agent TEXT NOT NULL, queue TEXT,
    evaluations {bigint} NOT NULL, score_centi {bigint} NOT NULL
);
CREATE INDEX report_day_evaluations_day ON report_day_evaluations (day_us, agent);
CREATE TABLE report_day_agents (
    day_us {bigint} NOT NULL, agent TEXT NOT NULL,
    """
    + ",\n    ".join(f"{name} {{bigint}} NOT NULL" for name in _V7_REPORT_SUMS)
    + f"""
);
CREATE UNIQUE INDEX report_day_agents_day ON report_day_agents (day_us, agent);
UPDATE report_rollups SET tz = '{UNBUILT}', built_us = 0
"""
)


# Migration 12: customer calls and their legs (store/legs.py). Calls stored before it count
# as before, each its own customer call (a later write of one regroups it with its legs);
# the rollups gain the per-leg sums and are left to be rebuilt.
LEGS_SCHEMA = (
    """
ALTER TABLE calls ADD COLUMN pbx_call_id TEXT;
ALTER TABLE calls ADD COLUMN refusal TEXT;
ALTER TABLE calls ADD COLUMN customer TEXT;
ALTER TABLE calls ADD COLUMN leg TEXT;
ALTER TABLE calls ADD COLUMN offer INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN offer_answered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN offer_abandoned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN offer_wait_us {bigint};
ALTER TABLE calls ADD COLUMN offer_waited INTEGER NOT NULL DEFAULT 0;
CREATE INDEX calls_customer ON calls (customer) WHERE customer IS NOT NULL;
CREATE INDEX calls_pbx_call_id ON calls (pbx_call_id) WHERE pbx_call_id IS NOT NULL;
UPDATE calls SET customer = 'c:' || id, offer = 1,
    leg = CASE WHEN answered_us IS NOT NULL THEN 'answered' ELSE 'missed' END,
    offer_answered = CASE WHEN answered_us IS NOT NULL THEN 1 ELSE 0 END,
    offer_abandoned = CASE WHEN answered_us IS NULL AND ended_by = 'remote' THEN 1 ELSE 0 END,
    offer_wait_us = CASE WHEN answered_us IS NOT NULL
        THEN COALESCE(queue_wait_us, 0) + answered_us - started_us END,
    offer_waited = CASE WHEN answered_us IS NOT NULL AND queue_wait_us IS NOT NULL
        THEN 1 ELSE 0 END
    WHERE direction = 'inbound';
"""
    + ";\n".join(
        f"ALTER TABLE {table} ADD COLUMN {name} {{bigint}} NOT NULL DEFAULT 0"
        for table in ("report_day_calls", "report_day_agents")
        for name in LEG_SUMS
    )
    + f""";
UPDATE report_rollups SET tz = '{UNBUILT}', built_us = 0
"""
)


# Migration 22: time in the Outbound state per (local day, agent); rebuilt like 20.
OUTBOUND_SCHEMA = f"""
ALTER TABLE report_day_agents ADD COLUMN outbound_us {{bigint}} NOT NULL DEFAULT 0;
UPDATE report_rollups SET tz = '{UNBUILT}', built_us = 0
"""


# Migration 20: the talk measured in transcripts per (local day, agent, queue), and the same
# in report_day_agents; the rollups are left to be rebuilt.
TALK_SCHEMA = (
    """
CREATE TABLE report_day_transcripts (
    day_us {bigint} NOT NULL, agent TEXT NOT NULL, queue TEXT,
    """
    + ",\n    ".join(f"{name} {{bigint}} NOT NULL" for name in TRANSCRIPT_SUMS)
    + """
);
CREATE INDEX report_day_transcripts_day ON report_day_transcripts (day_us, agent);
"""
    + ";\n".join(
        f"ALTER TABLE report_day_agents ADD COLUMN {name} {{bigint}} NOT NULL DEFAULT 0"
        for name in TRANSCRIPT_SUMS
    )
    + f""";
UPDATE report_rollups SET tz = '{UNBUILT}', built_us = 0
"""
)


def _calls_insert(day: str, where: str, basis: Basis) -> str:
    sums = call_sums(basis.sl_s, basis.long_call_s, None)
    return (
        f"INSERT INTO report_day_calls (day_us, agent, queue, {', '.join(CALL_SUMS)}) "
        f"SELECT {day} AS day_us, c.agent, c.queue, {', '.join(sums)} FROM calls c "
        f"WHERE {where} GROUP BY 1, 2, 3"
    )


def _states_insert(zone: ZoneInfo, lo: int, hi: int, where: str, keep: str = "") -> str:
    """Each state interval (to its next change, at most STATE_CAP) cut at local midnight
    into at most two pieces, summed per (day, agent, state, reason)."""
    end = (
        f"(CASE WHEN s.next_us IS NULL OR s.next_us - s.at_us > {STATE_CAP} "
        f"THEN s.at_us + {STATE_CAP} ELSE s.next_us END)"
    )
    span = (
        f"SELECT s.agent, s.state, s.reason, s.at_us, {end} AS e FROM agent_states s "
        f"WHERE s.state <> 'offline' AND {where}"
    )
    cut = (
        f"SELECT x.agent, x.state, x.reason, x.at_us, x.e, {day_sql('x.at_us', zone, lo, hi)} "
        f"AS da, {day_sql('x.e - 1', zone, lo, hi)} AS de FROM ({span}) x WHERE x.e > x.at_us"
    )
    pieces = (
        "SELECT p.da AS day_us, p.agent, p.state, p.reason, "
        "(CASE WHEN p.de = p.da THEN p.e ELSE p.de END) - p.at_us AS us FROM p "
        "UNION ALL SELECT p.de, p.agent, p.state, p.reason, p.e - p.de FROM p WHERE p.de <> p.da"
    )
    return (
        f"WITH p AS ({cut}) INSERT INTO report_day_states (day_us, agent, state, reason, us) "
        f"SELECT q.day_us, q.agent, q.state, q.reason, CAST(SUM(q.us) AS BIGINT) "
        f"FROM ({pieces}) q {keep}GROUP BY q.day_us, q.agent, q.state, q.reason"
    )


def _evaluations_insert(day: str, where: str) -> str:
    """The evaluation sums of the calls `c` matching `where`, per (day, agent, queue)."""
    return (
        "INSERT INTO report_day_evaluations (day_us, agent, queue, evaluations, score_centi) "
        f"SELECT {day} AS day_us, c.agent, c.queue, {', '.join(evaluation_sums())} "
        f"FROM evaluations ev JOIN calls c ON c.id = ev.call_id WHERE {where} GROUP BY 1, 2, 3"
    )


def _transcripts_insert(day: str, where: str) -> str:
    """The talk sums of the transcribed calls `c` matching `where`, per (day, agent, queue)."""
    return (
        f"INSERT INTO report_day_transcripts (day_us, agent, queue, {', '.join(TRANSCRIPT_SUMS)}) "
        f"SELECT {day} AS day_us, c.agent, c.queue, {', '.join(transcript_sums())} "
        f"FROM transcripts t JOIN calls c ON c.id = t.call_id WHERE {where} GROUP BY 1, 2, 3"
    )


# The rollups recomputed with each call's group besides its calls: (table, its insert).
_CALL_GROUP_TABLES = (
    ("report_day_evaluations", _evaluations_insert),
    ("report_day_transcripts", _transcripts_insert),
)


def agent_days_insert(where: str = "1 = 1") -> str:
    """Rows of report_day_agents from the calls, states, evaluations and transcripts rollups
    `r` matching `where` (the same condition is written four times: give its parameters
    four times)."""
    states = state_time_in("r.us", "r.state")
    branches = [
        sums_row(["r.day_us AS day_us", "r.agent AS agent"], {n: f"r.{n}" for n in names})
        + f" FROM {table} r WHERE {where}"
        for table, names in (("report_day_calls", CALL_SUMS),
                             ("report_day_evaluations", EVALUATION_SUMS),
                             ("report_day_transcripts", TRANSCRIPT_SUMS))
    ]  # fmt: skip
    summed = {n: e.rsplit(" AS ", 1)[0] for n, e in zip(STATE_SUMS, states, strict=True)}
    branches.append(
        sums_row(["r.day_us AS day_us", "r.agent AS agent"], summed)
        + f" FROM report_day_states r WHERE {where} GROUP BY r.day_us, r.agent"
    )
    union = " UNION ALL ".join(f"SELECT {b}" for b in branches)
    return (
        f"INSERT INTO report_day_agents (day_us, agent, {', '.join(REPORT_SUMS)}) "
        f"SELECT u.day_us, u.agent, "
        f"{', '.join(f'CAST(SUM(u.{n}) AS BIGINT)' for n in REPORT_SUMS)} "
        f"FROM ({union}) u GROUP BY u.day_us, u.agent"
    )


def backfill_statements(basis: Basis, lo: int, hi: int) -> list[str]:
    """Fill both empty rollup tables of migration 6 from every call and state with times
    in [lo, hi] (report_day_agents follows from them: `agent_days_insert`)."""
    zone = basis.zone
    return [
        _calls_insert(day_sql("c.started_us", zone, lo, hi), "1 = 1", basis),
        _states_insert(zone, lo, hi + STATE_CAP, "1 = 1"),
    ]


def current(db: Database, lock: bool = False) -> Basis | None:
    """What the rollups are built for (None: not built). `lock`: for writers on PostgreSQL,
    wait for a rebuild in progress and keep the basis until commit."""
    share = " FOR SHARE" if lock and db.dialect == "postgresql" else ""
    row = db.one(f"SELECT tz, sl_s, long_call_s FROM report_rollups{share}")
    if not row or row["tz"] == UNBUILT:
        return None
    return Basis(zone_named(row["tz"]), int(row["sl_s"]), int(row["long_call_s"]))


def ensure(db: Database, basis: Basis) -> float | None:
    """Rebuild the rollups unless they are built for `basis`; the seconds it took."""
    if (built := current(db)) is not None and built == basis:
        return None
    return rebuild(db, basis)


def rebuild(db: Database, basis: Basis) -> float:
    """Recompute every rollup table for `basis` in one transaction (writers wait for it)."""
    start = time.perf_counter()
    zone = basis.zone
    with db.transaction():
        db.execute(
            "UPDATE report_rollups SET tz = ?, sl_s = ?, long_call_s = ?, built_us = ?",
            (zone.key, basis.sl_s, basis.long_call_s, time.time_ns() // 1000),
        )
        db.execute("DELETE FROM report_day_calls")
        db.execute("DELETE FROM report_day_states")
        db.execute("DELETE FROM report_day_evaluations")
        db.execute("DELETE FROM report_day_transcripts")
        db.execute("DELETE FROM report_day_agents")
        span = db.one(
            "SELECT MIN(lo) AS lo, MAX(hi) AS hi FROM (SELECT MIN(started_us) AS lo, "
            "MAX(started_us) AS hi FROM calls UNION ALL SELECT MIN(at_us), MAX(at_us) "
            "FROM agent_states) x"
        )
        if span and span["lo"] is not None:
            lo, hi = int(span["lo"]), int(span["hi"])
            for statement in backfill_statements(basis, lo, hi):
                db.execute(statement)
            for _, insert in _CALL_GROUP_TABLES:
                db.execute(insert(day_sql("c.started_us", zone, lo, hi), "1 = 1"))
            db.execute(agent_days_insert())
    return time.perf_counter() - start


def _lock(db: Database, key: str) -> None:
    """Serialise writers recomputing one group (PostgreSQL; SQLite has one writer)."""
    if db.dialect == "postgresql":
        db.query("SELECT pg_advisory_xact_lock(4242002, hashtext(?))", (key,))


def refresh_call_group(db: Database, started_us: int, agent: str, queue: str | None) -> None:
    """Recompute the calls rollup of the group holding a call with these columns."""
    basis = current(db, lock=True)
    if basis is None:
        return
    zone = basis.zone
    day = day_start(zone, started_us)
    _lock(db, f"agent-days|{agent}")  # first: a writer of several groups takes them in order
    _lock(db, f"calls|{day}|{agent}|{queue}")
    same_queue = "queue IS NULL" if queue is None else "queue = ?"
    params: list[Any] = [day, agent, *([] if queue is None else [queue])]
    db.execute(
        f"DELETE FROM report_day_calls WHERE day_us = ? AND agent = ? AND {same_queue}", params
    )
    where = f"c.agent = ? AND c.started_us >= ? AND c.started_us < ? AND c.{same_queue}"
    where_params = [agent, day, next_day(zone, day), *([] if queue is None else [queue])]
    db.execute(_calls_insert(str(day), where, basis), where_params)
    for table, insert in _CALL_GROUP_TABLES:
        db.execute(f"DELETE FROM {table} WHERE day_us = ? AND agent = ? AND {same_queue}", params)
        db.execute(insert(str(day), where), where_params)
    _refresh_agent_rows(db, agent, [day])


CallGroup = tuple[int, str, str | None]  # a call's (started_us, agent, queue)


def refresh_call_groups(db: Database, groups: Iterable[CallGroup]) -> None:
    """Recompute the calls rollups of several groups (each given by one of its calls), one
    agent after the other in name order: two writers touching the same agents' rollups
    then wait for each other rather than deadlock."""
    for started_us, agent, queue in sorted(set(groups), key=lambda g: (g[1], g[0], g[2] or "")):
        refresh_call_group(db, started_us, agent, queue)


def refresh_call(db: Database, call_id: str) -> None:
    row = db.one("SELECT started_us, agent, queue FROM calls WHERE id = ?", (call_id,))
    if row is not None:
        refresh_call_group(db, row["started_us"], row["agent"], row["queue"])


def refresh_agent_days(db: Database, agent: str, lo: int, hi: int) -> None:
    """Recompute the agent's state rollups of the local days overlapping [lo, hi). Call with
    the agent's changes serialised (store/report_columns.link_state)."""
    basis = current(db, lock=True)
    if basis is None:
        return
    zone = basis.zone
    touched = days(zone, lo, hi)
    first, end = touched[0], next_day(zone, touched[-1])
    marks = ", ".join("?" for _ in touched)
    db.execute(
        f"DELETE FROM report_day_states WHERE agent = ? AND day_us IN ({marks})", [agent, *touched]
    )
    where = f"s.agent = ? AND s.at_us >= {first - STATE_CAP} AND s.at_us < {end}"
    keep = f"WHERE q.day_us IN ({', '.join(str(d) for d in touched)}) "
    db.execute(_states_insert(zone, first - STATE_CAP, end + STATE_CAP, where, keep), [agent])
    _refresh_agent_rows(db, agent, touched)


def _refresh_agent_rows(db: Database, agent: str, touched: list[int]) -> None:
    """Recompute the agent's report_day_agents rows of these days from the other two
    rollups (which the caller has just brought up to date). Every writer of one agent's
    rows takes the same lock, so two transactions never rebuild one row from two views."""
    _lock(db, f"agent-days|{agent}")
    marks = ", ".join("?" for _ in touched)
    db.execute(
        f"DELETE FROM report_day_agents WHERE agent = ? AND day_us IN ({marks})", [agent, *touched]
    )
    where = f"r.agent = ? AND r.day_us IN ({marks})"
    db.execute(agent_days_insert(where), [agent, *touched] * 4)

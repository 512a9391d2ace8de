"""Historical reports over calls, agent states and QA, on SQLite and PostgreSQL.

Every metric is defined once, in METRICS (name → formula) and in the code below: each group's
call sums (store/report_sql.CALL_SUMS) and state time (STATE_SUMS) are added up, and
`_call_metrics` / `_state_metrics` derive every metric from those sums; store/README.md
("Metrics") documents the same formulas. The sums come from the per-day rollups
(store/rollups.py) for the whole local days of the store's reporting zone that have ended,
and from the raw rows (store/report_sql.py) for anything else: hours, other offsets, parts
of days, today. Both give the same sums, so a report reads the same whichever is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from store import rollups
from store.db import Database
from store.errors import Forbidden, Invalid
from store.report_sql import (
    CALL_SUMS,
    SECOND,
    STATE_CAP,
    STATE_SUMS,
    ReportQuery,
    call_sql,
    evaluation_sql,
    reason_sql,
    state_sql,
    state_time_in,
)
from store.users import Principal, now_us

__all__ = ["METRICS", "ReportQuery", "calls_report", "occupancy_last", "states_report"]
KEYS = ("agent", "queue", "bucket_us")

# name: formula (the documentation of each metric; the SQL is in store/report_sql.py)
METRICS: dict[str, str] = {
    "offered": "inbound calls",
    "answered": "inbound calls with answered_us",
    "missed": "inbound calls without answered_us",
    "abandoned": "missed calls the caller hung up (ended_by = remote)",
    "outbound": "outbound calls",
    "handled": "calls with answered_us, any direction",
    "talk_s": "Σ over handled calls of (ended_us − answered_us − hold)",
    "hold_s": "Σ hold time of handled calls (each hold until its end or the call's end)",
    "wrap_s": "Σ wrap_up state intervals whose call_id is a call of the group",
    "handle_s": "talk_s + hold_s + wrap_s",
    "avg_talk_s": "talk_s / handled",
    "avg_hold_s": "hold_s / handled",
    "avg_wrap_s": "wrap_s / handled",
    "avg_handle_s": "handle_s / handled",
    "answered_pct": "100 × answered / offered",
    "missed_pct": "100 × missed / offered",
    "avg_wait_s": "mean of (queue_wait_s + answered_us − started_us) over answered inbound "
    "calls whose PBX supplied queue_wait_s",
    "service_level_pct": "100 × answered inbound calls with queue_wait_s (0 if not supplied) "
    "+ ring time ≤ sl_s / offered",
    "long_calls": "handled calls with ended_us − answered_us > long_call_s",
    "screen_pct": "100 × handled calls with a screen recording / handled",
    "evaluations": "QA evaluations of the group's calls",
    "qa_avg_pct": "mean score_pct of those evaluations",
    "logged_in_s": "time in any state but offline (agent, day and hour groups only)",
    "ready_s": "time in ready",
    "not_ready_s": "time in not_ready (every reason; the states report splits them)",
    "break_s": "time in break",
    "busy_s": "time in on_call or wrap_up",
    "occupancy_pct": "100 × busy_s / logged_in_s",
}
STATE_METRICS = ("logged_in_s", "ready_s", "not_ready_s", "break_s", "busy_s", "occupancy_pct")
_WRAP = CALL_SUMS.index("wrap_us")

Key = tuple[Any, ...]


def _s(us: int) -> float:
    """µs as seconds to the millisecond (half up), in integers: exact and quick."""
    return (us + 500) // 1000 / 1000


def _avg_s(us: int, n: int) -> float | None:
    """us / n in seconds to the millisecond (half up); None for no n."""
    return (2 * us + n * 1000) // (2 * n * 1000) / 1000 if n else None


def _pct(part: int, whole: int) -> float | None:
    """100 × part / whole to three decimals (half up); None for no whole."""
    return (200_000 * part + whole) // (2 * whole) / 1000 if whole else None


def _call_metrics(s: Sequence[int], evaluations: int, score_sum: float) -> list[Any]:
    """Every call metric of METRICS, in order, from one group's CALL_SUMS (the arithmetic of
    `_s`, `_avg_s` and `_pct` written out: this runs for every row of a year's report)."""
    _, offered, answered, abandoned, outbound, handled, talk, hold, wrap = s[:9]
    wait, waited, in_sl, long_calls, screened = s[9:]
    handle = talk + hold + wrap
    missed = offered - answered
    row: list[Any] = [
        offered,
        answered,
        missed,
        abandoned,
        outbound,
        handled,
        (talk + 500) // 1000 / 1000,
        (hold + 500) // 1000 / 1000,
        (wrap + 500) // 1000 / 1000,
        (handle + 500) // 1000 / 1000,
    ]
    if handled:
        half, per = handled * 1000, handled * 2000
        row += [
            (2 * talk + half) // per / 1000,
            (2 * hold + half) // per / 1000,
            (2 * wrap + half) // per / 1000,
            (2 * handle + half) // per / 1000,
        ]
    else:
        row += [None, None, None, None]
    if offered:
        twice = 2 * offered
        row += [
            (200_000 * answered + offered) // twice / 1000,
            (200_000 * missed + offered) // twice / 1000,
            _avg_s(wait, waited),
            (200_000 * in_sl + offered) // twice / 1000,
        ]
    else:
        row += [None, None, _avg_s(wait, waited), None]
    row += [
        long_calls,
        _pct(screened, handled),
        evaluations,
        round(score_sum / evaluations, 3) if evaluations else None,
    ]
    return row


def _state_metrics(s: Sequence[int]) -> list[Any]:
    """The STATE_METRICS, in order, from one group's STATE_SUMS."""
    logged, ready, not_ready, on_break, busy = s
    return [
        (logged + 500) // 1000 / 1000,
        (ready + 500) // 1000 / 1000,
        (not_ready + 500) // 1000 / 1000,
        (on_break + 500) // 1000 / 1000,
        (busy + 500) // 1000 / 1000,
        (200_000 * busy + logged) // (2 * logged) / 1000 if logged else None,
    ]


def _query(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Run one report query. PostgreSQL's JIT would spend longer compiling these one-off
    aggregates than it saves (seen in EXPLAIN ANALYZE: 0.5–0.8 s per query), so it is off."""
    if db.dialect != "postgresql":
        return db.query(sql, params)
    with db.transaction():
        db.execute("SET LOCAL jit = off")
        return db.query(sql, params)


def _values(db: Database, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """`_query` with the rows as tuples (group keys first): no dict per row."""
    if db.dialect != "postgresql":
        return db.values(sql, params)
    with db.transaction():
        db.execute("SET LOCAL jit = off")
        return db.values(sql, params)


def _order(key: Key) -> tuple[Any, ...]:
    """Groups in key order, a missing key (no queue) last."""
    agent, queue, bucket = key
    return (agent is None, agent or "", queue is None, queue or "", bucket is None, bucket or 0)


def _add(into: dict[Key, Any], rows: Iterable[Sequence[Any]], n: int) -> None:
    """Add each row's sums (its values after the `n` group keys, BIGINTs) to its group's;
    SQL's one empty aggregate row (no group keys, no rows) is skipped. Each query gives a
    group once, so the first one's rows are taken as they are."""
    if not into:
        into.update((tuple(row[:n]), row[n:]) for row in rows if row[n])
        return
    for row in rows:
        if not row[n]:
            continue
        key, sums = tuple(row[:n]), row[n:]
        have = into.get(key)
        into[key] = sums if have is None else [a + b for a, b in zip(have, sums, strict=True)]


def _plan(db: Database, q: ReportQuery, now: int, norms: bool) -> tuple[Any, int] | None:
    """(zone, cut) when the rollups answer [from_us, cut) of this report (see `whole_days`);
    `norms`: the report uses the service level and long-call norms, which they hold only at
    their defaults."""
    if "hour" in q.group:
        return None
    if norms and (q.sl_s, q.long_call_s) != (rollups.DEFAULT_SL_S, rollups.DEFAULT_LONG_CALL_S):
        return None
    step_offset = q.offset if "day" in q.group else None
    return rollups.whole_days(db, q.from_us, q.to_us, now, step_offset)


def _states_apply(q: ReportQuery) -> bool:
    """Time in state belongs to agents and time, not to queues."""
    return "queue" not in q.group and q.queue is None


def _check_reader(who: Principal) -> None:
    if not who.sees_all:
        raise Forbidden("reports are for qa, supervisors and admins")


def _filters(q: ReportQuery) -> dict[str, str]:
    return {c: v for c in ("agent", "queue") if (v := getattr(q, c)) is not None}


def _present(q: ReportQuery) -> list[str]:
    """The group keys of KEYS this report has, in that order (each row's compact key)."""
    return [k for k, on in zip(KEYS, ("agent" in q.group, "queue" in q.group, q.step), strict=True)
            if on]  # fmt: skip


def _rollup_sums(
    db: Database, q: ReportQuery, zone: Any, cut: int, now: int
) -> tuple[dict[Key, Any], dict[Key, Any]]:
    """Call and state sums of [from_us, cut) from the rollups, open wrap-ups added."""
    keys = _present(q)
    calls: dict[Key, Any] = {}
    _add(calls, rollups.read_calls(db, keys, q.from_us, cut, _filters(q)), len(keys))
    for row in rollups.open_wraps(db, q.from_us, cut, _filters(q)):
        values = {
            "agent": row["agent"],
            "queue": row["queue"],
            "bucket_us": rollups.day_start(zone, row["started_us"]) if q.step else None,
        }
        key = tuple(values[k] for k in keys)
        opened = int(row["wrap_open_us"])
        sums = list(calls.get(key) or [0] * len(CALL_SUMS))
        sums[_WRAP] += 0 if opened > now else min(now - opened, STATE_CAP)
        calls[key] = sums
    states: dict[Key, Any] = {}
    if _states_apply(q):
        select = [s for s, g in (("r.agent AS agent", "agent"), ("r.day_us AS bucket_us", "day"))
                  if g in q.group]  # fmt: skip
        sums = state_time_in("r.us", "r.state")
        _add(states, rollups.read_states(db, select, sums, q.from_us, cut, q.agent), len(select))
    return calls, states


def calls_report(
    db: Database, q: ReportQuery, who: Principal, use_rollups: bool = True
) -> dict[str, Any]:
    """One row per group with every metric of METRICS: `fields` names the values of each
    row (the group keys agent, queue, bucket_us, then `columns`). Groups are keyed by the
    keys the report has (`_present`) and get the others (None) when the row is built."""
    _check_reader(who)
    q.check()
    now = now_us()
    plan = _plan(db, q, now, norms=True) if use_rollups else None
    present = _present(q)
    n = len(present)
    calls: dict[Key, Any] = {}
    states: dict[Key, Any] = {}
    raw_from = q.from_us
    if plan is not None:
        calls, states = _rollup_sums(db, q, *plan, now)
        raw_from = plan[1]
    if raw_from < q.to_us:
        raw = replace(q, from_us=raw_from)
        _add(calls, _values(db, *call_sql(raw, now)), n)
        if _states_apply(q):
            _add(states, _values(db, *state_sql(raw, now)), n)
    scores = {tuple(r[:n]): (int(r[n]), float(r[n + 1])) for r in _values(db, *evaluation_sql(q))}
    no_calls = _call_metrics([0] * len(CALL_SUMS), 0, 0.0)  # zero counts, no averages
    no_states = [None] * len(STATE_METRICS)
    no_score = (0, 0.0)
    at = [present.index(k) if k in present else None for k in KEYS]

    def full(key: Key) -> list[Any]:
        return [None if i is None else key[i] for i in at]

    keys = calls.keys() | states.keys()
    # Only the queue mixes None (no queue) with names; other keys sort as they are, quicker.
    ordered = (
        sorted(keys, key=lambda k: _order(tuple(full(k)))) if "queue" in q.group else sorted(keys)
    )
    rows = []
    for key in ordered:
        sums = calls.get(key)
        row = full(key)
        row += no_calls if sums is None else _call_metrics(sums, *scores.get(key, no_score))
        state = states.get(key)
        row += no_states if state is None else _state_metrics(state)
        rows.append(row)
    return _report(q, list(METRICS), [*KEYS, *METRICS], rows, plan, raw_from)


def _report(
    q: ReportQuery,
    columns: list[str],
    fields: list[str],
    rows: list[list[Any]],
    plan: tuple[Any, int] | None,
    raw_from: int,
) -> dict[str, Any]:
    parts = (["rollups"] if plan else []) + (["raw"] if raw_from < q.to_us else [])
    return {
        "group": list(q.group),
        "from_us": q.from_us,
        "to_us": q.to_us,
        "tz_offset_min": q.tz_offset_min,
        "source": "+".join(parts),
        "columns": columns,
        "fields": fields,
        "rows": rows,
    }


def states_report(
    db: Database, q: ReportQuery, who: Principal, use_rollups: bool = True
) -> dict[str, Any]:
    """Time in each state and reason per group (not per queue: states have none)."""
    _check_reader(who)
    q.check()
    if not _states_apply(q):
        raise Invalid("time in state is per agent and time, not per queue")
    now = now_us()
    plan = _plan(db, q, now, norms=False) if use_rollups else None
    totals: dict[tuple[Any, ...], int] = {}
    raw_from = q.from_us

    agent_at = 0 if "agent" in q.group else None
    bucket_at = (1 if "agent" in q.group else 0) if q.step else None

    def add(rows: Iterable[Sequence[Any]]) -> None:
        """Rows (keys as in `agent_at`, `bucket_at`, then state, reason, µs)."""
        for r in rows:
            agent = None if agent_at is None else r[agent_at]
            bucket = None if bucket_at is None else int(r[bucket_at])
            key = (agent, bucket, r[-3], r[-2])
            totals[key] = totals.get(key, 0) + int(r[-1])

    if plan is not None:
        select = [s for s, g in (("r.agent AS agent", "agent"), ("r.day_us AS bucket_us", "day"))
                  if g in q.group]  # fmt: skip
        select += ["r.state AS state", "r.reason AS reason"]
        sums = ["CAST(SUM(r.us) AS BIGINT) AS us"]
        add(rollups.read_states(db, select, sums, q.from_us, plan[1], q.agent))
        raw_from = plan[1]
    if raw_from < q.to_us:
        add(_values(db, *reason_sql(replace(q, from_us=raw_from), now)))
    keys = (["agent"] if "agent" in q.group else []) + (["bucket_us"] if q.step else [])
    rows = []
    for (agent, bucket, state, reason), us in sorted(
        totals.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or 0, kv[0][2], kv[0][3] or "")
    ):
        group = {"agent": agent, "bucket_us": bucket}
        rows.append([*(group[k] for k in keys), state, reason, _s(us)])
    fields = [*keys, "state", "reason", "seconds"]
    return _report(q, ["state", "reason", "seconds"], fields, rows, plan, raw_from)


def occupancy_last(db: Database, window_us: int = 600 * SECOND) -> dict[str, float | None]:
    """Each agent's occupancy over the last `window_us` (the live board's figure)."""
    now = now_us()
    q = ReportQuery(from_us=now - window_us, to_us=now, group=("agent",))
    rows = _query(db, *state_sql(q, now))
    return {
        r["agent"]: _state_metrics([int(r[n]) for n in STATE_SUMS])[-1]
        for r in rows
        if r["logged_in_us"]
    }

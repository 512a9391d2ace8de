"""Historical reports over calls, agent states and QA, on SQLite and PostgreSQL.

Every metric is defined once, in store/report_metrics.py (METRICS: name → formula, and the
same in SQL), and computed in the database: a calls report is one statement that adds up
each group's sums (store/report_sql.REPORT_SUMS) from its sources, derives every metric from
them and orders the groups. The sums come from the per-day rollups (store/rollups.py, read
through store/rollup_reads.py) for the whole local days of the store's reporting zone that
have ended, and from the raw rows (store/report_sql.py) for anything else: hours, other
offsets, parts of days, today. Both give the same sums, so a report reads the same whichever
is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from store import rollup_reads, rollups
from store.db import Database
from store.errors import Forbidden, Invalid
from store.report_metrics import METRICS, metric_sql, percent
from store.report_sql import (
    REPORT_SUMS,
    SECOND,
    ReportQuery,
    call_source,
    evaluation_source,
    reason_sql,
    state_source,
    state_sql,
    transcript_source,
    with_clause,
)
from store.users import Principal, now_us

__all__ = [
    "METRICS",
    "ReportQuery",
    "calls_report",
    "occupancy_last",
    "states_report",
]
KEYS = ("agent", "queue", "bucket_us")
Source = tuple[str, list[Any]]  # SQL giving keys then REPORT_SUMS, and its parameters
EXTRA = "extra_sums"  # `_joined`'s CTE


def _s(us: int) -> float:
    """µs as seconds to the millisecond (half up), in integers: exact and quick."""
    return (us + 500) // 1000 / 1000


def _values(db: Database, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run one report query; its rows as tuples (no dict per row). PostgreSQL's JIT would
    spend longer compiling these one-off aggregates than it saves (seen in EXPLAIN ANALYZE:
    0.5–0.8 s per query), so it is off."""
    if db.dialect != "postgresql":
        return db.values(sql, params)
    with db.transaction():
        db.execute("SET LOCAL jit = off")
        return db.values(sql, params)


def _plan(db: Database, q: ReportQuery, now: int, norms: bool) -> tuple[rollups.Basis, int] | None:
    """(basis, cut) when the rollups answer [from_us, cut) of this report (see
    `whole_days`); `norms`: the report uses the service level and long-call norms, which the
    rollups hold only at the store's (`serve --report-sl-s`, `--report-long-call-s`)."""
    if "hour" in q.group:
        return None
    step_offset = q.offset if "day" in q.group else None
    plan = rollup_reads.whole_days(db, q.from_us, q.to_us, now, step_offset)
    if plan is not None and norms and (q.sl_s, q.long_call_s) != plan[0].norms:
        return None
    return plan


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


def calls_report(
    db: Database, q: ReportQuery, who: Principal, use_rollups: bool = True
) -> dict[str, Any]:
    """One row per group with every metric of METRICS: `fields` names the values of each
    row (the group keys agent, queue, bucket_us — None for those the report has not — then
    `columns`). One statement: the sums of each source (rollups, open wrap-ups, raw calls
    and states, evaluations) added up per group, the metrics derived, the groups ordered."""
    _check_reader(who)
    q.check()
    now = now_us()
    plan = _plan(db, q, now, norms=True) if use_rollups else None
    keys = _present(q)
    filters = _filters(q)
    base: Source | None = None
    sources: list[Source] = []
    ctes: list[str] = []
    raw_from = q.from_us
    if plan is not None:
        basis, raw_from = plan
        rolled = rollup_reads.sums_sources(keys, q.from_us, raw_from, filters)
        if rollup_reads.one_row_per_group(keys, filters):
            base = rolled[0]
        else:
            sources += rolled
        sources.append(
            rollup_reads.open_wraps_source(keys, basis.zone, q.from_us, raw_from, now, filters)
        )
    if raw_from < q.to_us:
        raw = replace(q, from_us=raw_from)
        sources += [call_source(raw, now), evaluation_source(raw), transcript_source(raw)]
        if _states_apply(q):
            state_ctes, sql, params = state_source(raw, now)
            ctes += state_ctes
            sources.append((sql, params))
    if base is None:
        sql, params = _added(keys, sources)
    else:  # the other sources' sums, computed once and read twice by `_joined`
        more, params = _added(keys, sources)
        ctes.append(f"{EXTRA} AS ({more})")
        sql, base_params = _joined(keys, base)
        params += base_params
    rows = _values(db, with_clause(ctes) + _finished(db.dialect, keys, sql), params)
    return _report(q, list(METRICS), [*KEYS, *METRICS], rows, plan, raw_from)


def _added(keys: list[str], sources: list[Source]) -> Source:
    """The rows of the union of `sources` (each: `keys`, then REPORT_SUMS) added up per
    group."""
    group = [f"u.{k}" for k in keys]
    sums = [f"CAST(SUM(u.{n}) AS BIGINT) AS {n}" for n in REPORT_SUMS]
    union = " UNION ALL ".join(sql for sql, _ in sources)
    sql = f"SELECT {', '.join([*group, *sums])} FROM ({union}) u"
    if keys:
        sql += f" GROUP BY {', '.join(group)}"
    return sql, [p for _, params in sources for p in params]


def _joined(keys: list[str], base: Source) -> Source:
    """`_added` when the `base` source has one row per group already (a year of day × agent
    rollups: 109,500 rows): the other sources, few rows, are added up in the CTE `EXTRA`,
    then joined to it, so the base is not summed again."""
    one, one_params = base
    on = " AND ".join(f"x.{k} = b.{k}" for k in keys)
    plus = [f"b.{n} + COALESCE(x.{n}, 0) AS {n}" for n in REPORT_SUMS]
    sql = (
        f"SELECT {', '.join([*(f'b.{k}' for k in keys), *plus])} FROM ({one}) b "
        f"LEFT JOIN {EXTRA} x ON {on} UNION ALL SELECT * FROM {EXTRA} x "
        f"WHERE NOT EXISTS (SELECT 1 FROM ({one}) b WHERE {on})"
    )
    return sql, [*one_params, *one_params]


def _finished(dialect: str, keys: list[str], sums: str) -> str:
    """Every metric from the groups' sums, in key order: by code point, a missing queue
    last. A group with neither calls nor state time (SQL's one row of an empty ungrouped
    sum) is none."""
    out = [f"t.{k}" if k in keys else f"NULL AS {k}" for k in KEYS]
    metrics = metric_sql(lambda n: f"t.{n}")
    sql = (
        f"SELECT {', '.join([*out, *metrics])} FROM ({sums}) t "
        "WHERE t.calls > 0 OR t.logged_in_us > 0"
    )
    code_points = ' COLLATE "C"' if dialect == "postgresql" else ""
    order = {
        "agent": f"t.agent{code_points}",
        "queue": f"t.queue{code_points} NULLS LAST",
        "bucket_us": "t.bucket_us",
    }
    return sql + (f" ORDER BY {', '.join(order[k] for k in keys)}" if keys else "")


def _report(
    q: ReportQuery,
    columns: list[str],
    fields: list[str],
    rows: Sequence[Sequence[Any]],
    plan: tuple[rollups.Basis, int] | None,
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
        add(rollup_reads.read_states(db, select, sums, q.from_us, plan[1], q.agent))
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
    q = ReportQuery(from_us=now - window_us, to_us=now, group=("agent",), live=True)
    ctes, sql, params = state_sql(q, now)
    occupancy = percent("t.busy_us", "t.logged_in_us")
    rows = _values(
        db,
        f"{with_clause(ctes)}SELECT t.agent, {occupancy} FROM ({sql}) t WHERE t.logged_in_us > 0",
        params,
    )
    return {agent: value for agent, value in rows}

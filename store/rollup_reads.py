"""What reports read from the per-day rollups (store/rollups.py): whether they can answer a
period, the sources of a report's sums over whole days, the wrap-ups they leave out, the state
time per day."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from store.db import Database
from store.local_days import day_sql, day_start, days, next_day
from store.report_sql import (
    CALL_SUMS,
    DAY,
    EVALUATION_SUMS,
    REPORT_SUMS,
    STATE_CAP,
    TRANSCRIPT_SUMS,
    least,
    sums_row,
)
from store.rollups import Basis, current


def whole_days(
    db: Database, lo: int, hi: int, now: int, step_offset: int | None
) -> tuple[Basis, int] | None:
    """(basis, cut) when [lo, hi) is whole local days of the rollups' zone and [lo, cut) is
    the part of them that ended by now; None if the rollups cannot answer. `step_offset`:
    grouped by day with this fixed UTC offset, which every day of [lo, cut) must have."""
    basis = current(db)
    if basis is None:
        return None
    zone = basis.zone
    if day_start(zone, lo) != lo or day_start(zone, hi) != hi:
        return None
    cut = hi if hi <= now else day_start(zone, now)
    if cut <= lo:
        return None
    if step_offset is not None:
        for day in days(zone, lo, cut):
            if (day + step_offset) % DAY or next_day(zone, day) - day != DAY:
                return None
    return basis, cut


def sums_sources(
    keys: Iterable[str], lo: int, hi: int, filters: dict[str, str]
) -> list[tuple[str, list[Any]]]:
    """The sources of a report's sums (store/report_sql.sums_row) for [lo, hi): the rows of
    report_day_agents (call, state, evaluation and talk sums), or of report_day_calls,
    report_day_evaluations and report_day_transcripts (no state time) when the report is by
    or for a queue. `keys`: of agent, queue, bucket_us (the day)."""
    keys = list(keys)
    columns = {
        "agent": "r.agent AS agent",
        "queue": "r.queue AS queue",
        "bucket_us": "r.day_us AS bucket_us",
    }
    by_queue = "queue" in keys or "queue" in filters
    tables = (
        [
            ("report_day_calls", CALL_SUMS),
            ("report_day_evaluations", EVALUATION_SUMS),
            ("report_day_transcripts", TRANSCRIPT_SUMS),
        ]
        if by_queue
        else [("report_day_agents", REPORT_SUMS)]
    )
    where, params = _where(lo, hi, filters)
    return [
        (
            f"SELECT {sums_row([columns[k] for k in keys], {n: f'r.{n}' for n in names})} "
            f"FROM {table} r WHERE {where}",
            params,
        )
        for table, names in tables
    ]


def one_row_per_group(keys: Iterable[str], filters: dict[str, str]) -> bool:
    """Whether `sums_sources` gives one source with one row per group: by agent and day, from
    report_day_agents."""
    return list(keys) == ["agent", "bucket_us"] and "queue" not in filters


def open_wraps_source(
    keys: Iterable[str], zone: ZoneInfo, lo: int, hi: int, now: int, filters: dict[str, str]
) -> tuple[str, list[Any]]:
    """The wrap-ups still open of calls started in [lo, hi) (at most one per agent), each
    counted until now (at most STATE_CAP): what the calls rollup leaves out."""
    columns = {
        "agent": "c.agent AS agent",
        "queue": "c.queue AS queue",
        "bucket_us": f"{day_sql('c.started_us', zone, lo, hi)} AS bucket_us",
    }
    wrap = least(f"{now} - c.wrap_open_us", str(STATE_CAP))
    select = sums_row(
        [columns[k] for k in keys],
        {"wrap_us": f"(CASE WHEN c.wrap_open_us > {now} THEN 0 ELSE {wrap} END)"},
    )
    where = ["c.wrap_open_us IS NOT NULL", "c.started_us >= ?", "c.started_us < ?"]
    params: list[Any] = [lo, hi]
    for column, value in filters.items():
        where.append(f"c.{column} = ?")
        params.append(value)
    return f"SELECT {select} FROM calls c WHERE {' AND '.join(where)}", params


def read_states(
    db: Database, select: list[str], sums: list[str], lo: int, hi: int, agent: str | None
) -> list[tuple[Any, ...]]:
    """Sums over the state rollups of [lo, hi) as tuples (`select`: keys over r.agent,
    r.day_us, r.state, r.reason, then `sums` over r.us)."""
    where, params = _where(lo, hi, {} if agent is None else {"agent": agent})
    sql = f"SELECT {', '.join([*select, *sums])} FROM report_day_states r WHERE {where}"
    return db.values(_group(sql, select), params)


def _where(lo: int, hi: int, filters: dict[str, str]) -> tuple[str, list[Any]]:
    where = ["r.day_us >= ?", "r.day_us < ?"]
    params: list[Any] = [lo, hi]
    for column, value in filters.items():
        where.append(f"r.{column} = ?")
        params.append(value)
    return " AND ".join(where), params


def _group(sql: str, select: list[str]) -> str:
    keys = ", ".join(k.rsplit(" AS ", 1)[0] for k in select)
    return sql + (f" GROUP BY {keys}" if keys else "")

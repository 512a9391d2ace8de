"""The queue report: what the PBX's queues did, from the queue calls the queue_log feed keeps
(store.pbx.ingest). Every metric is defined once, in words (QUEUE_METRICS, which
`GET /reports/queues/metrics` serves and store/README.md "Queue metrics" writes out) and in
SQL (`_metric_sql`) over one group's sums (`_SUMS`), with the rounding helpers of
store/report_metrics.py: durations to the millisecond, ratios to three decimals, half up, in
integer arithmetic, so SQLite and PostgreSQL give the same numbers.

A queue call belongs to the bucket (and the range) in which it *entered* the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.db import Database
from store.errors import Forbidden, Invalid
from store.report_metrics import average_s, percent, seconds
from store.users import Principal

SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR
MAX_RANGE = 400 * DAY
MAX_BUCKETS = 10_000
# Wait distribution: each bucket holds waits in [low, high) seconds.
WAIT_BUCKETS: list[tuple[str, int, int | None]] = [
    ("wait_lt_10s", 0, 10),
    ("wait_10_20s", 10, 20),
    ("wait_20_30s", 20, 30),
    ("wait_30_60s", 30, 60),
    ("wait_60_120s", 60, 120),
    ("wait_ge_120s", 120, None),
]
ENDED = "('completed', 'transferred', 'abandoned', 'timeout', 'key', 'empty')"

QUEUE_METRICS: dict[str, str] = {
    "offered": "queue calls that entered the queue (ENTERQUEUE) in the bucket",
    "answered": "offered calls an agent took (CONNECT)",
    "abandoned": "offered calls the caller hung up while waiting (ABANDON)",
    "abandoned_short": "abandoned calls that waited less than abandon_short_s",
    "timeout": "offered calls the queue let go when its timeout expired (EXITWITHTIMEOUT)",
    "exit_key": "offered calls that left by pressing a key (EXITWITHKEY)",
    "exit_empty": "offered calls that left because the queue had no agents (EXITEMPTY)",
    "transferred": "answered calls the agent transferred (TRANSFER, BLINDTRANSFER, "
    "ATTENDEDTRANSFER)",
    "waiting": "offered calls still waiting (nothing after ENTERQUEUE yet)",
    "answered_pct": "100 × answered / offered",
    "abandoned_pct": "100 × abandoned / offered",
    "avg_wait_s": "mean wait of offered calls whose wait ended (answered, abandoned or "
    "exited): the PBX's holdtime or waittime",
    "avg_answer_s": "mean wait of answered calls (average speed of answer)",
    "max_wait_s": "longest wait of an offered call whose wait ended",
    **{name: f"offered calls whose wait ended after {lo} s or more"
       + (f" and under {hi} s" if hi else "") for name, lo, hi in WAIT_BUCKETS},
    "service_level_pct": "100 × answered calls that waited ≤ sl_s / offered",
    "talk_s": "Σ talk time (the PBX's calltime) of answered calls that ended",
    "avg_talk_s": "talk_s / answered calls that ended",
    "erlangs": "load: talk_s / the bucket's length in seconds (the part of it inside "
    "[from, to); the whole range when not grouped by day or hour)",
}  # fmt: skip

_SUMS = {
    "offered": "COUNT(*)",
    "answered": "SUM(CASE WHEN connected_us IS NOT NULL THEN 1 ELSE 0 END)",
    "abandoned": "SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END)",
    "abandoned_short": "SUM(CASE WHEN outcome = 'abandoned' AND wait_us < :short "
    "THEN 1 ELSE 0 END)",
    "timeout": "SUM(CASE WHEN outcome = 'timeout' THEN 1 ELSE 0 END)",
    "exit_key": "SUM(CASE WHEN outcome = 'key' THEN 1 ELSE 0 END)",
    "exit_empty": "SUM(CASE WHEN outcome = 'empty' THEN 1 ELSE 0 END)",
    "transferred": "SUM(CASE WHEN outcome = 'transferred' THEN 1 ELSE 0 END)",
    "waiting": "SUM(CASE WHEN outcome = 'waiting' THEN 1 ELSE 0 END)",
    "waited": "SUM(CASE WHEN outcome <> 'waiting' AND wait_us IS NOT NULL THEN 1 ELSE 0 END)",
    "wait_us": "SUM(CASE WHEN outcome <> 'waiting' THEN wait_us ELSE 0 END)",
    "max_wait_us": "MAX(CASE WHEN outcome <> 'waiting' THEN wait_us END)",
    "answer_n": "SUM(CASE WHEN connected_us IS NOT NULL AND wait_us IS NOT NULL THEN 1 ELSE 0 END)",
    "answer_us": "SUM(CASE WHEN connected_us IS NOT NULL THEN wait_us ELSE 0 END)",
    "in_sl": "SUM(CASE WHEN connected_us IS NOT NULL AND wait_us <= :sl THEN 1 ELSE 0 END)",
    "talked": f"SUM(CASE WHEN connected_us IS NOT NULL AND outcome IN {ENDED} "
    "AND talk_us IS NOT NULL THEN 1 ELSE 0 END)",
    "talk_us": f"SUM(CASE WHEN connected_us IS NOT NULL AND outcome IN {ENDED} "
    "THEN talk_us ELSE 0 END)",
    **{name: "SUM(CASE WHEN outcome <> 'waiting' AND wait_us >= "
       + str(lo * SECOND) + (f" AND wait_us < {hi * SECOND}" if hi else "") + " THEN 1 ELSE 0 END)"
       for name, lo, hi in WAIT_BUCKETS},
}  # fmt: skip


def ratio(part: str, whole: str) -> str:
    """part / whole to three decimals, half up; NULL for no whole."""
    return (
        f"(CASE WHEN {whole} > 0 THEN "
        f"CAST((2000 * {part} + {whole}) / (2 * {whole}) AS DOUBLE PRECISION) / 1000 END)"
    )


def _metric_sql(period: str) -> list[str]:
    """`expr AS name` for each metric of QUEUE_METRICS, in order, over the sums of `_SUMS`
    (columns named after them) and `period` (the bucket's length in µs)."""
    exprs = {
        "offered": "offered",
        "answered": "answered",
        "abandoned": "abandoned",
        "abandoned_short": "abandoned_short",
        "timeout": "timeout",
        "exit_key": "exit_key",
        "exit_empty": "exit_empty",
        "transferred": "transferred",
        "waiting": "waiting",
        "answered_pct": percent("answered", "offered"),
        "abandoned_pct": percent("abandoned", "offered"),
        "avg_wait_s": average_s("wait_us", "waited"),
        "avg_answer_s": average_s("answer_us", "answer_n"),
        "max_wait_s": seconds("max_wait_us"),
        **{name: name for name, _, _ in WAIT_BUCKETS},
        "service_level_pct": percent("in_sl", "offered"),
        "talk_s": seconds("talk_us"),
        "avg_talk_s": average_s("talk_us", "talked"),
        "erlangs": ratio("talk_us", period),
    }
    assert list(exprs) == list(QUEUE_METRICS)
    return [f"{expr} AS {name}" for name, expr in exprs.items()]


BY = ("queue", "day", "hour")


@dataclass
class QueueReportQuery:
    from_us: int
    to_us: int
    by: tuple[str, ...] = ("queue",)
    queue: str | None = None
    sl_s: int = 20
    abandon_short_s: int = 5
    tz_offset_min: int = 0


def parse_by(text: str) -> tuple[str, ...]:
    parts = tuple(p for p in text.split(",") if p)
    bad = [p for p in parts if p not in BY]
    if bad or not parts:
        raise Invalid(f"by: {', '.join(bad) or 'nothing'} is not one of queue, day, hour")
    if "day" in parts and "hour" in parts:
        raise Invalid("by: day and hour together make no sense; pick one")
    if len(set(parts)) != len(parts):
        raise Invalid("by: a grouping is named twice")
    return parts


def queue_report(db: Database, q: QueueReportQuery, who: Principal) -> dict[str, Any]:
    """One row per group with every metric of QUEUE_METRICS, in one statement."""
    if not who.sees_all:
        raise Forbidden("queue reports are for qa, supervisors and admins")
    if q.to_us <= q.from_us:
        raise Invalid("to must be after from")
    if q.to_us - q.from_us > MAX_RANGE:
        raise Invalid("a queue report covers at most 400 days")
    step = DAY if "day" in q.by else HOUR if "hour" in q.by else None
    if step and (q.to_us - q.from_us) // step > MAX_BUCKETS:
        raise Invalid(f"at most {MAX_BUCKETS} buckets: shorten the range or use days")
    offset = q.tz_offset_min * 60 * SECOND
    params = {"short": q.abandon_short_s * SECOND, "sl": q.sl_s * SECOND}
    bucket = f"(((entered_us + {offset}) / {step}) * {step} - {offset})" if step else "0"
    queue = "queue" if "queue" in q.by else "NULL"
    where = "entered_us >= ? AND entered_us < ?"
    args: list[Any] = [q.from_us, q.to_us]
    if q.queue is not None:
        where += " AND queue = ?"
        args.append(q.queue)
    # PostgreSQL sums BIGINTs to NUMERIC: cast back so the metrics' divisions are integer ones
    sums = ", ".join(
        f"CAST({expr} AS BIGINT) AS {name}" if expr.startswith("SUM(") else f"{expr} AS {name}"
        for name, expr in _SUMS.items()
    )
    for name, value in params.items():
        sums = sums.replace(f":{name}", str(int(value)))
    if step:
        period = (
            f"((CASE WHEN bucket_us + {step} < {q.to_us} THEN bucket_us + {step} "
            f"ELSE {q.to_us} END) - (CASE WHEN bucket_us > {q.from_us} THEN bucket_us "
            f"ELSE {q.from_us} END))"
        )
    else:
        period = str(q.to_us - q.from_us)
    sql = (
        f"SELECT queue_, bucket_us, {', '.join(_metric_sql(period))} FROM ("
        f"SELECT queue_, bucket_us, {sums} FROM ("
        f"SELECT {queue} AS queue_, {bucket} AS bucket_us, outcome, wait_us, connected_us, "
        f"talk_us FROM pbx_queue_calls WHERE {where}) c GROUP BY queue_, bucket_us) s "
        "WHERE offered > 0 ORDER BY queue_, bucket_us"
    )
    rows = db.query(sql, args)
    out = []
    for row in rows:
        queue_name, bucket_us = row.pop("queue_"), row.pop("bucket_us")
        out.append({"queue": queue_name, "bucket_us": bucket_us if step else None, **row})
    return {
        "from_us": q.from_us,
        "to_us": q.to_us,
        "by": list(q.by),
        "queue": q.queue,
        "sl_s": q.sl_s,
        "abandon_short_s": q.abandon_short_s,
        "tz_offset_min": q.tz_offset_min,
        "metrics": list(QUEUE_METRICS),
        "rows": out,
    }

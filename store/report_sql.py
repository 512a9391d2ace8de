"""The exact (raw) SQL of the reports: every group's call sums and state time computed from the
calls and agent states of the range, on SQLite and PostgreSQL alike.

store/reports.py derives the metrics from these sums; store/rollups.py keeps the same call
sums per local day (`call_sums` is their one definition) and reads them for whole days.
Integer literals are built here from validated ints (never from user text) so both databases
do integer arithmetic on BIGINTs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.errors import Invalid

SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR
MAX_RANGE = 400 * DAY
MAX_BUCKETS = 10_000
GROUPS = ("agent", "queue", "day", "hour")
STEPS = {"day": DAY, "hour": HOUR}
# A state lasts until the next change, but at most this long (a desktop that died without
# posting `offline` must not count as logged in for days). Migration 4 uses the same number.
STATE_CAP = 12 * HOUR
# The per-group sums every call metric is derived from, in the order of `call_sums`.
CALL_SUMS = (
    *("calls", "offered", "answered", "abandoned", "outbound", "handled", "talk_us", "hold_us"),
    *("wrap_us", "wait_us", "waited", "in_sl", "long_calls", "screened"),
    *("missed", "presented", "refused", "elsewhere"),  # per leg (migration 12)
)
STATE_SUMS = ("logged_in_us", "ready_us", "not_ready_us", "break_us", "busy_us", "outbound_us")
# Every sum a calls report adds up per group: each source of them gives all, zeros for the
# ones it has not (`sums_row`), and store/report_metrics.py derives the metrics from them.
EVALUATION_SUMS = ("evaluations", "score_centi")
# Per group, the talk measured in the transcripts of its calls (migration 20 keeps each
# call's figures in columns of `transcripts`): calls transcribed, their audio time, each
# side's talk, silence, the sum of each call's longest silence, overtalk, operator words.
TRANSCRIPT_SUMS = (
    *("transcribed", "audio_us", "operator_talk_us", "customer_talk_us", "silence_us"),
    *("longest_silence_us", "overtalks", "overtalk_us", "operator_words"),
)
REPORT_SUMS = (*CALL_SUMS, *STATE_SUMS, *EVALUATION_SUMS, *TRANSCRIPT_SUMS)


@dataclass(frozen=True)
class ReportQuery:
    from_us: int
    to_us: int
    group: tuple[str, ...] = ("agent",)
    agent: str | None = None
    queue: str | None = None
    tz_offset_min: int = 0
    sl_s: int = 20
    long_call_s: int = 600
    # The live board's last minutes: the state each agent was in at from_us is looked up per
    # agent (every agent set_state has seen has a row in agent_current) instead of scanning
    # every state of the 12 hours before from_us (bench/centre.py: with 200 agents and a day
    # of states, 34 ms → 2 ms). Only for stores whose states all came through set_state.
    live: bool = False

    def check(self) -> None:
        if self.to_us <= self.from_us:
            raise Invalid("to_us must be after from_us")
        if self.to_us - self.from_us > MAX_RANGE:
            raise Invalid(f"a report covers at most {MAX_RANGE // DAY} days")
        unknown = [g for g in self.group if g not in GROUPS]
        if unknown:
            raise Invalid(f"unknown grouping {unknown[0]!r}: use {', '.join(GROUPS)}")
        if len(set(self.group)) != len(self.group):
            raise Invalid("a grouping is given twice")
        if "day" in self.group and "hour" in self.group:
            raise Invalid("group by day or by hour, not both")
        if self.step and (self.to_us - self.from_us) // self.step > MAX_BUCKETS:
            raise Invalid(f"too many buckets (at most {MAX_BUCKETS}): shorten the range")

    @property
    def step(self) -> int:
        return next((STEPS[g] for g in self.group if g in STEPS), 0)

    @property
    def offset(self) -> int:
        return self.tz_offset_min * 60 * SECOND


def least(a: str, b: str) -> str:
    return f"(CASE WHEN {a} < {b} THEN {a} ELSE {b} END)"


def greatest(a: str, b: str) -> str:
    return f"(CASE WHEN {a} > {b} THEN {a} ELSE {b} END)"


def call_sums(sl_s: int, long_call_s: int, now: int | None) -> list[str]:
    """`expr AS name` for each of CALL_SUMS over calls `c`. With `now`, a wrap-up still open
    counts until now (at most STATE_CAP); without, only the closed wrap-up (the rollups).
    Customer-call figures come from the leg that stands for each (`offer`, kept at write
    time by store/legs.py), per-leg ones from each inbound call's `leg`."""
    answered = "c.answered_us IS NOT NULL"
    offer = "c.offer = 1"
    waited = f"{offer} AND c.offer_waited = 1"
    wrap = "c.wrap_us"
    if now is not None:
        open_wrap = least(f"{now} - c.wrap_open_us", str(STATE_CAP))
        open_part = f"CASE WHEN c.wrap_open_us > {now} THEN 0 ELSE {open_wrap} END"
        wrap = f"c.wrap_us + (CASE WHEN c.wrap_open_us IS NULL THEN 0 ELSE {open_part} END)"
    outbound = "c.direction = 'outbound'"
    in_sl = f"{offer} AND c.offer_answered = 1 AND c.offer_wait_us <= {sl_s * SECOND}"

    def count(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    def total(value: str) -> str:
        return f"CAST(SUM({value}) AS BIGINT)"

    def leg(*outcomes: str) -> str:
        return f"c.leg IN ({', '.join(repr(o) for o in outcomes)})"

    return [
        "COUNT(*) AS calls",
        f"{count(offer)} AS offered",
        f"{count(f'{offer} AND c.offer_answered = 1')} AS answered",
        f"{count(f'{offer} AND c.offer_abandoned = 1')} AS abandoned",
        f"{count(outbound)} AS outbound",
        f"{count(answered)} AS handled",
        f"{total(f'CASE WHEN {answered} THEN c.duration_us - c.hold_us ELSE 0 END')} AS talk_us",
        f"{total(f'CASE WHEN {answered} THEN c.hold_us ELSE 0 END')} AS hold_us",
        f"{total(wrap)} AS wrap_us",
        f"{total(f'CASE WHEN {waited} THEN c.offer_wait_us ELSE 0 END')} AS wait_us",
        f"{count(waited)} AS waited",
        f"{count(in_sl)} AS in_sl",
        f"{count(f'{answered} AND c.duration_us > {long_call_s * SECOND}')} AS long_calls",
        f"{count(f'{answered} AND c.has_screen = 1')} AS screened",
        f"{count(leg('missed'))} AS missed",
        f"{count(leg('answered', 'missed', 'elsewhere'))} AS presented",
        f"{count(leg('refused'))} AS refused",
        f"{count(leg('elsewhere'))} AS elsewhere",
    ]


def _intervals(lo: int, hi: int, now: int, live: bool = False) -> str:
    """State intervals (agent, state, reason, start_us, end_us) of states changed in
    [lo − cap, hi): each lasts until the agent's next change (`next_us`, kept at write
    time), capped and not past now. `live` (ReportQuery.live): of the states before lo only
    each agent's last one, the only one that can reach into [lo, hi)."""
    cap_end = least(f"s.at_us + {STATE_CAP}", str(now))
    end = (
        f"(CASE WHEN s.next_us IS NULL OR s.next_us > {cap_end} THEN {cap_end} ELSE s.next_us END)"
    )
    pick = f"SELECT s.agent, s.state, s.reason, s.at_us AS start_us, {end} AS end_us "
    if not live:
        return f"{pick}FROM agent_states s WHERE s.at_us >= {lo - STATE_CAP} AND s.at_us < {hi}"
    last_before = (
        f"SELECT (SELECT x.id FROM agent_states x WHERE x.agent = a.agent AND x.at_us < {lo} "
        "ORDER BY x.at_us DESC, x.id DESC LIMIT 1) FROM agent_current a"
    )
    return (
        f"{pick}FROM agent_states s WHERE s.at_us >= {lo} AND s.at_us < {hi} UNION ALL "
        f"{pick}FROM agent_states s WHERE s.id IN ({last_before}) AND s.at_us >= {lo - STATE_CAP}"
    )


def _bucket(column: str, q: ReportQuery) -> str:
    off, step = q.offset, q.step
    return f"((({column} + {off}) / {step}) * {step} - {off})"


def _group_keys(q: ReportQuery) -> list[str]:
    keys: list[str] = []
    if "agent" in q.group:
        keys.append("c.agent AS agent")
    if "queue" in q.group:
        keys.append("c.queue AS queue")
    if q.step:
        keys.append(f"{_bucket('c.started_us', q)} AS bucket_us")
    return keys


def _in_range(q: ReportQuery) -> tuple[str, list[Any]]:
    where = ["c.started_us >= ?", "c.started_us < ?"]
    params: list[Any] = [q.from_us, q.to_us]
    for column in ("agent", "queue"):
        if getattr(q, column) is not None:
            where.append(f"c.{column} = ?")
            params.append(getattr(q, column))
    return " AND ".join(where), params


def sums_row(keys: list[str], values: dict[str, str]) -> str:
    """The select list of one source of a report's sums: `keys` (`expr AS name`), then each
    of REPORT_SUMS, its expression in `values` or zero."""
    return ", ".join([*keys, *(f"{values.get(n, '0')} AS {n}" for n in REPORT_SUMS)])


def _padded(sql: str, keys: list[str], names: tuple[str, ...]) -> str:
    """A grouped query's rows (`keys`, then the sums `names`) as a source of REPORT_SUMS."""
    at = [f"x.{k.rsplit(' AS ', 1)[1]} AS {k.rsplit(' AS ', 1)[1]}" for k in keys]
    return f"SELECT {sums_row(at, {n: f'x.{n}' for n in names})} FROM ({sql}) x"


def grouped(select: str, keys: list[str]) -> str:
    group_by = ", ".join(k.rsplit(" AS ", 1)[0] for k in keys)
    return select + (f" GROUP BY {group_by}" if keys else "")


def call_sql(q: ReportQuery, now: int) -> tuple[str, list[Any]]:
    """The per-group CALL_SUMS: one pass over the calls in range, no joins (wrap-up is kept
    per call at write time)."""
    keys = _group_keys(q)
    in_range, params = _in_range(q)
    sums = call_sums(q.sl_s, q.long_call_s, now)
    return grouped(
        f"SELECT {', '.join([*keys, *sums])} FROM calls c WHERE {in_range}", keys
    ), params


def call_source(q: ReportQuery, now: int) -> tuple[str, list[Any]]:
    """`call_sql` as a source of REPORT_SUMS."""
    sql, params = call_sql(q, now)
    return _padded(sql, _group_keys(q), CALL_SUMS), params


def evaluation_sums() -> list[str]:
    """`expr AS name` for each of EVALUATION_SUMS over evaluations `ev` (a score_pct is
    rounded to hundredths when stored: summed as integer hundredths, exactly)."""
    return [
        "COUNT(*) AS evaluations",
        "CAST(SUM(CAST(ROUND(ev.score_pct * 100) AS BIGINT)) AS BIGINT) AS score_centi",
    ]


def evaluation_source(q: ReportQuery) -> tuple[str, list[Any]]:
    """QA evaluations of the calls in range, per group, as a source of REPORT_SUMS."""
    keys = _group_keys(q)
    in_range, params = _in_range(q)
    select = (
        f"SELECT {', '.join([*keys, *evaluation_sums()])} "
        f"FROM evaluations ev JOIN calls c ON c.id = ev.call_id WHERE {in_range}"
    )
    return _padded(grouped(select, keys), keys, EVALUATION_SUMS), params


def transcript_sums() -> list[str]:
    """`expr AS name` for each of TRANSCRIPT_SUMS over transcripts `t`."""
    return ["COUNT(*) AS transcribed"] + [
        f"CAST(SUM(t.{column}) AS BIGINT) AS {name}"
        for column, name in zip(
            ("duration_us", *TRANSCRIPT_SUMS[2:]), TRANSCRIPT_SUMS[1:], strict=True
        )
    ]


def transcript_source(q: ReportQuery) -> tuple[str, list[Any]]:
    """The talk measured in the transcripts of the calls in range, per group, as a source of
    REPORT_SUMS."""
    keys = _group_keys(q)
    in_range, params = _in_range(q)
    select = (
        f"SELECT {', '.join([*keys, *transcript_sums()])} "
        f"FROM transcripts t JOIN calls c ON c.id = t.call_id WHERE {in_range}"
    )
    return _padded(grouped(select, keys), keys, TRANSCRIPT_SUMS), params


def _clipped(q: ReportQuery, now: int, agent_filter: str) -> str:
    """State intervals cut to the range [lo, hi): (agent, state, reason, s, e, b0), b0 being
    the start of the bucket where the cut interval begins (lo when not grouped by time)."""
    lo, hi = q.from_us, q.to_us
    start, end = greatest("i0.start_us", str(lo)), least("i0.end_us", str(hi))
    first = _bucket(start, q) if q.step else str(lo)
    return (
        f"SELECT i0.agent, i0.state, i0.reason, {start} AS s, {end} AS e, {first} AS b0 "
        f"FROM ({_intervals(lo, hi, now, q.live)}) i0 WHERE i0.end_us > {lo} "
        f"AND i0.end_us > i0.start_us AND i0.state <> 'offline'{agent_filter}"
    )


def with_clause(ctes: list[str]) -> str:
    """The WITH clause at the head of a statement for its common table expressions `ctes`
    (`name AS (…)`; RECURSIVE allows ks, harmless for the others), or nothing."""
    return f"WITH RECURSIVE {', '.join(ctes)} " if ctes else ""


def _state_keys(q: ReportQuery) -> list[str]:
    return (["i.agent AS agent"] if "agent" in q.group else []) + (
        ["i.b AS bucket_us"] if q.step else []
    )


def state_from(q: ReportQuery, now: int) -> tuple[list[str], list[str], str, list[Any]]:
    """(common table expressions, group keys, FROM clause, params) over the pieces (agent,
    state, reason, b, ov): each cut interval's time `ov` in bucket `b`. The part in the
    bucket where it begins needs no join; only intervals that run past that bucket's end (a
    state held over midnight) are joined with ks(k) = 1…K (an interval is at most STATE_CAP
    long): the CTE `ks`, which goes into the statement's WITH clause (`with_clause`)."""
    keys = _state_keys(q)
    params: list[Any] = []
    agent_filter = ""
    if q.agent is not None:
        agent_filter = " AND i0.agent = ?"
        params.append(q.agent)
    clipped = _clipped(q, now, agent_filter)
    step = q.step
    first = (
        "SELECT c.agent, c.state, c.reason, c.b0 AS b, "
        f"{least('c.e', f'c.b0 + {step}') if step else 'c.e'} - c.s AS ov FROM ({clipped}) c"
    )
    if not step:
        return [], keys, f"FROM ({first}) i", params
    later = (
        f"SELECT c.agent, c.state, c.reason, c.b0 + ks.k * {step} AS b, "
        f"{least('c.e', f'c.b0 + (ks.k + 1) * {step}')} - (c.b0 + ks.k * {step}) AS ov "
        f"FROM ({clipped}) c JOIN ks ON c.e > c.b0 + ks.k * {step} "
        f"WHERE c.e > c.b0 + {step}"
    )
    last = STATE_CAP // step + 1
    ks = f"ks (k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM ks WHERE k < {last})"
    return [ks], keys, f"FROM ({first} UNION ALL {later}) i", params * 2


def state_time_in(column: str, state: str) -> list[str]:
    """`expr AS name` for each of STATE_SUMS over rows with a µs `column` and a `state`."""

    def time_in(states: str) -> str:
        return f"CAST(SUM(CASE WHEN {state} IN ({states}) THEN {column} ELSE 0 END) AS BIGINT)"

    return [
        f"CAST(SUM({column}) AS BIGINT) AS logged_in_us",
        time_in("'ready'") + " AS ready_us",
        time_in("'not_ready'") + " AS not_ready_us",
        time_in("'break'") + " AS break_us",
        time_in("'on_call', 'wrap_up'") + " AS busy_us",
        time_in("'outbound'") + " AS outbound_us",
    ]


def state_sql(q: ReportQuery, now: int) -> tuple[list[str], str, list[Any]]:
    """Per group, the STATE_SUMS: µs in each kind of state, as (CTEs for the statement's
    WITH clause, the query, params)."""
    ctes, keys, body, params = state_from(q, now)
    sums = state_time_in("i.ov", "i.state")
    return ctes, grouped(f"SELECT {', '.join([*keys, *sums])} {body}", keys), params


def state_source(q: ReportQuery, now: int) -> tuple[list[str], str, list[Any]]:
    """`state_sql` as a source of REPORT_SUMS."""
    ctes, sql, params = state_sql(q, now)
    return ctes, _padded(sql, _state_keys(q), STATE_SUMS), params


def reason_sql(q: ReportQuery, now: int) -> tuple[str, list[Any]]:
    """Per group, state and reason, the µs in it (the states report)."""
    ctes, keys, body, params = state_from(q, now)
    group_by = ", ".join([*(k.rsplit(" AS ", 1)[0] for k in keys), "i.state", "i.reason"])
    sql = (
        f"{with_clause(ctes)}SELECT {', '.join([*keys, ''])}i.state AS state, "
        f"i.reason AS reason, CAST(SUM(i.ov) AS BIGINT) AS us {body} GROUP BY {group_by}"
    )
    return sql, params

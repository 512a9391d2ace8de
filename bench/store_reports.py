"""Report latency over 1,000,000 synthetic calls and their agent states in PostgreSQL.

Starts a throw-away PostgreSQL 15, migrates the store's schema, loads `--calls` calls with the
generator of bench/store_search.py (300 agents over a year, 10 queues) plus three state changes
per call (on_call at answer, wrap_up with the call id at the end, ready 5–60 s later) and a QA
evaluation of one answered call in 50 (~20,000; scores 50–100 %), ANALYZEs,
starts `agentdesk-store serve` on it and times `GET /reports/calls` as a supervisor through
`store.client`:

- day × agent over one day, 7 days, 30 days and the whole year (every call; the goal for
  each: ≤ 2 s);
- for information: hour × queue over a day, the states report over 7 days, the live board.

COPY bypasses the store's write path, so the columns it keeps at write time (each state's
next change, each call's wrap-up, each inbound call its own customer call) are filled by
the backfill of migrations 5 and 12, and the per-day
rollups by `store.rollups.rebuild` (what `serve` does at its first start; timed), before the
timing. The whole year is timed twice: from the rollups (what the store does) and from the
raw rows (`rollups=False`).

Prints the median and max of `--repeat` runs per report (client wall time, HTTP included),
the rows returned and the calls they cover.

    .venv/bin/python -m bench.store_reports [--calls 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.store_search import AGENTS, DAY, QUEUES, YEAR_START, loaded_database  # noqa: E402
from store import rollups  # noqa: E402
from store.client import StoreClient  # noqa: E402
from store.db import PostgresDatabase  # noqa: E402
from store.migrations import MIGRATIONS, _statements  # noqa: E402
from tests.servers.postgres import Postgres  # noqa: E402
from tests.servers.store import StoreServer  # noqa: E402

GOAL_S = 2.0


def load_states(db: PostgresDatabase) -> float:
    """Three state changes per loaded call, written with COPY in the calls' order."""
    start = time.perf_counter()
    rng = random.Random(11)
    conn = db._conn()
    columns = "agent, state, reason, at_us, recorded_us, call_id"
    with conn.cursor() as read:
        read.execute("SELECT id, agent, answered_us, ended_us FROM calls")
        while batch := read.fetchmany(100_000):
            buf = io.StringIO()
            for row in batch:  # the connection gives dict rows
                call_id, agent = row["id"], row["agent"]
                answered, ended = row["answered_us"], row["ended_us"]
                ready = ended + rng.randrange(5, 60) * 1_000_000
                buf.write(f"{agent}\ton_call\t\\N\t{answered}\t{answered}\t{call_id}\n")
                buf.write(f"{agent}\twrap_up\t\\N\t{ended}\t{ended}\t{call_id}\n")
                buf.write(f"{agent}\tready\t\\N\t{ready}\t{ready}\t\\N\n")
            with conn.cursor() as cur, cur.copy(f"COPY agent_states ({columns}) FROM STDIN") as cp:
                cp.write(buf.getvalue())
    db.execute("ANALYZE agent_states")
    return time.perf_counter() - start


def load_evaluations(db: PostgresDatabase) -> tuple[int, float]:
    """A QA evaluation of one answered call in 50 (picked by a hash of its id), 50–100 %."""
    start = time.perf_counter()
    db.execute(
        "INSERT INTO qa_forms (name, criteria, created_by, created_us) "
        "VALUES ('bench', '[]', 'sup', 0)"
    )
    form = db.one("SELECT id FROM qa_forms WHERE name = 'bench'")
    assert form is not None
    n = db.execute(
        "INSERT INTO evaluations (call_id, form_id, evaluator, scores, comments, score_pct, "
        f"created_us) SELECT id, {int(form['id'])}, 'sup', '{{}}', '[]', "
        "50 + abs(hashtext(id || 'score')) % 51, ended_us FROM calls "
        "WHERE answered_us IS NOT NULL AND abs(hashtext(id)) % 50 = 0"
    )
    db.execute("ANALYZE evaluations")
    return n, time.perf_counter() - start


def fill_report_columns(db: PostgresDatabase) -> float:
    """COPY bypasses the store's write path, so fill what it keeps at write time (each
    state's next change, each call's wrap-up, each inbound call its own customer call) with
    the backfill statements of migrations 5 and 12."""
    start = time.perf_counter()
    for sql in [sql for version, _, sql in MIGRATIONS if version in (5, 12)]:
        for statement in _statements(sql, db.dialect):
            if statement.startswith("UPDATE"):
                db.execute(statement)
    db.execute("VACUUM ANALYZE agent_states")
    db.execute("VACUUM ANALYZE calls")
    return time.perf_counter() - start


def fill_rollups(db: PostgresDatabase) -> float:
    """The per-day rollups built for UTC days (what `serve` does after migration 7), then
    ANALYZE."""
    took = rollups.rebuild(db, rollups.Basis())
    for table in ("calls", "states", "evaluations", "agents"):
        db.execute(f"VACUUM ANALYZE report_day_{table}")
    return took


def timed(name: str, repeat: int, run: Callable[[], Any]) -> float:
    times, rows, calls, evaluations, source = [], 0, 0, 0, ""
    for _ in range(repeat):
        t = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t)
        if isinstance(result, dict) and "rows" in result:
            rows = len(result["rows"])
            calls = sum(int(r.get("offered", 0) or 0) + int(r.get("outbound", 0) or 0)
                        for r in result["rows"])  # fmt: skip
            evaluations = sum(int(r.get("evaluations", 0) or 0) for r in result["rows"])
            source = result.get("source", "")
    median = statistics.median(times)
    print(
        f"{name:<34} median {median:6.3f} s  max {max(times):6.3f} s"
        f"   {rows:>7,} rows  {calls:>9,} calls  {evaluations:>6,} QA  {source}"
    )
    return median


def run(calls: int, repeat: int) -> int:
    with Postgres({"shared_buffers": "256MB", "work_mem": "32MB"}) as pg:
        url, db = loaded_database(pg, calls)
        print(f"loaded {3 * calls:,} agent states with COPY in {load_states(db):.1f} s")
        print("added {:,} QA evaluations in {:.1f} s".format(*load_evaluations(db)))
        print(
            f"filled the report columns (migration 5's backfill) in {fill_report_columns(db):.1f} s"
        )
        print(f"built the per-day rollups in {fill_rollups(db):.1f} s")
        db.close()
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
            users = {"sup": "supervisor", **dict.fromkeys(AGENTS, "agent")}
            server = StoreServer(Path(tmp), url, users=users)
            server.start()
            try:
                with StoreClient(server.base_url, server.tokens["sup"], timeout=(5, 600)) as c:
                    goals = _reports(c, repeat)
            finally:
                server.stop()
    ok = all(t <= GOAL_S for t in goals)
    print(f"goal day × agent up to the whole year <= {GOAL_S:.0f} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


def _reports(client: StoreClient, repeat: int) -> list[float]:
    rng = random.Random(5)
    day = YEAR_START + rng.randrange(300) * DAY

    def report(kind: str, days: int, group: str) -> Callable[[], Any]:
        return lambda: client.report(kind, day, day + days * DAY, group=group)  # type: ignore[arg-type]

    def report_year(kind: str, group: str) -> Callable[[], Any]:
        return lambda: client.report(kind, YEAR_START, YEAR_START + 365 * DAY, group=group)  # type: ignore[arg-type]

    goals = [
        timed("day × agent, 1 day", repeat, report("calls", 1, "day,agent")),
        timed("day × agent, 7 days", repeat, report("calls", 7, "day,agent")),
        timed("day × agent, 30 days", repeat, report("calls", 30, "day,agent")),
    ]
    timed("hour × queue, 1 day", repeat, report("calls", 1, "hour,queue"))
    timed("states by reason, 7 days", repeat, report("states", 7, "agent"))
    timed("live board (300 agents)", repeat, client.live_board)

    def year(**options: Any) -> Callable[[], Any]:
        return lambda: client.report(
            "calls", YEAR_START, YEAR_START + 365 * DAY, group="day,agent", **options
        )

    goals.append(timed("day × agent, whole year", repeat, year()))
    timed("day × agent, whole year, raw rows", repeat, year(rollups=False))
    timed("agent, whole year", repeat, report_year("calls", "agent"))
    timed("states by reason, whole year", repeat, report_year("states", "agent"))
    print(f"({len(AGENTS)} agents, {len(QUEUES)} queues)")
    return goals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    return run(args.calls, args.repeat)


if __name__ == "__main__":
    sys.exit(main())

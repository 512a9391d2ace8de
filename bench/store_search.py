"""Search latency over 1,000,000 synthetic calls in PostgreSQL, through the store's HTTP API.

Starts a throw-away PostgreSQL 15 (tests/servers/postgres.py), migrates the store's schema,
loads `--calls` synthetic calls with COPY (300 agents over a year, 200,000 caller numbers,
10 queues, dialog-card text), ANALYZEs, starts `agentdesk-store serve` on it and times
searches made with `store.client.StoreClient` as a supervisor:

- agent + date range: one agent's calls in a random 7-day window, newest first, page of 50
  with the total count;
- number: every call with a random caller number (any spelling; normalised by the server);
- for information: agent + 30 days, a queue + 1 day, and text in dialog-card values.

Prints p50/p95/max per query kind (client wall time, HTTP included) and the same queries run
straight through `store.search` (SQL only).

    .venv/bin/python -m bench.store_search [--calls 1000000] [--queries 300]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store import search  # noqa: E402
from store.client import StoreClient  # noqa: E402
from store.db import PostgresDatabase, connect  # noqa: E402
from store.migrations import migrate  # noqa: E402
from store.models import Role  # noqa: E402
from store.users import Principal  # noqa: E402
from tests.servers.postgres import Postgres  # noqa: E402
from tests.servers.store import StoreServer  # noqa: E402

GOAL_P95_MS = 100.0
DAY = 86_400_000_000
YEAR_START = 1_735_689_600_000_000  # 2025-01-01
AGENTS = [f"agent{i:03d}" for i in range(300)]
QUEUES = [f"queue{i}" for i in range(10)]
WORDS = [
    "refund",
    "upgrade",
    "tariff",
    "complaint",
    "delivery",
    "invoice",
    "roaming",
    "contract",
    "porting",
    "router",
]
COLUMNS = [
    "id",
    "agent",
    "direction",
    "local_number",
    "remote_number",
    "local_norm",
    "remote_norm",
    "queue",
    "sip_call_id",
    "started_us",
    "answered_us",
    "ended_us",
    "duration_us",
    "ended_by",
    "cause",
    "disposition",
    "karma",
    "tags",
    "has_screen",
    "evaluated",
    "card_text",
    "doc",
    "created_us",
    "updated_us",
]


def number_of(i: int) -> str:
    return f"+7912{i:07d}"


def _rows(first: int, count: int, rng: random.Random) -> io.StringIO:
    buf = io.StringIO()
    for i in range(first, first + count):
        agent = rng.choice(AGENTS)
        started = YEAR_START + rng.randrange(365 * DAY)
        answered = started + rng.randrange(1, 30) * 1_000_000
        duration = rng.randrange(5, 900) * 1_000_000
        remote = number_of(rng.randrange(200_000))
        direction = "inbound" if rng.random() < 0.8 else "outbound"
        karma = rng.choice(["\\N", "\\N", "-2", "-1", "0", "1", "2"])
        text = f"customer asked about {rng.choice(WORDS)} {rng.choice(WORDS)}"
        doc = json.dumps({"agent": agent, "direction": direction, "started_us": started})
        buf.write(
            "\t".join(
                (
                    f"c{i:08d}",
                    agent,
                    direction,
                    "1001",
                    remote,
                    "1001",
                    remote,
                    rng.choice(QUEUES),
                    f"{i}@pbx",
                    str(started),
                    str(answered),
                    str(answered + duration),
                    str(duration),
                    "remote",
                    "200",
                    rng.choice(("sold", "info", "callback")),
                    karma,
                    "",
                    str(int(rng.random() < 0.5)),
                    str(int(rng.random() < 0.1)),
                    text,
                    doc,
                    str(started),
                    str(started),
                )
            )
            + "\n"
        )
    return buf


def load(db: PostgresDatabase, total: int, seed: int = 7) -> float:
    rng = random.Random(seed)
    start = time.perf_counter()
    batch = 100_000
    conn = db._conn()
    for done in range(0, total, batch):
        text = _rows(done, min(batch, total - done), rng).getvalue()
        with conn.cursor() as cur, cur.copy(f"COPY calls ({', '.join(COLUMNS)}) FROM STDIN") as cp:
            cp.write(text)
    db.execute("ANALYZE calls")
    return time.perf_counter() - start


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(name: str, n: int, make: Callable[[random.Random], Callable[[], Any]]) -> float:
    rng = random.Random(name)
    times = []
    matches = 0
    for _ in range(n):
        query = make(rng)
        t = time.perf_counter()
        result = query()
        times.append((time.perf_counter() - t) * 1e3)
        matches += result
    p95 = _pct(times, 0.95)
    print(
        f"{name:<34} p50 {_pct(times, 0.5):6.1f}  p95 {p95:6.1f}  max {max(times):6.1f} ms"
        f"   ({matches / n:.0f} matches avg)"
    )
    return p95


def loaded_database(pg: Postgres, calls: int) -> tuple[str, PostgresDatabase]:
    """A fresh database of `pg` with the store's schema and `calls` calls: (URL, connection)."""
    url = pg.database("bench")
    db = connect(url)
    assert isinstance(db, PostgresDatabase)
    migrate(db)
    print(f"loaded {calls:,} calls with COPY in {load(db, calls):.1f} s")
    return url, db


def run(calls: int, queries: int) -> int:
    with Postgres({"shared_buffers": "256MB", "work_mem": "16MB"}) as pg:
        url, db = loaded_database(pg, calls)
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
            server = StoreServer(Path(tmp), url, users={"sup": "supervisor"})
            server.start()
            try:
                client = StoreClient(server.base_url, server.tokens["sup"])
                who = Principal("sup", Role.supervisor)
                goals = _queries(client, db, who, queries)
                client.close()
            finally:
                server.stop()
        db.close()
    ok = all(p95 <= GOAL_P95_MS for p95 in goals)
    print(
        f"goal p95 <= {GOAL_P95_MS:.0f} ms for agent+range and number: {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


def _queries(client: StoreClient, db: PostgresDatabase, who: Principal, n: int) -> list[float]:
    def week(rng: random.Random) -> dict[str, Any]:
        start = YEAR_START + rng.randrange(358) * DAY
        return {"agent": rng.choice(AGENTS), "from_us": start, "to_us": start + 7 * DAY}

    def number(rng: random.Random) -> dict[str, Any]:
        d = number_of(rng.randrange(200_000))  # spelt as people write it; the server normalises
        return {"number": f"{d[:2]} ({d[2:5]}) {d[5:8]}-{d[8:10]}-{d[10:]}"}

    def month(rng: random.Random) -> dict[str, Any]:
        start = YEAR_START + rng.randrange(335) * DAY
        return {"agent": rng.choice(AGENTS), "from_us": start, "to_us": start + 30 * DAY}

    def queue_day(rng: random.Random) -> dict[str, Any]:
        start = YEAR_START + rng.randrange(364) * DAY
        return {"queue": rng.choice(QUEUES), "from_us": start, "to_us": start + DAY}

    def text(rng: random.Random) -> dict[str, Any]:
        return {"text": f"{rng.choice(WORDS)} {rng.choice(WORDS)}"}

    def http(filters: Callable[[random.Random], dict[str, Any]]) -> Callable[..., Any]:
        def make(rng: random.Random) -> Callable[[], int]:
            f = filters(rng)
            return lambda: client.search_calls(**f)["total"]

        return make

    def sql(filters: Callable[[random.Random], dict[str, Any]]) -> Callable[..., Any]:
        def make(rng: random.Random) -> Callable[[], int]:
            f = search.CallFilter(**filters(rng))
            return lambda: search.search(db, f, who)[0]

        return make

    goals = [
        timed("HTTP agent + 7-day range", n, http(week)),
        timed("HTTP number", n, http(number)),
    ]
    timed("HTTP agent + 30-day range", n, http(month))
    timed("HTTP queue + 1 day", n, http(queue_day))
    timed("HTTP card text (no index)", max(5, n // 30), http(text))
    timed("SQL  agent + 7-day range", n, sql(week))
    timed("SQL  number", n, sql(number))
    return goals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    return run(args.calls, args.queries)


if __name__ == "__main__":
    sys.exit(main())

"""`/routing-hint` latency with 1,000,000 calls and 100,000 rated numbers on PostgreSQL (issue 18).

Starts a throw-away PostgreSQL 15, loads `--calls` calls with COPY (bench/store_search.py's
generator: 300 agents over a year, 200,000 caller numbers), then rates the first `--rated`
numbers: karma, literacy and temperament on about half of their calls, and no rating at all
on the other numbers' calls (so `--rated` numbers have ratings). ANALYZEs, starts the store and
asks `StoreClient.routing_hint` as a `pbx` user (what Kamailio's `http_client` does per
INVITE) for rated numbers, known unrated numbers and unknown numbers, one at a time and then
from `--threads` threads at once. Prints p50/p95/max (client wall time, HTTP included) and the
same through `store.search.routing_hint` (SQL only). Goal: p95 <= 20 ms.

    .venv/bin/python -m bench.routing_hint [--calls 1000000] [--rated 100000] [--queries 500]
        [--threads 4]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.centre import pct  # noqa: E402
from bench.store_search import load, number_of  # noqa: E402
from store import search  # noqa: E402
from store.client import StoreClient  # noqa: E402
from store.db import PostgresDatabase, connect  # noqa: E402
from store.migrations import migrate  # noqa: E402
from store.models import Role  # noqa: E402
from store.users import Principal  # noqa: E402
from tests.servers.postgres import Postgres  # noqa: E402
from tests.servers.store import StoreServer  # noqa: E402

GOAL_P95_MS = 20.0
NUMBERS = 200_000  # store_search's caller numbers


def rate(db: PostgresDatabase, rated: int) -> float:
    """Ratings on about half the calls of the first `rated` numbers, none on the others'."""
    t = time.perf_counter()
    cut = number_of(rated)
    db.execute(
        "UPDATE calls SET karma = CASE WHEN remote_norm < ? AND random() < 0.5 "
        "THEN floor(random() * 5)::int - 2 END, "
        "literacy = CASE WHEN remote_norm < ? AND random() < 0.5 "
        "THEN 1 + floor(random() * 5)::int END, "
        "temperament = CASE WHEN remote_norm < ? AND random() < 0.5 "
        "THEN 1 + floor(random() * 5)::int END",
        (cut, cut, cut),
    )
    db.execute("VACUUM ANALYZE calls")
    return time.perf_counter() - t


def timed(name: str, numbers: list[str], ask: Callable[[str], dict], threads: int = 1) -> float:
    def one(number: str) -> tuple[float, str]:
        t = time.perf_counter()
        answer = ask(number)
        return (time.perf_counter() - t) * 1e3, str(answer["route"])

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, numbers))
    times = [ms for ms, _ in results]
    routes: dict[str, int] = {}
    for _, route in results:
        routes[route] = routes.get(route, 0) + 1
    p95 = pct(times, 0.95)
    spread = ", ".join(f"{k} {v}" for k, v in sorted(routes.items()))
    print(
        f"{name:<40} p50 {pct(times, 0.5):6.1f}  p95 {p95:6.1f}  max {max(times):6.1f} ms  "
        f"({spread})"
    )
    return p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--rated", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(18)
    rated = [number_of(rng.randrange(args.rated)) for _ in range(args.queries)]
    unrated = [number_of(rng.randrange(args.rated, NUMBERS)) for _ in range(args.queries)]
    unknown = [f"+7495{rng.randrange(10**7):07d}" for _ in range(args.queries)]
    mixed = [rng.choice((rated, unrated, unknown))[i] for i in range(args.queries)]
    with Postgres({"shared_buffers": "256MB", "work_mem": "16MB"}) as pg:
        url = pg.database("hint")
        db = connect(url)
        assert isinstance(db, PostgresDatabase)
        migrate(db)
        print(f"loaded {args.calls:,} calls with COPY in {load(db, args.calls):.1f} s")
        print(f"rated the first {args.rated:,} numbers in {rate(db, args.rated):.1f} s")
        n = db.one(
            "SELECT COUNT(DISTINCT remote_norm) AS n FROM calls WHERE karma IS NOT NULL "
            "OR literacy IS NOT NULL OR temperament IS NOT NULL"
        )
        print(f"numbers with ratings: {n['n'] if n else 0:,}")
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
            server = StoreServer(Path(tmp), url, users={"pbx": "pbx"})
            server.start()
            try:
                with StoreClient(server.base_url, server.tokens["pbx"]) as client:
                    timed("warm-up (not counted)", mixed[:50], client.routing_hint)  # type: ignore[arg-type]
                    goals = [
                        timed("HTTP rated number", rated, client.routing_hint),  # type: ignore[arg-type]
                        timed("HTTP known, unrated number", unrated, client.routing_hint),  # type: ignore[arg-type]
                        timed("HTTP unknown number", unknown, client.routing_hint),  # type: ignore[arg-type]
                        timed(
                            f"HTTP mixed, {args.threads} threads at once",
                            mixed,
                            client.routing_hint,
                            args.threads,
                        ),
                    ]
            finally:
                server.stop()
        who = Principal("pbx", Role.pbx)
        timed("SQL  rated number", rated, lambda number: search.routing_hint(db, number, who))
        timed("SQL  unknown number", unknown, lambda number: search.routing_hint(db, number, who))
        db.close()
    ok = all(p95 <= GOAL_P95_MS for p95 in goals)
    print(f"goal p95 <= {GOAL_P95_MS:.0f} ms: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

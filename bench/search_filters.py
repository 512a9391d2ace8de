"""The call search with its common filters over 1,000,000 calls on PostgreSQL: the API's
`GET /calls` and the web console's search page (issues 18 and 21).

Starts a throw-away PostgreSQL 15, loads `--calls` calls with COPY (bench/store_search.py's
generator: 300 agents over a year, 200,000 caller numbers, 10 queues, dialog-card text; one
call in 20 tagged `vip`), puts the table in time order as a store writes it (CLUSTER),
ANALYZEs, starts the store and, for each filter set below, times
`StoreClient.search_calls` as a supervisor (page of 50 and the total) and the console's
`/calls` page signed in as the same supervisor (HTML rendered). Prints p50/p95/max per filter
set, and with `--explain` the plan of each filter set's two statements. Goal: the search page
p95 <= 300 ms (issue 21) and the API p95 <= 100 ms for the indexed filters.

    .venv/bin/python -m bench.search_filters [--calls 1000000] [--queries 40] [--explain]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.centre import pct  # noqa: E402
from bench.store_search import AGENTS, DAY, QUEUES, WORDS, YEAR_START, load, number_of  # noqa: E402
from store import search  # noqa: E402
from store.client import StoreClient  # noqa: E402
from store.db import PostgresDatabase, connect  # noqa: E402
from store.migrations import migrate  # noqa: E402
from store.users import set_password  # noqa: E402
from tests.servers.postgres import Postgres  # noqa: E402
from tests.servers.store import StoreServer  # noqa: E402

PAGE_GOAL_MS = 300.0
API_GOAL_MS = 100.0
PASSWORD = "bench-password-1"
Filters = dict[str, Any]


def _day(rng: random.Random, span: int) -> int:
    return YEAR_START + rng.randrange(365 - span) * DAY


def _range(rng: random.Random, days: int) -> Filters:
    start = _day(rng, days)
    return {"from_us": start, "to_us": start + days * DAY}


# name → filters (API keyword arguments; the page takes the same with dates as days)
CASES: dict[str, Callable[[random.Random], Filters]] = {
    "no filter (newest first)": lambda rng: {},
    "one day": lambda rng: _range(rng, 1),
    "agent + 7 days": lambda rng: {"agent": rng.choice(AGENTS), **_range(rng, 7)},
    "number": lambda rng: {"number": number_of(rng.randrange(200_000))},
    "queue + 1 day": lambda rng: {"queue": rng.choice(QUEUES), **_range(rng, 1)},
    "queue + 30 days": lambda rng: {"queue": rng.choice(QUEUES), **_range(rng, 30)},
    "outbound + callback + 7 days": lambda rng: {
        "direction": "outbound",
        "disposition": "callback",
        **_range(rng, 7),
    },
    "karma -2 (all time)": lambda rng: {"karma": -2},
    "evaluated (all time)": lambda rng: {"evaluated": True},
    "screen + over 10 min + 30 days": lambda rng: {
        "has_screen": True,
        "min_duration_s": 600,
        **_range(rng, 30),
    },
    "longest first, 7 days": lambda rng: {"sort": "duration", **_range(rng, 7)},
    "longest first (all time)": lambda rng: {"sort": "duration"},
    "tag vip (all time)": lambda rng: {"tag": "vip"},
    "card text (all time)": lambda rng: {"text": f"{rng.choice(WORDS)} {rng.choice(WORDS)}"},
    "card text + 7 days": lambda rng: {"text": rng.choice(WORDS), **_range(rng, 7)},
}


def page_params(filters: Filters) -> dict[str, str]:
    """The console form's fields for the same filters (dates as UTC days)."""
    out: dict[str, str] = {}
    for key, value in filters.items():
        if key in ("from_us", "to_us"):
            day = datetime.fromtimestamp(value / 1e6, UTC)
            if key == "to_us":
                day = datetime.fromtimestamp((value - 1) / 1e6, UTC)
            out["from" if key == "from_us" else "to"] = day.strftime("%Y-%m-%d")
        elif isinstance(value, bool):
            out[key] = "yes" if value else "no"
        else:
            out[key] = str(value)
    return out


def tag_calls(db: PostgresDatabase) -> None:
    db.execute(
        "UPDATE calls SET tags = ',vip,' WHERE right(id, 2) IN ('00', '20', '40', '60', '80')"
    )
    # A store writes calls as they happen, so its table lies in time order; the generator's
    # does not, which would make every date range read pages all over the table.
    db.execute("CLUSTER calls USING calls_started")
    db.execute("VACUUM ANALYZE calls")


def signed_in(base_url: str) -> requests.Session:
    web = requests.Session()
    answer = web.post(
        f"{base_url}/login",
        data={"name": "sup", "password": PASSWORD, "next": "/calls"},
        headers={"Origin": base_url},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:200]}")
    return web


def explain(db: PostgresDatabase, name: str, filters: Filters) -> None:
    f = dict(filters)
    sort = f.pop("sort", "started")
    where, params = search._where(search.CallFilter(**f))
    column = search.SORTS[sort]
    for sql in (
        f"SELECT COUNT(*) AS n FROM calls{where}",
        f"SELECT id FROM calls{where} ORDER BY {column} DESC, id DESC LIMIT 50",
    ):
        rows = db.values(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print(f"--- {name}: {sql[:90]}")
        print("\n".join(f"    {r[0]}" for r in rows))


def run(calls: int, queries: int, show_plans: bool) -> int:
    misses = []
    with Postgres({"shared_buffers": "256MB", "work_mem": "16MB"}) as pg:
        url = pg.database("bench")
        db = connect(url)
        assert isinstance(db, PostgresDatabase)
        migrate(db)
        print(f"loaded {calls:,} calls with COPY in {load(db, calls):.1f} s")
        tag_calls(db)
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
            server = StoreServer(Path(tmp), url, users={"sup": "supervisor"})
            server.start()
            set_password(db, "sup", PASSWORD)
            try:
                client = StoreClient(server.base_url, server.tokens["sup"])
                web = signed_in(server.base_url)
                print(
                    f"{'filters':<32} {'API p50':>8} {'p95':>7} {'max':>7}   "
                    f"{'page p50':>8} {'p95':>7} {'max':>7}   matches"
                )
                for name, make in CASES.items():
                    rng = random.Random(name)
                    sets = [make(rng) for _ in range(queries)]
                    api, page, total = [], [], 0
                    client.search_calls(**sets[0])  # first plan, cache
                    for f in sets:
                        t = time.perf_counter()
                        total += client.search_calls(**f)["total"]
                        api.append((time.perf_counter() - t) * 1e3)
                        t = time.perf_counter()
                        answer = web.get(
                            f"{server.base_url}/calls", params=page_params(f), timeout=60
                        )
                        page.append((time.perf_counter() - t) * 1e3)
                        if answer.status_code != 200:
                            raise RuntimeError(f"/calls answered {answer.status_code}")
                    print(
                        f"{name:<32} {pct(api, 0.5):8.1f} {pct(api, 0.95):7.1f} {max(api):7.1f}   "
                        f"{pct(page, 0.5):8.1f} {pct(page, 0.95):7.1f} {max(page):7.1f}   "
                        f"{total / queries:,.0f}"
                    )
                    if pct(page, 0.95) > PAGE_GOAL_MS:
                        misses.append(name)
                    if show_plans:
                        explain(db, name, sets[0])
                client.close()
            finally:
                server.stop()
        db.close()
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(
        f"goal search page p95 <= {PAGE_GOAL_MS:.0f} ms: "
        f"{'met' if not misses else 'MISSED for ' + ', '.join(misses)}"
    )
    return 1 if misses else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40, help="per filter set")
    parser.add_argument("--explain", action="store_true", help="print each filter set's plans")
    args = parser.parse_args()
    return run(args.calls, args.queries, args.explain)


if __name__ == "__main__":
    sys.exit(main())

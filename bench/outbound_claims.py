"""Outbound claims on PostgreSQL through the store's HTTP API: how fast desktops drain a
campaign, with 1, 2 and 4 claimers at once.

Starts a throw-away PostgreSQL (tests/servers/postgres.py) and `agentdesk-store serve` on it,
then per round makes a campaign of `--contacts` contacts and starts that many claimer
processes (tests/integration/outbound_claimer.py: the desktop's real claim code; per task one
claim, one dial check and one outcome, three HTTP requests). Prints the wall time, tasks per
second and whether any contact was handed out twice (it must never be).

    .venv/bin/python -m bench.outbound_claims [--contacts 600] [--claimers 1,2,4] [--workers 1]

`--explain N` instead: one campaign of N contacts (100,000 say), then the plan PostgreSQL
chooses for the claim's lookup (store/outbound/due.py) with its time, the same for the claim
query of before (every due contact sorted on each claim), and claims through the API.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store.client import StoreClient  # noqa: E402
from store.db import connect  # noqa: E402
from store.outbound import due  # noqa: E402
from tests.servers.postgres import Postgres  # noqa: E402
from tests.servers.store import StoreServer  # noqa: E402

ALL_DAY = {"start": "00:00", "end": "24:00", "days": [1, 2, 3, 4, 5, 6, 7]}
AGENTS = [f"agent{n}" for n in range(1, 9)]


def drain(server: StoreServer, agents: list[str]) -> tuple[float, list[list[int]]]:
    procs = []
    start = time.monotonic()
    for agent in agents:
        env = {**os.environ, "AGENTDESK_TEST_TOKEN": server.tokens[agent], "PYTHONPATH": str(ROOT)}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tests.integration.outbound_claimer", server.base_url, "drain"],
            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        ))  # fmt: skip
    outs = [p.communicate(timeout=600)[0] for p in procs]
    took = time.monotonic() - start
    if any(p.returncode for p in procs):
        raise RuntimeError(f"a claimer failed: {[p.returncode for p in procs]}")
    return took, [[int(x) for x in out.split()] for out in outs]


def run(contacts: int, claimers: list[int], workers: int) -> int:
    users = {"sup": "supervisor", **dict.fromkeys(AGENTS, "agent")}
    failures = 0
    with Postgres() as pg, tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
        server = StoreServer(Path(tmp), pg.database("bench"), users, ["--workers", str(workers)])
        server.start()
        try:
            sup = StoreClient(server.base_url, server.tokens["sup"])
            print(f"{contacts} contacts per round, {workers} API process(es), PostgreSQL")
            print("claimers | wall s | tasks/s | per claimer tasks/s | duplicates")
            for n, k in enumerate(claimers):
                made = sup.create_campaign(f"round{n}", {"hours": ALL_DAY})
                rows = "".join(f"+7{n:02d}{i:08d}\n" for i in range(contacts))
                sup.import_contacts(made["id"], f"phone\n{rows}".encode())
                took, got = drain(server, AGENTS[:k])
                done = [c for g in got for c in g]
                duplicates = len(done) - len(set(done))
                failures += duplicates + (len(set(done)) != contacts)
                sup.change_campaign(made["id"], paused=True)
                print(f"{k:8d} | {took:6.1f} | {contacts / took:7.0f} | "
                      f"{contacts / took / k:19.0f} | {duplicates}")  # fmt: skip
            sup.close()
        finally:
            server.stop()
    return 1 if failures else 0


# The claim query before migration 22: candidates of every running campaign, callbacks and
# lapsed leases in one OR, sorted (callbacks first) — every due row sorted on each claim.
BEFORE = (
    f"SELECT {due.COLUMNS} FROM outbound_contacts o WHERE campaign_id IN (?) AND ("
    "(status = 'waiting' AND next_due_us <= ? AND (callback_agent IS NULL OR callback_agent = ? "
    "OR NOT EXISTS (SELECT 1 FROM agent_current a WHERE a.agent = o.callback_agent "
    "AND a.state <> 'offline'))) OR (status = 'claimed' AND lease_until_us < ?)) "
    f"AND {due.NOT_BLOCKED} ORDER BY CASE WHEN callback_agent = ? THEN 0 ELSE 1 END, "
    "next_due_us, id LIMIT 50 FOR UPDATE SKIP LOCKED"
)


def explain(contacts: int, claims: int = 200) -> int:
    users = {"sup": "supervisor", "agent1": "agent"}
    with Postgres() as pg, tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
        url = pg.database("bench")
        server = StoreServer(Path(tmp), url, users)
        server.start()
        try:
            sup = StoreClient(server.base_url, server.tokens["sup"], timeout=(5.0, 600.0))
            made = sup.create_campaign("big", {"hours": ALL_DAY})
            rows = "".join(f"+7{i:010d}\n" for i in range(contacts))
            started = time.monotonic()
            sup.import_contacts(made["id"], f"phone\n{rows}".encode())
            print(f"{contacts} contacts imported in {time.monotonic() - started:.1f} s")
            db = connect(url)
            db.execute("ANALYZE outbound_contacts")
            now = time.time_ns() // 1000
            for name, sql, params in (
                ("claim lookup (due.DUE_IN)", due.DUE_IN + " FOR UPDATE SKIP LOCKED",
                 (made["id"], now, "agent1")),
                ("claim query before", BEFORE, (made["id"], now, "agent1", now, "agent1")),
                ("own callbacks (due.OWN_CALLBACK)", due.OWN_CALLBACK.format(marks="?")
                 + " FOR UPDATE SKIP LOCKED", ("agent1", now, made["id"])),
                ("lapsed leases (due.LAPSED)", due.LAPSED.format(marks="?")
                 + " FOR UPDATE SKIP LOCKED", (now, made["id"])),
            ):  # fmt: skip
                print(f"--- {name}")
                for row in db.query("EXPLAIN (ANALYZE, BUFFERS) " + sql, params):
                    print(row["QUERY PLAN"])
            agent = StoreClient(server.base_url, server.tokens["agent1"])
            took = []
            for _ in range(claims):
                started = time.monotonic()
                task = agent.claim_task()
                took.append(time.monotonic() - started)
                assert task is not None
                agent.release_task(task["claim_id"])
            took.sort()
            print(f"{claims} claims through the API: median {took[len(took) // 2] * 1000:.1f} ms, "
                  f"p95 {took[int(len(took) * 0.95)] * 1000:.1f} ms")  # fmt: skip
            for client in (sup, agent):
                client.close()
            db.close()
        finally:
            server.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=600)
    parser.add_argument("--claimers", default="1,2,4")
    parser.add_argument("--workers", type=int, default=1, help="API processes")
    parser.add_argument("--explain", type=int, metavar="N", help="plans on a campaign of N")
    args = parser.parse_args()
    if args.explain:
        return explain(args.explain)
    return run(args.contacts, [int(k) for k in args.claimers.split(",")], args.workers)


if __name__ == "__main__":
    sys.exit(main())

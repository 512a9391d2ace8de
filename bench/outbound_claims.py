"""Outbound claims on PostgreSQL through the store's HTTP API: how fast desktops drain a
campaign, with 1, 2 and 4 claimers at once.

Starts a throw-away PostgreSQL (tests/servers/postgres.py) and `agentdesk-store serve` on it,
then per round makes a campaign of `--contacts` contacts and starts that many claimer
processes (tests/integration/outbound_claimer.py: the desktop's real claim code; per task one
claim, one dial check and one outcome, three HTTP requests). Prints the wall time, tasks per
second and whether any contact was handed out twice (it must never be).

    .venv/bin/python -m bench.outbound_claims [--contacts 600] [--claimers 1,2,4] [--workers 1]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=600)
    parser.add_argument("--claimers", default="1,2,4")
    parser.add_argument("--workers", type=int, default=1, help="API processes")
    args = parser.parse_args()
    return run(args.contacts, [int(k) for k in args.claimers.split(",")], args.workers)


if __name__ == "__main__":
    sys.exit(main())

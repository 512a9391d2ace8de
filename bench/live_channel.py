"""The live channel's delivery time: a supervisor opens a monitoring session (``POST
/monitoring`` sent) → the agent's ``LiveStream`` hands over ``monitor.open``; on SQLite (one
API process) and on PostgreSQL with the stream on another API process than the one published
through (LISTEN/NOTIFY). Also a policy change from the CLI (another process) on SQLite, which
only the hub's 0.5 s reading of the log can see.

    .venv/bin/python -m bench.live_channel [--sessions 40]
"""

from __future__ import annotations

import argparse
import queue
import random
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from store import live
from store.client import LiveStream, StoreClient
from store.db import connect
from tests.integration.live_kit import set_phones
from tests.servers.postgres import Postgres
from tests.servers.store import StoreServer

USERS = {"alice": "agent", "sam": "supervisor"}


def _percentiles(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, max {values[-1]:.1f} ms"


def _measure(publish_url: str, listen_url: str, tokens: dict[str, str], db_url: str,
             sessions: int) -> tuple[list[float], list[float]]:  # fmt: skip
    got: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
    agent = StoreClient(listen_url, tokens["alice"])
    stream = LiveStream(agent, lambda e: got.put((time.perf_counter(), e)))
    thread = threading.Thread(target=stream.run, daemon=True)
    thread.start()
    got.get(timeout=10)  # hello
    sam = StoreClient(publish_url, tokens["sam"])
    opened: list[float] = []
    for _ in range(sessions):
        asked = time.perf_counter()
        made = sam.open_monitoring("alice", "listen")
        at, event = got.get(timeout=10)
        assert event["session"]["id"] == made["id"]
        opened.append((at - asked) * 1000)
        sam.revoke_monitoring(made["id"])
        got.get(timeout=10)
    outside: list[float] = []
    db = connect(db_url)
    for i in range(20):  # as the CLI does: another process than the API's
        time.sleep(random.uniform(0, 0.5))  # at any moment of the hub's reading cycle
        start = time.perf_counter()
        live.publish(db, "alice", {"type": "policy.changed", "version": i})
        at, event = got.get(timeout=10)
        outside.append((at - start) * 1000)
    db.close()
    stream.stop()
    thread.join(10)
    for client in (agent, sam):
        client.close()
    return opened, outside


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=40)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    server = StoreServer(tmp / "sqlite", None, dict(USERS))
    server.start()
    db_path = str(server.data_dir / "store.sqlite3")
    db = connect(db_path)
    set_phones(db)
    db.close()
    try:
        opened, outside = _measure(server.base_url, server.base_url, server.tokens, db_path,
                                   args.sessions)  # fmt: skip
    finally:
        server.stop()
    print(f"SQLite, one process: monitor.open {_percentiles(opened)}")
    print(f"SQLite, published by another process: {_percentiles(outside)}")
    with Postgres() as pg:
        url = pg.database(f"bench_{uuid.uuid4().hex[:8]}")
        a = StoreServer(tmp / "a", url, dict(USERS))
        a.start()
        b = StoreServer(tmp / "b", url)
        b.tokens = a.tokens
        b.start()
        db = connect(url)
        set_phones(db)
        db.close()
        try:
            opened, outside = _measure(a.base_url, b.base_url, a.tokens, url, args.sessions)
        finally:
            b.stop()
            a.stop()
    print(f"PostgreSQL, published via A, stream on B: monitor.open {_percentiles(opened)}")
    print(f"PostgreSQL, published by another process: {_percentiles(outside)}")


if __name__ == "__main__":
    main()

"""The live channel across API processes: two stores on one PostgreSQL database; what is
published through one reaches a stream connected to the other (LISTEN/NOTIFY), and a session
past its expiry is ended once though both sweep."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest

from store.client import StoreClient
from store.db import connect
from tests.integration.live_kit import Listener, set_phones
from tests.integration.store_kit import USERS
from tests.servers.postgres import Postgres
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration


def test_an_event_published_through_one_process_reaches_a_stream_on_another(
    pg: Postgres, tmp_path: Path
) -> None:
    db_url = pg.database(f"store_{uuid.uuid4().hex[:12]}")
    a = StoreServer(tmp_path / "a", db_url, dict(USERS))
    a.start()
    b = StoreServer(tmp_path / "b", db_url)  # the same users and tokens, another process
    b.tokens = a.tokens
    b.start()
    db = connect(db_url)
    set_phones(db)
    ada_a = StoreClient(a.base_url, a.tokens["ada"])
    sam_a = StoreClient(a.base_url, a.tokens["sam"])
    alice_b = StoreClient(b.base_url, b.tokens["alice"])
    try:
        with Listener(alice_b) as heard:
            answer = ada_a.set_recording_policy({"fps": 2})
            assert heard.next("policy.changed") == {
                "type": "policy.changed", "version": answer["version"],
            }  # fmt: skip
            session = sam_a.open_monitoring("alice", "listen")
            assert heard.next("monitor.open")["session"]["id"] == session["id"]
            # both processes sweep expired sessions: it ends once, and is said once
            db.execute("UPDATE monitoring_sessions SET expires_us = 0 WHERE id = ?",
                       (session["id"],))  # fmt: skip
            ended = heard.next("monitor.end")
            assert ended == {"type": "monitor.end", "id": session["id"], "reason": "expired"}
            ends = ada_a.audit(target=f"monitoring/{session['id']}", action="monitor.end")
            assert len(ends) == 1 and ends[0]["actor"] == "store"
            time.sleep(1.5)  # another sweep by each process
            assert not [e for e in heard.drain() if e["type"] == "monitor.end"]
    finally:
        for client in (ada_a, sam_a, alice_b):
            client.close()
        db.close()
        for server in (b, a):
            code = server.stop()
            assert code in (0, -signal.SIGTERM), server.log()
            assert "Traceback" not in server.log(), server.log()

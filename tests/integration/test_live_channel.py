"""The live channel and monitoring sessions against the real store: a supervisor opens a
session on an agent, the agent's desktop stream receives it, its mode change and its end
(revoked, expired); an agent token cannot open one; every step is audited and on the QA
timeline of the agent's call; a stream reconnecting after a store restart receives what was
published while the store was down."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from store import live
from store.client import ConflictError, PermissionDenied, StoreClient
from store.db import connect
from tests.integration.live_kit import Listener, set_phones
from tests.integration.store_kit import USERS, new_id, now_us
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration


def _restart(old: StoreServer) -> StoreServer:
    """The same store (data, port) started again; its users and tokens are already there."""
    server = StoreServer(old.data_dir, old.db_url)
    server.port, server.base_url, server.tokens = old.port, old.base_url, old.tokens
    server.start()
    return server


def _stop(server: StoreServer) -> None:
    code = server.stop()
    # uvicorn re-raises SIGTERM after a graceful stop: open streams must not hold it up
    assert code in (0, -signal.SIGTERM), server.log()
    assert "Traceback" not in server.log(), server.log()


def test_monitoring_reaches_the_agent_and_survives_a_store_restart(tmp_path: Path) -> None:
    server = StoreServer(tmp_path / "store", None, dict(USERS))
    server.start()
    db_path = str(server.data_dir / "store.sqlite3")
    db = connect(db_path)
    set_phones(db)
    alice, sam, ada = (
        StoreClient(server.base_url, server.tokens[n]) for n in ("alice", "sam", "ada")
    )
    call_id = new_id()
    try:
        alice.put_presence("alice", {"call_id": call_id, "call_started_us": now_us()})
        with Listener(alice) as heard:
            with pytest.raises(PermissionDenied):
                alice.open_monitoring("alice", "listen")
            session = sam.open_monitoring("alice", "listen")
            assert session["agent_sip"] == "201" and session["state"] == "open"
            assert session["supervisor_sip"] == "900"
            with pytest.raises(ConflictError, match="no SIP extension"):
                ada.open_monitoring("alice", "listen")  # the agent's phone would not know her
            assert len(session["id"]) >= 22 and session["expires_us"] > session["created_us"]
            opened = heard.next("monitor.open")
            assert opened["session"]["id"] == session["id"]
            assert opened["session"]["supervisor"] == "sam"

            sam.set_monitoring_mode(session["id"], "whisper")
            assert heard.next("monitor.mode") == {
                "type": "monitor.mode", "id": session["id"], "mode": "whisper",
            }  # fmt: skip
            active = alice.report_monitoring(session["id"], "active")
            assert active["state"] == "active" and active["expires_us"] > session["expires_us"]
            assert sam.revoke_monitoring(session["id"])["state"] == "revoked"
            ended = heard.next("monitor.end")
            assert ended["id"] == session["id"] and "revoked" in ended["reason"]
            with pytest.raises(ConflictError):
                sam.set_monitoring_mode(session["id"], "barge")

            # one nobody connects to: past its expiry the store ends it and says so
            late = sam.open_monitoring("alice", "barge")
            assert heard.next("monitor.open")["session"]["id"] == late["id"]
            db.execute("UPDATE monitoring_sessions SET expires_us = ? WHERE id = ?",
                       (now_us() - 1, late["id"]))  # fmt: skip
            assert heard.next("monitor.end") == {
                "type": "monitor.end", "id": late["id"], "reason": "expired",
            }  # fmt: skip
            assert sam.monitoring_session(late["id"])["state"] == "ended"
            rejected = sam.open_monitoring("alice", "listen")
            alice.report_monitoring(rejected["id"], "rejected", "four calls already")

            actions = [r["action"] for r in ada.audit(target=f"monitoring/{session['id']}")]
            assert sorted(actions) == ["monitor.active", "monitor.end", "monitor.mode",
                                       "monitor.open"]  # fmt: skip
            assert ada.audit(target=f"monitoring/{rejected['id']}")[0]["action"] == (
                "monitor.reject"
            )
            alice.put_call(call_id, {"agent": "alice", "direction": "inbound",
                                     "started_us": session["created_us"] - 1_000_000})  # fmt: skip
            kinds = [e["kind"] for e in alice.get_call(call_id)["events"]]
            assert kinds == ["monitor_open", "monitor_mode", "monitor_end", "monitor_open",
                             "monitor_end", "monitor_open", "monitor_reject"]  # fmt: skip

            # the store stops (streams end, uvicorn exits cleanly); events published while it
            # is down (the CLI does so) reach the stream once it is back
            _stop(server)
            live.publish(db, "alice", {"type": "policy.changed", "version": 41})
            live.publish(db, "bob", {"type": "policy.changed", "version": 99})
            live.publish(db, "alice", {"type": "policy.changed", "version": 42})
            connects = heard.stream.connects
            server = _restart(server)
            assert heard.next("policy.changed")["version"] == 41
            assert heard.next("policy.changed")["version"] == 42
            assert heard.stream.connects > connects
            assert not [e for e in heard.drain() if e["type"] != "policy.changed"]  # no replays
    finally:
        for client in (alice, sam, ada):
            client.close()
        db.close()
        _stop(server)

"""The softphone against hosts that are not its registrar: TCP connection floods, INVITEs
sent straight to it, calls left ringing. 127.0.0.2 plays another host on the loopback."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.integration.sipkit import Agent
from tests.servers.sipp import good_call_scenario, run_uac_load, sipp_available

pytestmark = pytest.mark.integration
STRANGER = "127.0.0.2"


def _flood(port: int, source: str, held: int, churn_s: float) -> tuple[int, int]:
    """Open ``held`` connections and keep them, meanwhile open and close connections from 4
    threads for ``churn_s``; returns (attempts, connections that got in)."""
    sockets, counts = [], [0, 0]  # attempts, connected
    lock = threading.Lock()

    def attempt(s: socket.socket) -> None:
        try:
            s.connect(("127.0.0.1", port))
            ok = 1
        except OSError:
            ok = 0
        with lock:
            counts[0] += 1
            counts[1] += ok

    stop = time.monotonic() + churn_s

    def churn() -> None:
        while time.monotonic() < stop:
            with socket.socket() as s:
                s.settimeout(0.05)
                s.bind((source, 0))
                attempt(s)

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(held):
        s = socket.socket()
        s.settimeout(0.2)
        s.bind((source, 0))
        attempt(s)
        sockets.append(s)
    for t in threads:
        t.join()
    for s in sockets:
        s.close()
    return counts[0], counts[1]


def _tcp_port(agent: Agent) -> int:
    return int(agent.call("stats")["sip_ports"]["tcp"])


def test_tcp_only_listens_once_an_account_uses_it(agents):
    alice = agents("alice", "udp")
    assert "tcp" not in alice.call("stats")["sip_ports"]
    bob = agents("bob", "tcp")
    assert _tcp_port(bob) > 0


def test_a_tcp_connection_flood_leaves_the_engine_able_to_take_a_call(agents):
    alice, bob = agents("alice", "tcp", auto_answer_s=0), agents("bob")
    port = _tcp_port(alice)
    # From a host that is not the registrar: no connection gets in at all.
    attempts, connected = _flood(port, STRANGER, held=64, churn_s=1.0)
    assert attempts >= 64 and connected == 0
    # From the registrar's own address: the guard shuts the door before pjsip's 64 slots
    # run out (without it the process aborts within a second of this).
    attempts, connected = _flood(port, "127.0.0.1", held=64, churn_s=3.0)
    assert alice.engine.proc.poll() is None, "the engine died under the connection flood"
    assert attempts > 64 and connected >= 16
    guard = alice.wait("EngineError", where="tcp-guard")
    assert "new ones refused" in guard["message"]
    time.sleep(1.5)  # the guard's window forgets the flood
    call = bob.dial("alice")
    alice.wait("IncomingCall")
    bob.wait("CallStateChanged", call_id=call, state="confirmed")
    bob.call("hangup", call_id=call)
    bob.wait("CallEnded", call_id=call)


def test_invites_sent_straight_to_the_phone_are_refused_and_calls_through_the_proxy_ring(
    agents, kamailio, tmp_path
):
    if not sipp_available():
        pytest.fail("sipp (sip-tester) is not installed: run scripts/setup")
    alice = agents("alice", auto_answer_s=0, auto_answer_waiting=True)
    port = int(alice.engine.started["sip_ports"]["udp"])
    spoofed = run_uac_load(
        "127.0.0.1", port, calls=3, rate=10, limit=3, user="alice", local_ip=STRANGER
    )
    assert spoofed.successful == 0 and spoofed.failed == 3, spoofed.stdout_tail
    refused = [alice.wait("IncomingCallRejected", code=403) for _ in range(3)]
    assert all(r["account_id"] == alice.account for r in refused)
    assert all(STRANGER in r["reason"] for r in refused)
    assert not [e for e in alice.engine.events if e["type"] in ("IncomingCall", "CallEnded")]
    assert int(alice.call("stats")["calls"]) == 0
    # The same calls through the registrar/proxy ring and are answered.
    proxied = run_uac_load(
        "127.0.0.1",
        kamailio.port("udp"),
        calls=3,
        rate=10,
        limit=1,
        user="alice",
        timeout_s=30,
        scenario=good_call_scenario(tmp_path),
    )
    assert proxied.ok and proxied.successful == 3, proxied.stdout_tail
    assert len([alice.wait("IncomingCall") for _ in range(3)]) == 3


def test_trusted_sources_let_other_hosts_call(agents):
    if not sipp_available():
        pytest.fail("sipp (sip-tester) is not installed: run scripts/setup")
    alice = agents("alice", auto_answer_s=0, trusted_sources=[f"{STRANGER}/32"])
    port = int(alice.engine.started["sip_ports"]["udp"])
    result = run_uac_load("127.0.0.1", port, calls=1, rate=1, limit=1, local_ip=STRANGER)
    assert result.ok, result.stdout_tail
    alice.wait("IncomingCall")


def test_a_call_left_ringing_ends_after_the_ring_timeout(agents):
    alice, bob = agents("alice", ring_timeout_s=1.5), agents("bob")
    call = bob.dial("alice")
    ring = alice.wait("IncomingCall")
    ended = alice.wait("CallEnded", call_id=ring["call_id"], timeout=5)["record"]
    assert ended["ended_by"] == "unanswered" and ended["answer_at_us"] is None
    assert 1.4 <= (ended["end_at_us"] - ended["ring_at_us"]) / 1e6 <= 2.5
    assert bob.wait("CallEnded", call_id=call)["record"]["cause_code"] == 480

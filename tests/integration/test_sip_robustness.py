"""The engine under load and under attack: sipp churn and malformed SIP on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sip.remote import RemoteEngine
from tests.servers.sipp import malformed_messages, run_uac_load, send_raw_udp, sipp_available

pytestmark = pytest.mark.integration


@pytest.fixture
def answering_agent() -> Iterator[tuple[RemoteEngine, int, int]]:
    """An auto-answering engine without registrar; yields (engine, SIP port, idle ports)."""
    if not sipp_available():
        pytest.fail("sipp (sip-tester) is not installed: run scripts/setup")
    engine = RemoteEngine(
        {
            "bind_address": "127.0.0.1",
            "transports": ["udp"],
            "audio": "null",
            "auto_answer_s": 0,
            "auto_answer_waiting": True,
        }
    )
    engine.call("add_account", settings={"user": "agent", "domain": "127.0.0.1", "register": False})
    idle_ports = int(engine.call("stats")["conference_ports"])
    try:
        yield engine, int(engine.started["sip_ports"]["udp"]), idle_ports
    finally:
        assert engine.close() == 0, "the engine did not shut down cleanly"


def _settled(engine: RemoteEngine, idle_ports: int, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        stats = engine.call("stats")
        if (stats["calls"] == 0 and stats["conference_ports"] <= idle_ports) or (
            time.monotonic() > deadline
        ):
            return stats
        time.sleep(0.1)


def test_200_calls_at_20_per_second_all_complete_and_leave_nothing_behind(answering_agent):
    engine, port, idle_ports = answering_agent
    result = run_uac_load(
        "127.0.0.1",
        port,
        calls=200,
        rate=20,
        limit=4,
        user="agent",
        call_duration_ms=200,
        timeout_s=90,
    )
    refused = [
        (e["code"], e["reason"]) for e in engine.events if e["type"] == "IncomingCallRejected"
    ]
    assert result.ok, f"{result.successful} ok, {result.failed} failed; refused: {refused[:5]}"
    assert result.successful == 200 and result.failed == 0
    stats = _settled(engine, idle_ports)
    assert stats["calls"] == 0, stats
    assert stats["conference_ports"] == idle_ports, stats
    ended = [e for e in engine.events if e["type"] == "CallEnded"]
    assert len(ended) == 200
    assert all(e["record"]["answer_at_us"] for e in ended)
    assert not [e for e in engine.events if e["type"] == "EngineError"]


def test_malformed_sip_leaves_the_engine_alive_and_able_to_take_a_call(answering_agent):
    engine, port, idle_ports = answering_agent
    messages = malformed_messages("127.0.0.1", port)
    assert len(messages) >= 10
    for name, payload in messages.items():
        send_raw_udp("127.0.0.1", port, payload, wait_s=0.5)
        assert engine.proc.poll() is None, f"the engine died on {name!r}"
    stats = _settled(engine, idle_ports)
    assert stats["calls"] == 0, f"malformed INVITEs left calls behind: {stats}"
    # Still a working phone: a normal call completes end to end.
    result = run_uac_load("127.0.0.1", port, calls=3, rate=5, limit=1, user="agent", timeout_s=30)
    assert result.ok and result.successful == 3, result.stdout_tail
    assert _settled(engine, idle_ports)["conference_ports"] == idle_ports

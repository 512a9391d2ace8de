"""The engine under load and under attack: sipp churn and malformed SIP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sip.remote import RemoteEngine
from tests.servers.sipp import (
    BAD_UTF8_CALL_ID_ARGS,
    bad_utf8_scenario,
    malformed_messages,
    run_uac_load,
    send_raw_udp,
    sipp_available,
)

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
    engine.account_id = engine.call(  # type: ignore[attr-defined]
        "add_account", settings={"user": "agent", "domain": "127.0.0.1", "register": False}
    )
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


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def test_bytes_that_are_not_utf8_reach_events_escaped(answering_agent, tmp_path):
    engine, port, idle_ports = answering_agent
    result = run_uac_load(
        "127.0.0.1",
        port,
        calls=1,
        rate=1,
        limit=1,
        scenario=bad_utf8_scenario(tmp_path),
        extra_args=BAD_UTF8_CALL_ID_ARGS,
    )
    assert result.ok, result.stdout_tail
    ring = engine.wait_event("IncomingCall")
    ended = engine.wait_event("CallEnded", call_id=ring["call_id"])
    states = [e for e in engine.events if e.get("call_id") == ring["call_id"]]
    for event in (ring, ended, *states):
        for text in _strings(event):
            text.encode("utf-8")  # a lone surrogate raises here
        json.dumps(event, ensure_ascii=False).encode("utf-8")
    assert ring["sip_call_id"].endswith("-\\xff\\xfe")
    assert ended["record"]["sip_call_id"] == ring["sip_call_id"]
    assert ring["number"] == "+79125550102\\xff"  # from P-Asserted-Identity
    assert ring["display_name"] == "\\xc3( Caller"
    assert ring["headers"]["remote-party-id"].startswith('"\\xe9t\\xe9"')
    assert _settled(engine, idle_ports)["calls"] == 0


def test_a_call_refused_for_its_offer_names_its_account_and_call_id(answering_agent):
    engine, port, _ = answering_agent
    invite = malformed_messages("127.0.0.1", port)["invite_sdp_unsupported_codec_only"]
    call_id = re.search(rb"Call-ID: (\S+)", invite)
    assert call_id is not None
    answers = send_raw_udp("127.0.0.1", port, invite, wait_s=2.0)
    assert any(a.startswith(b"SIP/2.0 488") for a in answers), answers
    refused = engine.wait_event("IncomingCallRejected", code=488)
    assert refused["account_id"] == engine.account_id  # type: ignore[attr-defined]
    assert refused["sip_call_id"] == call_id.group(1).decode()
    assert refused["number"] == "fuzz"

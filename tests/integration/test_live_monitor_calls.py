"""Monitoring from the store to real softphones through Kamailio: a supervisor opens a
session in the store, the operator's desktop (its engine in a child process) receives it over
the live channel and grants it; the supervisor's softphone calls with the session's id and is
mixed in; the store hears it is active, a mode change reaches the engine, a revocation ends
both legs, and every step is in the audit trail."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop.live.channel import LiveChannel
from desktop.live.monitoring import MonitorEngine, MonitorGrants
from sip import events as ev
from store.client import StoreClient
from store.users import set_extension
from tests.integration.sipkit import Agent
from tests.integration.store_kit import store_with_clients
from tests.integration.test_engine_process import OPERATOR, Desk, answered_call, desk  # noqa: F401

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
SUPERVISOR = "carol"  # the supervisor's SIP user


def test_a_session_from_the_store_brings_the_supervisors_call_in_and_out(
    request: pytest.FixtureRequest,
    desk: Desk,  # noqa: F811 - the fixture
    agents: Any,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    bob, carol = agents("bob"), agents(SUPERVISOR)
    _, operator_call = answered_call(qtbot, desk, bob)
    with store_with_clients(request, tmp_path / "store", "sqlite") as store:
        with store.db() as db:
            set_extension(db, "alice", OPERATOR)  # the operator's softphone is "dave"
            set_extension(db, "sam", SUPERVISOR)
        token = store.server.tokens["alice"]
        client = StoreClient(store.url, token)
        live = LiveChannel(store.url, "", lambda _url: token)
        grants = MonitorGrants(MonitorEngine(desk.engine), client)
        live.received.connect(grants.on_event)
        desk.bridge.sip_event.connect(grants.on_engine_event)
        taken: list[str] = []
        grants.granted.connect(taken.append)
        live.start()
        try:
            session = store.sam.open_monitoring("alice", "listen")
            qtbot.waitUntil(lambda: session["id"] in taken, timeout=10_000)
            leg = _dial(carol, session["agent_sip"], session["id"])
            started = desk.wait(qtbot, ev.MonitorStarted, session_id=session["id"])
            assert isinstance(started, ev.MonitorStarted)
            assert started.customer_call_id == operator_call and started.supervisor == SUPERVISOR
            assert carol.wait("MonitorStarted", session_id=session["id"])["call_id"] == leg
            qtbot.waitUntil(lambda: _state(store.sam, session["id"]) == "active", timeout=5_000)

            store.sam.set_monitoring_mode(session["id"], "barge")
            desk.wait(qtbot, ev.MonitorModeChanged, session_id=session["id"], mode="barge")
            store.sam.revoke_monitoring(session["id"])
            ended = desk.wait(qtbot, ev.MonitorEnded, session_id=session["id"])
            assert isinstance(ended, ev.MonitorEnded) and ended.reason == "revoked"
            carol.wait("MonitorEnded", session_id=session["id"])
            actions = [r["action"] for r in store.ada.audit(target=f"monitoring/{session['id']}")]
            assert sorted(actions) == ["monitor.active", "monitor.end", "monitor.mode",
                                       "monitor.open"]  # fmt: skip
        finally:
            live.close()
            client.close()


def _dial(supervisor: Agent, target: str, session_id: str) -> str:
    return str(supervisor.call("call_monitor", target=target, session_id=session_id))


def _state(client: StoreClient, session_id: str) -> str:
    return client.monitoring_session(session_id)["state"]

"""The operator's window around a real softphone engine registered at a real Kamailio; the
customer and the transfer target are real engines in child processes.

The window's engine runs in a child process as the app runs it (``make_engine``), shared by
the tests of this module. The window is a real X11 window on
a private Xvfb when Qt has no platform chosen yet; under a suite that already chose one (CI's
offscreen platform) it runs there. Screenshots of the main states are saved under
``$AGENTDESK_ARTIFACTS`` or ``tests/artifacts``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.agent.state import StateChange
from desktop.calls.engine_bridge import EngineBridge, make_engine
from desktop.operator.window import MainWindow
from desktop.settings.values import AgentSection
from sip.config import AccountSettings, EngineConfig
from tests.integration.desktop_kit import artifacts, private_display
from tests.integration.sipkit import PASSWORDS, Agent
from tests.servers.kamailio import Kamailio

pytestmark = [pytest.mark.integration, pytest.mark.on_x11]
WRAP_UP_S = 2.0
OPERATOR = "dave"


@pytest.fixture(scope="session", autouse=True)
def display() -> Iterator[str]:
    """Qt on a private Xvfb (xcb) unless the run already chose a platform or made the app."""
    yield from private_display(1280, 800)


class Desk:
    """The window, its engine and what the agent state went through."""

    def __init__(self, window: MainWindow, changes: list[StateChange]) -> None:
        self.window = window
        self.changes = changes

    def states(self) -> list[str]:
        return [c.state for c in self.changes]

    def shot(self, name: str) -> Path:
        QApplication.processEvents()
        path = artifacts() / f"desktop-{name}.png"
        assert self.window.grab().save(str(path)), f"could not save {path}"
        return path


@pytest.fixture(scope="module")
def desk(display: str, qapp: QApplication, kamailio: Kamailio) -> Iterator[Desk]:
    engine = make_engine(
        EngineConfig(bind_address="127.0.0.1", transports=("udp",), audio="null", log_level=2)
    )
    bridge = EngineBridge(engine)
    options = AgentSection(wrap_up_s=WRAP_UP_S)
    window = MainWindow(bridge, account=f"{OPERATOR}@{kamailio.domain}", agent_options=options)
    changes: list[StateChange] = []
    window.agent.subscribe(changes.append)
    window.show()
    account = AccountSettings(
        user=OPERATOR, domain=kamailio.domain, registrar=kamailio.registrar_uri("udp")
    )
    bridge.start(account, lambda: PASSWORDS[OPERATOR])
    try:
        yield Desk(window, changes)
    finally:
        window.close()
        window.deleteLater()
        QApplication.processEvents()
        assert bridge.stop(), "the window's engine did not stop cleanly"


def ready(qtbot: QtBot, desk: Desk) -> None:
    qtbot.waitUntil(lambda: desk.window.agent.state == "ready", timeout=15000)


def ring(qtbot: QtBot, desk: Desk, caller: Agent) -> str:
    """``caller`` dials the operator; returns the caller's call id once the banner shows."""
    call_id = caller.dial(OPERATOR)
    banner = desk.window.banner
    qtbot.waitUntil(
        lambda: banner.isVisible() and caller.user in banner.label.text(), timeout=10000
    )
    return call_id


def test_call_rings_is_answered_held_and_transferred_then_wrap_up(
    qtbot: QtBot, desk: Desk, agents: Callable[..., Agent], monkeypatch: pytest.MonkeyPatch
) -> None:
    w = desk.window
    ready(qtbot, desk)
    assert w.state_bar.text() == "Ready" and "Registered (200 OK)" in w.registration.text()
    desk.shot("1-ready")
    desk.changes.clear()
    alice, carol = agents("alice"), agents("carol")
    a_call = ring(qtbot, desk, alice)
    assert "Incoming call from alice" in w.banner.label.text()
    assert w.tray.last_notice == ("Incoming call", "alice")
    desk.shot("2-incoming")
    qtbot.mouseClick(w.banner.answer_button, Qt.MouseButton.LeftButton)
    alice.wait("CallStateChanged", call_id=a_call, state="confirmed")
    qtbot.waitUntil(lambda: w.state_bar.text() == "On call", timeout=5000)
    assert not w.banner.isVisible()
    desk.shot("3-on-call")

    w.controls.buttons["hold"].click()
    qtbot.waitUntil(lambda: w.controls.buttons["hold"].text() == "Resume", timeout=5000)
    alice.wait("CallMediaChanged", call_id=a_call, media="remote_hold")
    desk.shot("4-on-hold")
    w.controls.buttons["hold"].click()
    qtbot.waitUntil(lambda: w.controls.buttons["hold"].text() == "Hold", timeout=5000)

    monkeypatch.setattr(w.call_actions, "ask_transfer_target", lambda: "carol")
    w.controls.buttons["transfer"].click()
    target = carol.wait("IncomingCall")
    assert target["number"] == "alice"  # the customer now calls the transfer target
    carol.call("answer", call_id=target["call_id"])
    qtbot.waitUntil(lambda: w.state_bar.text() == "Wrap-up", timeout=10000)
    assert w.calls.table.rowCount() == 0
    desk.shot("5-wrap-up")
    qtbot.waitUntil(lambda: w.state_bar.text() == "Ready", timeout=int(WRAP_UP_S * 1000) + 3000)
    assert desk.states() == ["on_call", "wrap_up", "ready"]
    on_call, wrap_up, back = desk.changes
    assert back.at_us - wrap_up.at_us == WRAP_UP_S * 1_000_000
    assert wrap_up.at_us > on_call.at_us
    carol.call("hangup", call_id=target["call_id"])
    alice.wait("CallEnded")


def test_second_call_is_answered_and_the_first_joined_to_it_by_attended_transfer(
    qtbot: QtBot, desk: Desk, agents: Callable[..., Agent], monkeypatch: pytest.MonkeyPatch
) -> None:
    w = desk.window
    ready(qtbot, desk)
    alice, carol = agents("alice"), agents("carol")
    a_call = ring(qtbot, desk, alice)
    w.call_actions.shortcut("answer")  # what Ctrl+Shift+A does
    alice.wait("CallStateChanged", call_id=a_call, state="confirmed")
    c_call = ring(qtbot, desk, carol)
    assert "another call is in progress" in w.banner.label.text()
    desk.shot("6-second-call")
    w.banner.answer_button.click()
    carol.wait("CallStateChanged", call_id=c_call, state="confirmed")
    alice.wait("CallMediaChanged", call_id=a_call, media="remote_hold")  # the first waits
    first = next(r.call_id for r in w.book.rows.values() if r.number == "alice")
    second = next(r.call_id for r in w.book.rows.values() if r.number == "carol")
    qtbot.waitUntil(lambda: w.book.rows[first].held, timeout=5000)
    w.calls.select(first)
    assert w.controls.buttons["attended"].isEnabled()
    desk.shot("7-two-calls")
    monkeypatch.setattr(w.call_actions, "ask_consult_call", lambda call_id: second)
    w.controls.buttons["attended"].click()
    replaced = carol.wait("CallReplaced", old_call_id=c_call)
    qtbot.waitUntil(lambda: w.state_bar.text() == "Wrap-up", timeout=10000)
    assert w.calls.table.rowCount() == 0
    carol.call("hangup", call_id=replaced["new_call_id"])
    alice.wait("CallEnded")
    qtbot.waitUntil(lambda: w.state_bar.text() == "Ready", timeout=int(WRAP_UP_S * 1000) + 3000)

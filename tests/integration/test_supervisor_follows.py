"""The supervisor's live views follow the store's live channel, against a real store on
127.0.0.1: the queue panel (offscreen Qt) asks again when queue events are posted and when an
agent's state changes (its fallback poll set to an hour, so only the event can move it), and
shows each waiting caller with the karma operators gave; the monitoring controls and the web
console's board (Debian's Chromium) follow a session's state as the agent's desktop reports it.

Queue fixture (``now`` = the time of the test, seconds; queue Q):
  members PJSIP/201 (alice, in wrap-up on her desktop), PJSIP/202 (bob, not ready: Training),
  PJSIP/203 (no desktop, paused on the PBX: lunch), PJSIP/204 (no desktop);
  +79990000001 (rated -2 once: "difficult") enters at now-40, +79990000002 at now-10.
  → free 1 (204), wrap-up 1, break 1, not ready 1, on a call 0; 2 waiting, longest ≥ 0:40.
  bob is then set ready by the supervisor → free 2, not ready 0.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.live.channel import LiveChannel
from desktop.supervisor.monitor_controls import MonitorControls
from desktop.supervisor.queue_panel import (
    CALLER_KARMA,
    CALLER_NUMBER,
    CALLER_WAIT,
    COL_BREAK,
    COL_FREE,
    COL_NOT_READY,
    COL_ON_CALL,
    COL_QUEUE,
    COL_WAITING,
    COL_WRAP_UP,
    QueuePanel,
)
from store.client import StoreClient
from store.db import connect
from store.pbx.client import QueueClient
from store.users import set_extension, set_password
from tests.integration.store_kit import USERS, new_id
from tests.servers.chromium import Chromium, chromium_available, signed_in
from tests.servers.store import StoreServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.integration
S = 1_000_000
SAM_PASSWORD = "sam-secret-555"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    made = StoreServer(tmp_path_factory.mktemp("supervisor-follows"), None, dict(USERS))
    made.start()
    with contextlib.closing(connect(str(made.data_dir / "store.sqlite3"))) as db:
        for name, extension in (("alice", "201"), ("bob", "202"), ("sam", "900")):
            set_extension(db, name, extension)
        set_password(db, "sam", SAM_PASSWORD)
    yield made
    made.stop()
    assert "Traceback" not in made.log(), made.log()


@pytest.fixture
def channel(qtbot: QtBot, server: StoreServer) -> Iterator[LiveChannel]:
    """Sam's desktop live channel, connected."""
    live = LiveChannel(server.base_url, "", lambda url: server.tokens["sam"])
    heard: list[dict[str, object]] = []
    live.received.connect(heard.append)
    live.start()
    qtbot.waitUntil(lambda: any(e["type"] == "hello" for e in heard), timeout=10_000)
    yield live
    live.close()


def client(server: StoreServer, name: str) -> StoreClient:
    return StoreClient(server.base_url, server.tokens[name])


def text(table: object, row: int, col: int) -> str:
    item = table.item(row, col)  # type: ignore[attr-defined]
    return "" if item is None else str(item.text())


def test_the_queue_panel_follows_queue_events_and_agent_states(
    qtbot: QtBot, server: StoreServer, channel: LiveChannel
) -> None:
    now = int(time.time())
    q = f"q{uuid.uuid4().hex[:6]}"
    with client(server, "alice") as alice, client(server, "sam") as sam:
        alice.put_call(new_id(), {  # type: ignore[typeddict-item]
            "agent": "alice", "direction": "inbound", "remote_number": "+79990000001",
            "started_us": (now - 86_400) * S, "karma": -2,
        })  # fmt: skip
        panel = QueuePanel(sam.queues_live, live_events=channel.received)
        qtbot.addWidget(panel)
        panel.refresh_timer.setInterval(3_600_000)  # the fallback poll cannot be what moves it
        panel.start()
        qtbot.waitUntil(lambda: panel._live is not None, timeout=10_000)
        assert panel.table.rowCount() == 0 and panel.event_refreshes == 0
        lines = [
            *(f"{now - 300}|NONE|{q}|PJSIP/{ext}|ADDMEMBER|" for ext in (201, 202, 203, 204)),
            f"{now - 200}|NONE|{q}|PJSIP/203|PAUSE|lunch",
            f"{now - 40}|{now - 40}.1|{q}|NONE|ENTERQUEUE||+79990000001|1",
            f"{now - 10}|{now - 10}.1|{q}|NONE|ENTERQUEUE||+79990000002|2",
        ]
        with QueueClient(server.base_url, server.tokens["ada"]) as pbx:
            assert pbx.send_queue_log("\n".join(lines))["stored"] == len(lines)
        qtbot.waitUntil(lambda: text(panel.table, 0, COL_QUEUE) == q, timeout=10_000)
        assert panel.event_refreshes > 0
        agents = (COL_FREE, COL_ON_CALL, COL_WRAP_UP, COL_BREAK, COL_NOT_READY)
        assert text(panel.table, 0, COL_WAITING) == "2"
        assert [text(panel.table, 0, c) for c in agents] == ["3", "0", "0", "1", "0"]
        callers = panel.callers
        assert callers.rowCount() == 2
        assert [text(callers, r, CALLER_NUMBER) for r in (0, 1)] == ["+79990000001", "+79990000002"]
        assert text(callers, 0, CALLER_KARMA) == "-2.0 difficult (ratings: 1)"
        assert text(callers, 1, CALLER_KARMA) == ""  # nobody rated the second caller
        minutes, seconds = text(callers, 0, CALLER_WAIT).split(":")
        assert int(minutes) * 60 + int(seconds) >= 40
        # Agents' states change on their desktops: the panel hears of each.
        alice.set_state("alice", "wrap_up")
        qtbot.waitUntil(lambda: text(panel.table, 0, COL_WRAP_UP) == "1", timeout=10_000)
        sam.set_state("bob", "not_ready", "Training")
        qtbot.waitUntil(lambda: text(panel.table, 0, COL_NOT_READY) == "1", timeout=10_000)
        assert [text(panel.table, 0, c) for c in agents] == ["1", "0", "1", "1", "1"]
        sam.set_state("bob", "on_call")
        qtbot.waitUntil(lambda: text(panel.table, 0, COL_ON_CALL) == "1", timeout=10_000)
        assert [text(panel.table, 0, c) for c in agents] == ["1", "1", "1", "1", "0"]
        panel.stop()


def test_the_monitoring_controls_follow_the_session(
    qtbot: QtBot, server: StoreServer, channel: LiveChannel
) -> None:
    with client(server, "alice") as alice, client(server, "sam") as sam:
        controls = MonitorControls(sam, lambda: "alice")
        qtbot.addWidget(controls)
        channel.received.connect(controls.on_live_event)
        controls.buttons["listen"].click()
        qtbot.waitUntil(lambda: controls.session is not None, timeout=10_000)
        assert controls.session is not None
        first = controls.session["id"]
        alice.report_monitoring(first, "active")  # the agent's engine mixed the call in
        qtbot.waitUntil(lambda: controls.status.text().startswith("Connected"), timeout=10_000)
        assert "Listening to alice" in controls.status.text()
        sam.set_monitoring_mode(first, "barge")  # from elsewhere (the web console)
        qtbot.waitUntil(lambda: "In the call of alice" in controls.status.text(), timeout=10_000)
        alice.report_monitoring(first, "ended", "the customer hung up")
        qtbot.waitUntil(lambda: controls.session is None, timeout=10_000)
        assert controls.status.text() == "The session ended: the customer hung up"
        assert not controls.stop_button.isEnabled()
        # A session the agent's desktop refuses says so.
        controls.buttons["whisper"].click()
        qtbot.waitUntil(
            lambda: controls.session is not None and controls.session["id"] != first,
            timeout=10_000,
        )
        assert controls.session is not None
        alice.report_monitoring(controls.session["id"], "rejected", "no such call")
        qtbot.waitUntil(lambda: controls.session is None, timeout=10_000)
        assert controls.status.text() == "The agent's desktop refused the session: no such call"


@pytest.mark.skipif(not chromium_available(), reason="Debian's chromium and chromedriver")
def test_the_web_board_follows_the_session(server: StoreServer, tmp_path: Path) -> None:
    with client(server, "bob") as bob, client(server, "sam") as sam:
        session = sam.open_monitoring("bob", "listen")
        sid = session["id"]
        with Chromium(tmp_path / "profile") as browser:
            driver = browser.driver
            signed_in(driver, server.base_url, "sam", SAM_PASSWORD)
            driver.get(f"{server.base_url}/board")
            row = f'#monitor-sessions tr[data-session="{sid}"]'

            def cell(name: str) -> str:
                return str(driver.execute_script(
                    "const c = document.querySelector(arguments[0]);"
                    "return c ? c.textContent : null;", f"{row} .{name}",
                ))  # fmt: skip

            def until(check: object, what: str) -> None:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if check():  # type: ignore[operator]
                        return
                    time.sleep(0.1)
                raise AssertionError(f"the board never showed {what}: {cell('state')!r}")

            assert cell("state") == "waiting for the softphone's call"
            until(lambda: driver.execute_script(
                "return window.agentdeskBoard.channel.readyState") == 1, "its live channel open"
            )  # fmt: skip
            bob.report_monitoring(sid, "active")
            until(lambda: cell("state") == "connected", "the session connected")
            sam.set_monitoring_mode(sid, "whisper")
            until(lambda: cell("mode") == "whisper", "the new mode")
            bob.report_monitoring(sid, "ended", "the customer hung up")
            until(lambda: cell("state") == "ended: the customer hung up", "the end and why")
            stop = driver.find_element("css selector", f'{row} button[value="stop"]')
            assert not stop.is_enabled()

"""The desktop as the app composes it (``desktop.app.build``) when its softphone engine's process
is killed mid-call (what a pjsip abort does): the window and the screen recorder's worker live
on, the call ends by "system" and reaches the store with its screen recording, the operator reads
why, and the engine comes back registered."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot

from desktop import secret_store
from desktop.app import Desktop, build
from desktop.calls.model import Call
from desktop.crm.panel import CrmPanel
from desktop.settings.values import LoadedSettings
from sip.process import LOST, EngineProcess
from store.client import StoreClient
from tests.integration.conftest import kamailio  # noqa: F401 - fixture
from tests.integration.desktop_kit import desktop_settings
from tests.integration.recorder_kit import xvfb  # noqa: F401 - fixture
from tests.integration.sipkit import PASSWORDS, Agent
from tests.integration.store_kit import running_store
from tests.servers.crm import CrmServer
from tests.servers.kamailio import Kamailio
from tests.servers.store import StoreServer
from tests.servers.xvfb import XvfbServer

pytestmark = [pytest.mark.integration, pytest.mark.on_x11]
CUSTOMER = "79160000001"
OPERATOR = "alice"


@pytest.fixture
def desk(
    request: pytest.FixtureRequest,
    qtbot: QtBot,
    qapp: QApplication,
    kamailio: Kamailio,  # noqa: F811
    xvfb: XvfbServer,  # noqa: F811
    tmp_path: Path,
) -> Iterator[tuple[Desktop, StoreServer]]:
    secret_store.hold_for_session(secret_store.keyring_user(OPERATOR, kamailio.domain),
                                  PASSWORDS[OPERATOR])  # fmt: skip
    with running_store(request, tmp_path / "store") as store, CrmServer() as crm:
        secret_store.hold_for_session(secret_store.STORE_TOKEN_USER, store.tokens[OPERATOR])
        conf = desktop_settings(kamailio, store.base_url, crm, tmp_path, operator=OPERATOR)
        made = build(LoadedSettings(conf, tmp_path / "agentdesk.toml", "file"), [],
                     display=xvfb.display)  # fmt: skip
        made.window.show()
        try:
            yield made, store
        finally:
            assert made.close(), "the engine did not stop in time"


def test_a_killed_engine_leaves_the_window_and_the_recorder_running(
    qtbot: QtBot,
    desk: tuple[Desktop, StoreServer],
    kamailio: Kamailio,  # noqa: F811
) -> None:
    made, store = desk
    window, engine, recorder = made.window, made.bridge.engine, made.recorder
    assert isinstance(engine, EngineProcess) and recorder is not None
    qtbot.waitUntil(lambda: window.agent.state == "ready", timeout=20000)
    qtbot.waitUntil(lambda: recorder.pid is not None, timeout=10000)
    worker = recorder.pid
    ended: list[Call] = []
    window.book.ended.connect(ended.append)
    kamailio.add_user(CUSTOMER, "nobody")
    customer = Agent(kamailio, CUSTOMER)
    try:
        customer.wait_registered()
        out_id = customer.dial(OPERATOR)
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10000)
        qtbot.mouseClick(window.banner.answer_button, Qt.MouseButton.LeftButton)
        customer.wait("CallStateChanged", state="confirmed", call_id=out_id)
        qtbot.waitUntil(lambda: window.agent.state == "on_call", timeout=5000)
        qtbot.wait(1500)  # some screen and audio recorded

        pid = engine.pid
        assert pid is not None and pid != os.getpid()
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: bool(ended), timeout=2000)
        assert time.monotonic() - killed < 2.0
        call = ended[0]
        assert call.record is not None and call.record["ended_by"] == "system"
        assert call.record["cause"] == LOST and call.answered_us is not None
        qtbot.waitUntil(
            lambda: "stopped unexpectedly" in window.statusBar().currentMessage(), timeout=2000
        )
        assert window.isVisible() and recorder.pid == worker  # the UI and the worker live on

        # The dialog card is finished as usual: the recording window closes, the call is kept.
        panel = window.findChild(CrmPanel)
        assert panel is not None and panel.card_call == call.call_id
        panel.dialog.findChild(QComboBox, "card_disposition").setCurrentText("resolved")
        qtbot.mouseClick(panel.finish, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: engine.pid not in (None, pid), timeout=15000)
        qtbot.waitUntil(lambda: "Registered" in window.registration.text(), timeout=15000)
        qtbot.waitUntil(lambda: window.agent.state == "ready", timeout=10000)
        customer.call("hangup", call_id=out_id)
    finally:
        customer.close()

    qa = StoreClient(store.base_url, store.tokens["quinn"])

    def stored() -> dict[str, Any] | None:
        try:
            found = qa.get_call(call.call_id)
        except Exception:
            return None
        kinds = {m["kind"] for m in found.get("media", [])}
        return found if "screen" in kinds and found.get("disposition") else None

    deadline = time.monotonic() + 60
    while (found := stored()) is None and time.monotonic() < deadline:
        qtbot.wait(300)
    assert found is not None, "the call and its screen recording did not reach the store"
    assert found["ended_by"] == "system" and found["answered_us"] is not None
    assert recorder.pid == worker
    # The call audio recorded until the kill stays for the outbox's recovery.
    audio = Path(made.bridge.engine.config.recording_dir)
    assert list(audio.glob(f"{call.call_id}*.json"))

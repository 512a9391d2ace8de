"""Deployed as a new site would be: a store whose users are people (``anna`` the agent, ``quinn``
of QA), Anna's PC registered as extension 1001 at a real Kamailio, her store token in the
keyring, and a real far end (baresip) calling 1001.

The desktop is composed by ``desktop.app.build``; the operator is the token's owner (anna),
never the SIP user (1001), which rides along as the extension. A state journalled by an older
desktop under the SIP user still reaches the store as anna. With a revoked token nothing is
dropped: the window says what is wrong, and once a new token is saved everything drains
without a restart.
"""

from __future__ import annotations

import dataclasses
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
from desktop.crm.panel import CrmPanel
from desktop.settings.values import LoadedSettings, Settings
from formats.clock import utc_us
from recorder.outbox.journal import Outbox
from store.client import StoreClient
from store.db import connect
from store.users import issue_token, revoke_tokens
from tests.integration.conftest import kamailio  # noqa: F401 - fixture
from tests.integration.desktop_kit import desktop_settings
from tests.servers.baresip import Baresip, baresip_available
from tests.servers.crm import CrmServer
from tests.servers.kamailio import Kamailio
from tests.servers.store import StoreServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not baresip_available(), reason="baresip is not installed"),
]
EXTENSION, SIP_PASSWORD = "1001", "1001-pw-deploy"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    users = {"anna": "agent", "quinn": "qa"}
    with StoreServer(tmp_path_factory.mktemp("deploy-store"), users=users) as server:
        yield server


@pytest.fixture(scope="module")
def crm() -> Iterator[CrmServer]:
    with CrmServer() as server:
        yield server


def anna_settings(kam: Kamailio, store: StoreServer, crm: CrmServer, tmp: Path) -> Settings:
    """Anna's PC: extension 1001 at the PBX, the store, uploads on; no screen recorder (the
    upload-only worker sends the outbox)."""
    kam.add_user(EXTENSION, SIP_PASSWORD)
    conf = desktop_settings(kam, store.base_url, crm, tmp, operator=EXTENSION, wrap_up_s=1)
    return dataclasses.replace(conf, recorder=dataclasses.replace(conf.recorder, enabled=False))


def start_desk(conf: Settings, tmp: Path, token: str) -> Desktop:
    domain = conf.account.domain if conf.account else ""
    secret_store.hold_for_session(secret_store.keyring_user(EXTENSION, domain), SIP_PASSWORD)
    secret_store.hold_for_session(secret_store.STORE_TOKEN_USER, token)
    made = build(LoadedSettings(conf, tmp / "agentdesk.toml", "file"), [])
    made.window.show()
    return made


def wait_for(what: str, check: Any, timeout_s: float, qtbot: QtBot) -> Any:
    """Poll ``check()`` (bounded) while Qt runs; its first truthy answer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = check()
        except Exception:
            found = None
        if found:
            return found
        qtbot.wait(200)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def screenshot(desk: Desktop, name: str) -> None:
    folder = REPO / "tests" / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    desk.window.grab().save(str(folder / f"deployment-{name}.png"))


def test_anna_takes_a_call_from_a_real_far_end_and_the_store_knows_her(
    qtbot: QtBot,
    qapp: QApplication,
    kamailio: Kamailio,  # noqa: F811
    store: StoreServer,
    crm: CrmServer,
    tmp_path: Path,
) -> None:
    conf = anna_settings(kamailio, store, crm, tmp_path)
    # An older desktop journalled a state under the SIP user; it must reach the store as anna.
    old_at = utc_us() - 60_000_000
    box = Outbox(Path(conf.upload.outbox_dir))
    box.add_state(EXTENSION, "not_ready", "Training", old_at)
    box.close()

    desk = start_desk(conf, tmp_path, store.tokens["anna"])
    kamailio.add_user("carol", "carol-pw-far")
    far = Baresip(
        user="carol",
        password="carol-pw-far",
        answermode="manual",
        registrar=f"127.0.0.1:{kamailio.udp_port}",
        workdir=tmp_path / "baresip",
    )
    try:
        window = desk.window
        qtbot.waitUntil(lambda: window.agent.state == "ready", timeout=20000)
        session = desk.store
        assert session is not None
        qtbot.waitUntil(lambda: session.identity is not None, timeout=10000)
        assert session.identity is not None
        assert (session.identity.name, session.identity.extension) == ("anna", EXTENSION)
        assert not window.store_problem.isVisible()

        far.start()
        far.registered()
        assert far.dial(kamailio.uri(EXTENSION))["ok"] is True
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10000)
        panel = window.findChild(CrmPanel)
        assert panel is not None
        call_id = panel.card_call
        qtbot.mouseClick(window.banner.answer_button, Qt.MouseButton.LeftButton)
        far.wait_event("CALL_ESTABLISHED", timeout=10, direction="outgoing")
        qtbot.waitUntil(lambda: window.agent.state == "on_call", timeout=5000)
        qtbot.wait(2500)
        assert far.hangup()["ok"] is True
        qtbot.waitUntil(lambda: window.agent.state == "wrap_up", timeout=10000)
        panel.dialog.findChild(QComboBox, "card_disposition").setCurrentText("resolved")
        qtbot.mouseClick(panel.finish, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.agent.state == "ready", timeout=5000)
        screenshot(desk, "anna-after-the-call")

        qa = StoreClient(store.base_url, store.tokens["quinn"])

        def stored_call() -> Any:
            call = qa.get_call(call_id)
            kinds = {m["kind"] for m in call.get("media", [])}
            return call if "audio" in kinds and call.get("disposition") == "resolved" else None

        call = wait_for("the call and its audio in the store", stored_call, 90, qtbot)
        assert call["agent"] == "anna" and call["extension"] == EXTENSION
        assert call["answered_us"] is not None and call["ended_us"] > call["answered_us"]
        audio = next(m for m in call["media"] if m["kind"] == "audio")
        assert len(qa.download(audio["sha256"], 0, 3)) == 4  # quinn reads the audio

        with StoreClient(store.base_url, store.tokens["anna"]) as anna:
            states = wait_for(
                "anna's states",
                lambda: (
                    {(s["state"], s["since_us"]) for s in anna.state_history("anna")}
                    if len(anna.state_history("anna")) >= 3
                    else None
                ),
                30,
                qtbot,
            )
        assert ("not_ready", old_at) in states  # journalled under 1001, stored as anna
        assert {"ready", "wrap_up"} <= {state for state, _ in states}
        board = {row["agent"]: row for row in qa.live_board()["agents"]}
        assert board["anna"]["presence_us"] is not None
        assert EXTENSION not in board
        qa.close()
    finally:
        far.close()
        assert desk.close(), "the engine did not stop in time"


def test_a_revoked_token_waits_and_a_new_one_drains_without_a_restart(
    qtbot: QtBot,
    qapp: QApplication,
    kamailio: Kamailio,  # noqa: F811
    store: StoreServer,
    crm: CrmServer,
    tmp_path: Path,
) -> None:
    db = connect(str(store.data_dir / "store.sqlite3"))
    try:
        revoked = issue_token(db, "anna", days=1)[0]
        revoke_tokens(db, "anna")
        fresh = issue_token(db, "anna", days=1)[0]
    finally:
        db.close()
    conf = anna_settings(kamailio, store, crm, tmp_path)
    desk = start_desk(conf, tmp_path, revoked)
    try:
        window = desk.window
        line = window.store_problem
        qtbot.waitUntil(lambda: "does not accept the saved token" in line.text(), timeout=15000)
        qtbot.waitUntil(lambda: window.agent.state == "ready", timeout=20000)
        since = window.agent.since_us
        qtbot.waitUntil(lambda: desk.uploads.status()["items"] > 0, timeout=10000)
        assert desk.uploads.status()["reason"] == "the store does not accept the saved token"
        screenshot(desk, "revoked-token")

        # A new token is saved in the settings (the dialog writes the keyring, then says so).
        secret_store.hold_for_session(secret_store.STORE_TOKEN_USER, fresh)
        assert desk.store is not None
        desk.store.follow(store.base_url, "")
        qtbot.waitUntil(lambda: not line.isVisible(), timeout=15000)
        qtbot.waitUntil(lambda: desk.uploads.status()["items"] == 0, timeout=60000)
        with StoreClient(store.base_url, fresh) as anna:
            states = {(s["state"], s["since_us"]) for s in anna.state_history("anna")}
        assert ("ready", since) in states
        screenshot(desk, "new-token-drained")
    finally:
        assert desk.close(), "the engine did not stop in time"

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
import uuid
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
from tests.e2e.desk_kit import wait_for
from tests.integration.conftest import kamailio  # noqa: F401 - fixture
from tests.integration.desktop_kit import desktop_settings
from tests.servers.baresip import Baresip, baresip_available
from tests.servers.crm import CrmServer
from tests.servers.kamailio import Kamailio
from tests.servers.sipp import headers_call_scenario, run_uac_load, sipp_available
from tests.servers.store import StoreServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not baresip_available(), reason="baresip is not installed"),
]
EXTENSION, SIP_PASSWORD = "1001", "1001-pw-deploy"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    users = {"anna": "agent", "quinn": "qa", "ben": "agent"}
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


def test_a_call_refused_in_a_break_counts_where_it_belongs(
    qtbot: QtBot,
    qapp: QApplication,
    kamailio: Kamailio,  # noqa: F811
    store: StoreServer,
    crm: CrmServer,
    tmp_path: Path,
) -> None:
    """Anna is on her lunch break. The PBX (sipp through Kamailio) rings 1001 with its queue
    headers (support, waited 12 s, its call id); her softphone refuses it (486) and her desktop
    sends the leg as refused in a break. The PBX rolls the call over to ben, whose desktop
    answers it 3 s after anna's leg began (posted as his desktop would). By hand, for queue
    support: the customer call is offered once, at ben, answered; anna: refused 1, presented 0,
    missed 0, offered 0; ben: offered 1, answered 1, presented 1, missed 0; the customer's
    wait = 12 (the first leg's queue wait) + 3 (first ring → answer) = 15 s ≤ 20: service
    level 100.0."""
    if not sipp_available():
        pytest.fail("sipp (sip-tester) is not installed: run scripts/setup --tests")
    db = connect(str(store.data_dir / "store.sqlite3"))
    try:
        token = issue_token(db, "anna", days=1)[0]  # her first one may have been revoked
    finally:
        db.close()
    conf = anna_settings(kamailio, store, crm, tmp_path)
    since = utc_us()
    desk = start_desk(conf, tmp_path, token)
    uniqueid = f"{since // 1_000_000}.{uuid.uuid4().int % 10_000}"
    headers = {"X-Queue": "support", "X-Queue-Wait": "12", "X-Asterisk-Uniqueid": uniqueid}
    qa = StoreClient(store.base_url, store.tokens["quinn"])
    try:
        window = desk.window
        qtbot.waitUntil(lambda: window.agent.state == "ready", timeout=20000)
        window.agent.choose("break", "Lunch")
        engine = window.bridge.engine
        wait_for("do-not-disturb in the softphone", lambda: engine.stats().result(5)["dnd"],
                 10, qtbot)  # fmt: skip
        pbx = run_uac_load("127.0.0.1", kamailio.port("udp"), calls=1, rate=1, limit=1,
                           user=EXTENSION, timeout_s=30,
                           scenario=headers_call_scenario(tmp_path, headers))  # fmt: skip
        assert pbx.ok and pbx.successful == 1, pbx.stdout_tail  # refused, and the 486 ACKed

        def refused() -> Any:
            found = qa.search_calls(agent="anna", queue="support", from_us=since)["items"]
            return found[0] if found else None

        leg = qa.get_call(wait_for("anna's refused leg in the store", refused, 60, qtbot)["id"])
        assert (leg["refusal"], leg["leg"], leg["pbx_call_id"], leg["queue_wait_s"]) == (
            "break", "refused", uniqueid, 12.0
        )  # fmt: skip
        assert leg["agent"] == "anna" and leg.get("answered_us") is None
        first_ring = leg["started_us"]
        with StoreClient(store.base_url, store.tokens["ben"]) as ben:
            ben.put_call(f"ben-{uniqueid}", {  # type: ignore[typeddict-item]
                "agent": "ben", "direction": "inbound", "remote_number": "sipp",
                "queue": "support", "queue_wait_s": 13.0, "pbx_call_id": uniqueid,
                "started_us": first_ring + 1_000_000, "answered_us": first_ring + 3_000_000,
                "ended_us": first_ring + 63_000_000, "ended_by": "remote",
            })  # fmt: skip
        report = qa.report("calls", since, utc_us() + 3_600_000_000, group="agent",
                           queue="support", sl_s=20, rollups=False)  # fmt: skip
        rows = {r["agent"]: r for r in report["rows"]}
        keys = ("offered", "answered", "presented", "missed", "refused", "service_level_pct")
        assert {a: tuple(rows[a][k] for k in keys) for a in rows} == {
            "anna": (0, 0, 0, 0, 1, None),
            "ben": (1, 1, 1, 0, 0, 100.0),
        }
        screenshot(desk, "refused-in-a-break")
    finally:
        qa.close()
        assert desk.close(), "the engine did not stop in time"

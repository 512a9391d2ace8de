"""The desktop's live channel against the real store: a policy change arrives as
``policy.changed`` and the desktop takes the new policy at once (its polling is minutes
apart while the channel is up), a supervisor's watch of the screen makes the presence ask at
once (its heartbeat is minutes apart too), and monitoring sessions reach the softphone
engine's commands, with the operator told of a supervisor as the policy says. With the
channel down, the policy poll and the heartbeat are back to every second or two."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop import secret_store
from desktop.agent.presence import PresencePublisher
from desktop.app.live import add_monitoring, follow_pushes, open_live_channel
from desktop.calls.engine_bridge import EngineBridge
from desktop.operator.window import MainWindow
from desktop.recording.policy import PolicyFollower
from desktop.settings import values as settings
from sip import events as ev
from store.client import StoreClient
from tests.integration.live_kit import set_phones
from tests.integration.store_kit import Store, store_with_clients
from tests.servers.ports import LOOPBACK, free_port
from tests.unit.fake_engine import FakeEngine

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with store_with_clients(request, tmp_path_factory.mktemp("live-desk"), "sqlite") as made:
        with made.db() as db:
            set_phones(db)
        yield made


def test_the_desktop_takes_a_new_policy_and_monitoring_sessions_live(
    store: Store, tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = store.server.tokens["alice"]
    monkeypatch.setitem(secret_store._SESSION, secret_store.STORE_TOKEN_USER, token)
    engine = FakeEngine()  # the engine's boundary: its commands recorded
    window = MainWindow(EngineBridge(engine), account="alice@127.0.0.1")  # type: ignore[arg-type]
    qtbot.addWidget(window)
    follower = PolicyFollower(
        store.url, "", tmp_path, lambda _url: token, poll_s=1, pushed_poll_s=600
    )
    live = open_live_channel(window, settings.StoreSection(url=store.url), follower)
    assert live is not None
    client = StoreClient(store.url, token)
    answers: list[dict[str, object]] = []
    presence = PresencePublisher(
        client, "alice", every_s=1, pushed_every_s=600, on_answer=lambda a: answers.append(dict(a))
    )
    follow_pushes(live, presence)
    statuses: list[str] = []
    live.status.connect(statuses.append)
    grants = add_monitoring(window, live, client, follower)
    label = window.findChild(QLabel, "monitorPresence")
    assert label is not None
    follower.start()
    live.start()
    try:
        qtbot.waitUntil(lambda: follower.policy.source == "store", timeout=10_000)
        qtbot.waitUntil(lambda: "connected" in statuses, timeout=10_000)
        assert follower.policy.show_listening and follower.policy.fps == 5
        presence.start()
        qtbot.waitUntil(lambda: presence.posted == 1)
        assert answers[-1]["watched"] is False

        watch = store.sam.start_watch("alice")  # pushed: the presence asks now, not in 600 s
        qtbot.waitUntil(lambda: presence.posted == 2 and answers[-1]["watched"] is True)
        store.sam.end_watch("alice", watch["id"])

        store.ada.set_recording_policy({"fps": 3, "show_listening": False})
        qtbot.waitUntil(lambda: follower.policy.fps == 3, timeout=5_000)  # not by polling
        assert not grants.show_listening

        session = store.sam.open_monitoring("alice", "listen", follow=True)
        qtbot.waitUntil(lambda: any(c[0] == "grant_monitor" for c in engine.commands))
        assert engine.commands[-1] == ("grant_monitor", (session["id"], "900", "listen",
                                                         session["expires_us"], True))  # fmt: skip
        qtbot.wait(200)
        assert label.isHidden()  # listening is not shown under this policy
        store.sam.set_monitoring_mode(session["id"], "whisper")
        qtbot.waitUntil(lambda: not label.isHidden() and "prompting" in label.text())
        assert engine.commands[-1] == ("set_monitor_mode", (session["id"], "whisper"))

        engine.emit(ev.MonitorStarted(session_id=session["id"], role="agent", call_id="m-1"))
        qtbot.waitUntil(lambda: store.sam.monitoring_session(session["id"])["state"] == "active")
        store.sam.revoke_monitoring(session["id"])
        qtbot.waitUntil(lambda: engine.commands[-1] == ("revoke_monitor", (session["id"],)))
        qtbot.waitUntil(label.isHidden)

        # another address from the settings: the channel moves there, and back
        statuses.clear()
        live.follow(f"http://{LOOPBACK}:{free_port()}", "")  # nothing listens there
        qtbot.waitUntil(lambda: any("cannot reach" in s for s in statuses), timeout=5_000)
        # nothing is pushed now: the policy is polled and the presence beats every second
        posted = presence.posted
        store.ada.set_recording_policy({"fps": 4})
        qtbot.waitUntil(lambda: follower.policy.fps == 4, timeout=5_000)
        qtbot.waitUntil(lambda: presence.posted >= posted + 2, timeout=5_000)
        live.follow(store.url, "")
        qtbot.waitUntil(lambda: statuses[-1] == "connected", timeout=5_000)
    finally:
        presence.stop()
        live.close()
        follower.close()
        client.close()

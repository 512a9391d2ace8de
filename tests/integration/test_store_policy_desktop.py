"""The desktop following the store's recording policy, against a real store on loopback: a
change reaches the follower within seconds, the cached copy applies when the store is down at
start, a local `enabled = false` cannot switch off a store policy that records, and the real
worker (on Xvfb, through the recorder link) takes new rules and masks live and restarts for a
new frame rate."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop import app, secret_store
from desktop.app import follow_policy
from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.model import CallBook
from desktop.operator.window import MainWindow
from desktop.recording.link import RecorderLink
from desktop.recording.options import options_from_settings, upload_options
from desktop.recording.policy import CACHE_NAME, PolicyFollower
from desktop.settings import values as settings
from sip import events as ev
from tests.integration.recorder_kit import paint, xvfb
from tests.integration.store_kit import Store, store_with_clients
from tests.servers.ports import LOOPBACK, free_port
from tests.servers.xvfb import XvfbServer
from tests.unit.fake_engine import FakeEngine

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.integration
__all__ = ["xvfb"]  # the fixture, imported for pytest


@pytest.fixture(scope="module")
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with store_with_clients(request, tmp_path_factory.mktemp("policy-desk"), "sqlite") as made:
        yield made


def follower_of(store: Store, user: str, folder: Path, url: str = "") -> PolicyFollower:
    token = store.server.tokens[user]
    return PolicyFollower(url or store.url, "", folder, lambda _url: token, poll_s=0.5)


def events_of(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == name]


def ready_count(events: list[dict[str, Any]]) -> int:
    return len(events_of(events, "ready"))


def incoming(call_id: str, queue: str) -> ev.IncomingCall:
    return ev.IncomingCall(
        call_id=call_id, account_id="acc", remote_uri="sip:+15550100@pbx", number="+15550100",
        display_name="", sip_call_id="x", headers={"x-queue-name": queue}, waiting=False,
    )  # fmt: skip


def test_a_change_reaches_the_desktop_within_seconds_and_is_kept(
    store: Store, tmp_path: Path, qtbot: QtBot
) -> None:
    store.ada.set_recording_policy({"default": {"mode": "all"}, "fps": 5})
    follower = follower_of(store, "alice", tmp_path)
    seen: list[Any] = []
    follower.changed.connect(seen.append)
    follower.start()
    try:
        qtbot.waitUntil(lambda: follower.policy.source == "store", timeout=10_000)
        assert (tmp_path / CACHE_NAME).exists() and follower.policy.mode == "all"
        changed_at = time.monotonic()
        store.ada.set_recording_policy(
            {"default": {"mode": "all"}, "agents": {"alice": {"mode": "consent"}}, "fps": 5}
        )
        qtbot.waitUntil(lambda: follower.policy.mode == "consent", timeout=5_000)
        took = time.monotonic() - changed_at
        assert took < 3, took
        assert seen[-1].scope == "agent alice" and seen[-1] is follower.policy
        count = len(seen)
        qtbot.wait(1500)  # polls answered 304: nothing new
        assert len(seen) == count
    finally:
        follower.close()


def test_the_cached_copy_applies_when_the_store_is_down_at_start(
    store: Store, tmp_path: Path, qtbot: QtBot
) -> None:
    store.ada.set_recording_policy(
        {"default": {"mode": "all"}, "queues": {"sales": {"mode": "off"}}, "preroll_s": 2}
    )
    first = follower_of(store, "bob", tmp_path)
    first.start()
    qtbot.waitUntil(lambda: first.policy.source == "store", timeout=10_000)
    version = first.policy.version
    first.close()

    dead = f"http://{LOOPBACK}:{free_port()}"  # nothing listens there
    offline = follower_of(store, "bob", tmp_path, url=dead)
    assert offline.policy.source == "cache" and offline.policy.version == version
    assert offline.policy.preroll_s == 2 and offline.policy.queues[0].queue == "sales"
    offline.start()
    try:
        qtbot.wait(1500)  # failed polls keep the cached copy
        assert offline.policy.source == "cache" and offline.policy.version == version
    finally:
        offline.close()
    empty = follower_of(store, "bob", tmp_path / "new", url=dead)
    assert empty.policy.source == "default" and empty.policy.mode == "all"  # never unrecorded


def test_a_local_enabled_false_cannot_switch_off_a_store_policy_of_all(
    store: Store, tmp_path: Path, qtbot: QtBot
) -> None:
    store.ada.set_recording_policy({"default": {"mode": "all"}})
    path = tmp_path / "agentdesk.toml"
    path.write_text(
        f'[recorder]\nenabled = false\npolicy = "consent"\n\n[store]\nurl = "{store.url}"\n'
    )
    loaded = settings.load(path)
    assert not loaded.problems
    assert any("does not switch screen recording off" in n for n in loaded.notes)
    follower = follower_of(store, "alice", tmp_path)
    follower.start()
    try:
        qtbot.waitUntil(lambda: follower.policy.source == "store", timeout=10_000)
    finally:
        follower.close()
    section = loaded.settings.recorder
    options, note = options_from_settings(
        section, demo=False, agent="alice", display="host:0", policy=follower.policy
    )
    assert options is not None, note
    assert options.worker.policy.mode == "all"
    alone, why = options_from_settings(section, demo=False, agent="alice", display="host:0")
    assert alone is None and "enabled = false" in why  # without a store: the TOML decides


def test_the_worker_takes_the_new_policy_live_and_restarts_for_a_new_frame_rate(
    store: Store, xvfb: XvfbServer, tmp_path: Path, qtbot: QtBot
) -> None:
    paint(xvfb, "blue")
    store.ada.set_recording_policy({"default": {"mode": "all"}, "fps": 5, "preroll_s": 1})
    follower = follower_of(store, "alice", tmp_path)
    section = settings.RecorderSection(out_dir=str(tmp_path / "rec"), mask_titles=("Local",))
    options, _ = options_from_settings(
        section, demo=False, agent="alice", display=xvfb.display, policy=follower.policy
    )
    assert options is not None
    book = CallBook()
    link = RecorderLink(options, book)
    events: list[dict[str, Any]] = []
    link.worker_event.connect(events.append)
    follow_policy(follower, link, section.mask_titles, book)
    link.start()
    follower.start()
    try:
        qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=15_000)
        store.ada.set_recording_policy(
            {
                "default": {"mode": "all"},
                "queues": {"sales": {"mode": "off"}},
                "mask_titles": ["Secret"],
                "headers": {"queue": "X-Queue-Name"},
                "wrap_up_max_s": 120,
                "fps": 5,
                "preroll_s": 1,
            }
        )
        qtbot.waitUntil(lambda: "queues" in (link.state.get("policy") or {}), timeout=8_000)
        assert link.state["policy"]["queues"] == {"sales": {"mode": "off", "sample_percent": 100.0}}
        assert link.restarts == 0 and book.wrap_up_max_s == 120
        assert link.options.worker.mask_titles == ("Secret", "Local")
        book.apply(incoming("S", "sales"))
        book.apply(incoming("T", "support"))
        qtbot.waitUntil(lambda: len(link.state.get("windows", [])) == 2, timeout=5_000)
        windows = {w["call_id"]: w for w in link.state["windows"]}
        assert windows["S"]["state"] == "not_recorded", windows
        assert "off for queue sales" in windows["S"]["reason"]
        assert windows["T"]["state"] == "recording" and link.state["recording"]

        pid = link.pid
        store.ada.set_recording_policy({"default": {"mode": "all"}, "fps": 2, "preroll_s": 1})
        qtbot.waitUntil(lambda: link.pid not in (None, pid), timeout=10_000)
        qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=15_000)
        ready = [e for e in events if e["event"] == "ready"]
        assert ready[-1]["fps"] == 2 and link.restarts == 1
        # The new worker was told the open calls again, under the new policy's decision.
        qtbot.waitUntil(lambda: len(link.state.get("windows", [])) == 2, timeout=5_000)

        # Off for this operator: a worker that takes nothing of the screen, and back.
        store.ada.set_recording_policy({"agents": {"alice": {"mode": "off"}}, "fps": 2})
        qtbot.waitUntil(lambda: ready_count(events) == 3, timeout=10_000)
        assert not link.options.capture and events_of(events, "ready")[-1]["capture"] is False
        assert "policy is off for you" in link.status_text
        store.ada.set_recording_policy({"default": {"mode": "all"}, "fps": 2})
        qtbot.waitUntil(lambda: bool(link.state.get("recording")), timeout=15_000)
        assert link.options.capture and ready_count(events) == 4
    finally:
        follower.close()
        link.stop()


def test_the_app_records_by_the_store_policy_despite_enabled_false(
    store: Store, xvfb: XvfbServer, tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the composition root: ``[recorder] enabled = false`` with a store whose policy
    records still starts the recorder, and the policy's wrap-up maximum reaches the calls."""
    store.ada.set_recording_policy({"default": {"mode": "all"}, "wrap_up_max_s": 90})
    token = store.server.tokens["alice"]
    monkeypatch.setitem(secret_store._SESSION, secret_store.STORE_TOKEN_USER, token)
    conf = settings.Settings(
        recorder=settings.RecorderSection(enabled=False, out_dir=str(tmp_path / "rec")),
        store=settings.StoreSection(url=store.url),
        upload=settings.UploadSection(enabled=False, outbox_dir=str(tmp_path / "outbox")),
    )
    window = MainWindow(EngineBridge(FakeEngine()), account="alice@127.0.0.1")  # type: ignore[arg-type]
    qtbot.addWidget(window)
    book = CallBook(wrap_up_max_s=600)
    uploading = upload_options(conf.store, conf.upload)
    link = app.start_recorder(window, book, conf, "alice", xvfb.display, uploading)
    try:
        assert link is not None
        qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=15_000)
        qtbot.waitUntil(lambda: book.wrap_up_max_s == 90, timeout=8_000)
    finally:
        if link is not None:
            link.stop()
        for follower in window.findChildren(PolicyFollower):
            follower.close()

"""The live channel as the composition root wires it: the store's ``policy.changed`` makes the
policy follower ask at once, ``screen.watch`` makes the presence post at once (its answer says
who watches), and while the channel is up both poll seldom; monitoring sessions go to the
softphone engine, and the window's status bar says when a supervisor is there."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from desktop.agent.presence import PresencePublisher
from desktop.live.channel import LiveChannel
from desktop.live.monitoring import MonitorEngine, MonitorGrants, MonitorReports
from desktop.operator.window import MainWindow
from desktop.recording.options import read_token
from desktop.recording.policy import PolicyFollower, StorePolicy
from desktop.settings import values as settings
from desktop.store_session import StoreSession
from store.client import StoreUnavailable

WATCH_EVENT = "screen.watch"  # store/screen_live.py: a supervisor began watching this screen


def open_live_channel(
    window: MainWindow, store: settings.StoreSection, follower: PolicyFollower | None
) -> LiveChannel | None:
    """The desktop's live channel to ``store`` (not started; None without a store)."""
    if not store.url:
        return None
    live = LiveChannel(store.url, store.ca_file, read_token, parent=window)
    if follower is not None:

        def policy_changed(event: dict[str, Any]) -> None:
            if event.get("type") == "policy.changed":
                follower.refresh()

        live.received.connect(policy_changed)
        live.status.connect(lambda status: follower.pushed(status == "connected"))
    return live


def follow_pushes(live: LiveChannel, presence: PresencePublisher) -> None:
    """The presence posts at once when a watch of this screen begins, and its heartbeat slows
    while the channel is up (the store would push that news)."""

    def watch_began(event: dict[str, Any]) -> None:
        if event.get("type") == WATCH_EVENT:
            presence.post_now()

    live.received.connect(watch_began)
    live.status.connect(lambda status: presence.pushed(status == "connected"))
    presence.pushed(live.connected)


class SessionReports:
    """Reports through the store session's client of the moment (a renewed token or a new
    address brings a new client)."""

    def __init__(self, session: StoreSession) -> None:
        self.session = session

    def report_monitoring(self, session_id: str, state: Any, reason: str = "") -> Any:
        client = self.session.client
        if client is None:
            raise StoreUnavailable("no session with the store")
        return client.report_monitoring(session_id, state, reason)


def add_monitoring(
    window: MainWindow,
    live: LiveChannel,
    store: MonitorReports,
    follower: PolicyFollower | None,
) -> MonitorGrants:
    """Monitoring sessions of this operator handed to the window's engine, shown in the
    status bar (listening only when the policy says so)."""
    shown = follower.policy.show_listening if follower is not None else True
    grants = MonitorGrants(MonitorEngine(window.bridge.engine), store, shown, parent=window)
    live.received.connect(grants.on_event)
    window.bridge.sip_event.connect(grants.on_engine_event)
    if follower is not None:

        def policy(new: StorePolicy) -> None:
            grants.set_show_listening(new.show_listening)

        follower.changed.connect(policy)
    label = QLabel(window)
    label.setObjectName("monitorPresence")
    label.setStyleSheet("QLabel { color: #b3261e; font-weight: bold; }")
    label.hide()
    window.statusBar().addPermanentWidget(label)

    def show(words: str) -> None:
        label.setText(words)
        label.setVisible(bool(words))

    grants.presence_changed.connect(show)
    return grants

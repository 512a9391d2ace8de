"""The live channel as the composition root wires it: the store's ``policy.changed`` makes the
policy follower ask at once; monitoring sessions go to the softphone engine, and the window's
status bar says when a supervisor is there."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from desktop.live.channel import LiveChannel
from desktop.live.monitoring import MonitorEngine, MonitorGrants, MonitorReports
from desktop.operator.window import MainWindow
from desktop.recording.options import read_token
from desktop.recording.policy import PolicyFollower, StorePolicy
from desktop.settings import values as settings
from desktop.store_session import StoreSession
from store.client import StoreUnavailable


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
    return live


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

"""The desktop's session with the central store: its client, the live presence for the
supervisors' board, and opening past calls for review (the CRM card's play buttons; in demo
mode also as the demo QA controller). The composition root connects it to the window.

The token is read from the keyring (or the demo's session secret) off the UI thread; until the
client exists nothing here touches the network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from desktop import secret_store
from desktop.agent.presence import PresencePublisher
from desktop.operator.presence_feed import CallSnapshot
from desktop.qa.window import QaWindow
from desktop.supervisor.window import MenuHost
from desktop.threads import run_in_thread
from store.client import StoreClient

log = logging.getLogger(__name__)


class StoreSession(QObject):
    def __init__(self, url: str, ca_file: str, agent: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url, self.ca_file, self.agent = url, ca_file, agent
        self.client: StoreClient | None = None
        self.presence: PresencePublisher | None = None
        self.calls: CallSnapshot | None = None  # what the presence tells of the calls
        self._review: QaWindow | None = None
        self._pending_play: list[str] = []
        self._pending_review = False
        self._closed = False

    def open(self, on_ready: Callable[[StoreClient], None]) -> None:
        """Make the client off the UI thread, then call ``on_ready`` on it."""

        def make() -> StoreClient:
            token = secret_store.read_store_token(self.url) or ""
            return StoreClient(self.url, token, ca_bundle=self.ca_file or None, timeout=5)

        def made(future: Future[StoreClient]) -> None:
            try:
                client = future.result()
            except Exception as exc:  # a missing keyring: the desktop works without the store
                log.warning("store: no session with %s: %s", self.url, exc)
                return
            if self._closed:
                client.close()
                return
            self.client = client
            on_ready(client)
            if self._pending_review:
                self.show_review()
            for call_id in self._pending_play:
                self.play(call_id)
            self._pending_play.clear()

        run_in_thread(make, made)

    def show_review(self) -> QaWindow | None:
        """The review window (search, player, scorecard) on this session's client; None until
        the client exists (asked again once it does)."""
        if self.client is None:
            self._pending_review = True
            return None
        if self._review is None:
            self._review = QaWindow(self.client)
        self._review.show()
        self._review.raise_()
        return self._review

    def play(self, call_id: str) -> None:
        """Open a past call in the review window (the store decides what this user may see)."""
        if self.client is None:
            self._pending_play.append(call_id)
            return
        review = self.show_review()
        if review is not None:
            review.open_call(call_id)

    def close(self) -> None:
        self._closed = True
        if self.presence is not None:
            self.presence.stop()
        if self._review is not None:
            self._review.close()
        if self.client is not None:
            self.client.close()


def offer_demo_qa(window: MenuHost, url: str, token: str) -> None:
    """Demo mode: "Calls → Review as the demo QA controller…" opens the review window with the
    demo QA user's token (held in memory only), so a newcomer sees what QA sees."""
    opened: list[QaWindow] = []

    def open_window() -> None:
        if not opened:
            opened.append(QaWindow(StoreClient(url, token, timeout=5)))
        opened[0].show()
        opened[0].raise_()

    parent = window if isinstance(window, QWidget) else None
    text = QCoreApplication.translate("StoreSession", "Review calls as the demo &QA controller…")
    action = QAction(text, parent)
    action.setObjectName("openDemoQaReview")
    action.triggered.connect(open_window)
    window.add_menu_action(QCoreApplication.translate("QaWindow", "&Calls"), action)

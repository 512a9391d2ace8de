"""One live connection per desktop: ``GET /live`` held open on a thread of its own through
``store.client.LiveStream`` (reconnected with a growing pause, resumed with
``Last-Event-ID``; the desktop opens no port), each event delivered on the UI thread as the
``received`` signal."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from store.client import AuthError, LiveStream, StoreClient

log = logging.getLogger(__name__)


class LiveChannel(QObject):
    """``received`` (an event: a dict with ``type``) and ``status`` (``"connected"`` or why not) are
    emitted on the UI thread. Create and :meth:`start` it on the UI thread. ``connected``: the
    last status said so (the store pushes its news now: polls for them may slow down)."""

    received = Signal(object)
    status = Signal(str)
    _from_thread = Signal(str, object)

    def __init__(
        self,
        url: str,
        ca_file: str,
        read_token: Callable[[str], str | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.url, self.ca_file = url, ca_file
        self._read_token = read_token
        self._stream: LiveStream | None = None
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._nudge = threading.Event()  # closed, or another address: stop waiting
        self._last_status = ""
        self.connected = False
        self._from_thread.connect(self._deliver)  # queued: the sender is another thread
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="live-channel", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        self._closed.set()
        self._interrupt()
        if self._thread is not None:
            self._thread.join(timeout)

    def follow(self, url: str, ca_file: str) -> None:
        """The settings were saved: a new address or CA file takes a new connection now."""
        if (url, ca_file) != (self.url, self.ca_file):
            self.url, self.ca_file = url, ca_file
            self._interrupt()

    def _interrupt(self) -> None:
        self._nudge.set()
        stream = self._stream
        if stream is not None:
            stream.stop()

    def _run(self) -> None:
        """On the channel's thread: the token (the keyring may be slow), then the stream."""
        while not self._closed.is_set():
            self._nudge.clear()
            url, ca_file = self.url, self.ca_file
            token = self._read_token(url)
            if not token:
                self._from_thread.emit("status", str(AuthError("no store token in the keyring")))
                self._nudge.wait(30.0)
                continue
            client = StoreClient(url, token, ca_bundle=ca_file or None)
            previous = self._stream
            stream = LiveStream(
                client,
                lambda event: self._from_thread.emit("event", event),
                lambda status: self._from_thread.emit("status", status),
                # the same store: resume where the last connection stopped
                previous.last_event_id
                if previous and previous.client.base_url == url.rstrip("/")
                else None,
            )
            self._stream = stream
            try:
                if not self._nudge.is_set():  # not closed or moved while the token was read
                    stream.run()  # returns when stopped or when the token is refused
            finally:
                client.close()
            if not self._nudge.is_set():  # refused: a new token may come into the keyring
                self._nudge.wait(30.0)

    @Slot(str, object)
    def _deliver(self, kind: str, payload: Any) -> None:
        if kind == "event":
            self.received.emit(payload)
            return
        self.connected = payload == "connected"
        if payload != self._last_status:
            log.log(logging.INFO if payload == "connected" else logging.WARNING,
                    "live channel: %s", payload)  # fmt: skip
            self._last_status = payload
        self.status.emit(payload)

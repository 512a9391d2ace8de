"""A supervisor watching an agent's screen, near-live: a window that opens a watch in the
store, asks for the frames after the last one it painted every ``POLL_MS`` (off the UI thread,
one request at a time; the JPEGs are decoded there too), paints each frame's parts over the
picture and ends the watch when it closes. A watch that the store ended (the viewer was away
too long) is opened again."""

from __future__ import annotations

import base64
import logging
from concurrent.futures import Future
from typing import Any, Protocol

from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QColor, QImage, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop.threads import run_in_thread
from store.client import GoneError

log = logging.getLogger(__name__)
POLL_MS = 250


class ScreenSource(Protocol):
    """What the viewer needs of ``store.client.StoreClient``."""

    def start_watch(self, agent: str) -> dict[str, Any]: ...
    def watch_frames(self, agent: str, watch_id: int, after: int = 0) -> dict[str, Any]: ...
    def end_watch(self, agent: str, watch_id: int) -> dict[str, Any]: ...


def _decoded(answer: dict[str, Any]) -> dict[str, Any]:
    """The store's answer with each part's JPEG decoded (worker thread: QImage is no widget)."""
    for frame in answer["frames"]:
        for part in frame["parts"]:
            part["image"] = QImage.fromData(base64.b64decode(part.pop("jpeg")))
    return answer


class ScreenView(QWidget):
    """One agent's screen, live; see the module docstring."""

    def __init__(self, source: ScreenSource, agent: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.agent = agent
        self.setWindowTitle(self.tr("Screen of %1 (live)").replace("%1", agent))
        self.picture: QImage | None = None
        self.watch_id: int | None = None
        self.after = 0
        self.frames_painted = 0
        self.last_utc_us: int | None = None
        self._pending: Future[Any] | None = None
        self.display = QLabel(self)
        self.display.setObjectName("liveScreen")
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.display.setMinimumSize(320, 180)
        self.status = QLabel(self.tr("Waiting for the agent's screen…"), self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.display, 1)
        layout.addWidget(self.status)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)
        self.resize(960, 600)

    def start(self) -> None:
        """Open the watch and start asking for frames."""
        self.timer.start()
        self._poll()

    def _poll(self) -> None:
        if self._pending is not None and not self._pending.done():
            return
        agent, watch_id, after = self.agent, self.watch_id, self.after
        if watch_id is None:
            self._pending = run_in_thread(lambda: self.source.start_watch(agent), self._started)
        else:
            fetch = self.source.watch_frames
            self._pending = run_in_thread(
                lambda: _decoded(fetch(agent, watch_id, after)), self._frames
            )

    def _started(self, future: Future[dict[str, Any]]) -> None:
        try:
            self.watch_id = int(future.result()["id"])
        except Exception as exc:
            self.status.setText(self.tr("Cannot watch the screen: %1").replace("%1", str(exc)))
            self.timer.stop()
            return
        self.after = 0

    def _frames(self, future: Future[dict[str, Any]]) -> None:
        try:
            answer = future.result()
        except GoneError:
            self.watch_id = None  # the store ended it: open a new one
            return
        except Exception as exc:
            self.status.setText(self.tr("Cannot load the screen: %1").replace("%1", str(exc)))
            return
        for frame in answer["frames"]:
            self._paint(frame)
        self.after = int(answer["last"])
        if answer["frames"]:
            self.status.setText(self.tr("Live"))
            self._show()

    def _paint(self, frame: dict[str, Any]) -> None:
        size = (frame["width"], frame["height"])
        picture = self.picture
        if frame["key"] or picture is None or (picture.width(), picture.height()) != size:
            if not frame["key"]:
                return  # a change without the picture it changes: wait for a key frame
            picture = self.picture = QImage(size[0], size[1], QImage.Format.Format_RGB32)
            picture.fill(QColor("black"))
        painter = QPainter(picture)
        for part in frame["parts"]:
            painter.drawImage(
                QPoint(part["x"], part["y"]), part["image"], QRect(0, 0, part["w"], part["h"])
            )
        painter.end()
        self.frames_painted += 1
        self.last_utc_us = int(frame["utc_us"])

    def _show(self) -> None:
        if self.picture is None:
            return
        pixmap = QPixmap.fromImage(self.picture)
        self.display.setPixmap(
            pixmap.scaled(
                self.display.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop asking and end the watch (off the UI thread; the store audits its period)."""
        self.timer.stop()
        watch_id, self.watch_id = self.watch_id, None
        if watch_id is not None:
            agent = self.agent
            run_in_thread(lambda: self.source.end_watch(agent, watch_id), _ended)
        super().closeEvent(event)


def _ended(future: Future[dict[str, Any]]) -> None:
    if future.exception() is not None:
        log.warning("live screen: the watch did not end cleanly: %s", future.exception())

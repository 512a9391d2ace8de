"""The supervisors' live queue panel: per PBX queue the callers waiting now and the longest
wait (ticking between refreshes, on the store's clock), the agents available, and today's
answered, abandoned and service level (``GET /queues/live``, store/pbx/live.py). Refreshed
every ``REFRESH_MS`` off the UI thread, one request at a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.supervisor.agent_board import clock
from desktop.threads import assert_gui_thread, run_in_thread

REFRESH_MS = 3000
TICK_MS = 1000
S = 1_000_000
COL_QUEUE, COL_WAITING, COL_LONGEST, COL_AVAILABLE = range(4)
COL_ANSWERED, COL_ABANDONED, COL_SL = range(4, 7)


class QueuePanel(QWidget):
    """A table of the live queues; ``fetch`` is e.g. ``client.queues_live`` and runs on a
    worker thread."""

    def __init__(self, fetch: Callable[[], dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fetch = fetch
        self._live: dict[str, Any] | None = None
        self._fetched_ns = 0
        self._pending: Future[dict[str, Any]] | None = None
        self.table = QTableWidget(0, 7, self)
        self.table.setObjectName("queuePanel")
        self.table.setHorizontalHeaderLabels([
            self.tr("Queue"), self.tr("Waiting"), self.tr("Longest wait"),
            self.tr("Agents available"), self.tr("Answered today"),
            self.tr("Abandoned today"), self.tr("Service level today"),
        ])  # fmt: skip
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.status = QLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh)
        self.tick_timer = QTimer(self)  # the longest wait ticks between two answers
        self.tick_timer.setInterval(TICK_MS)
        self.tick_timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.refresh()
        self.refresh_timer.start()
        self.tick_timer.start()

    def stop(self) -> None:
        self.refresh_timer.stop()
        self.tick_timer.stop()

    def refresh(self) -> None:
        """Ask the store off the UI thread, unless a request is still under way."""
        assert_gui_thread()
        if self._pending is None or self._pending.done():
            self._pending = run_in_thread(self.fetch, self._loaded)

    def _loaded(self, future: Future[dict[str, Any]]) -> None:
        try:
            live = future.result()
        except Exception as exc:
            self.status.setText(self.tr("Cannot load the queues: %1").replace("%1", str(exc)))
            return
        self._live = live
        self._fetched_ns = time.monotonic_ns()
        self.status.setText("" if live["queues"] else self.tr("No queue events from the PBX yet"))
        self._render()

    def _tick(self) -> None:
        if self._live is not None:
            self._render()

    def elapsed_us(self) -> int:
        """Time since the last answer (the waits in it are as of the store's ``now_us``)."""
        return (time.monotonic_ns() - self._fetched_ns) // 1000

    def _cells(self, queue: dict[str, Any], elapsed_us: int) -> list[str]:
        longest = queue.get("longest_wait_s")
        sl = queue.get("service_level_pct")
        return [
            queue["queue"],
            str(queue["waiting"]),
            clock(round(longest * S) + elapsed_us)
            if queue["waiting"] and longest is not None
            else "",
            str(queue["agents"].get("ready", 0)),
            str(queue["answered"]),
            str(queue["abandoned"]),
            "" if sl is None else f"{sl:.1f} %",
        ]

    def _render(self) -> None:
        assert self._live is not None
        elapsed = self.elapsed_us()
        queues = self._live["queues"]
        self.table.setRowCount(len(queues))
        for i, queue in enumerate(queues):
            for col, text in enumerate(self._cells(queue, elapsed)):
                item = self.table.item(i, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(i, col, item)
                if item.text() != text:
                    item.setText(text)

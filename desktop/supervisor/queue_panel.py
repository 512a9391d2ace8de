"""The supervisors' live queue panel: per PBX queue the callers waiting now and the longest
wait (ticking between refreshes, on the store's clock), the agents free / on a call / in
wrap-up / on a break / not ready, and today's answered, abandoned and service level; under it
each waiting caller with number, wait and karma (``GET /queues/live``, store/pbx/live.py).

Asked again off the UI thread, one request at a time, when the live channel says
``queues.changed`` (:meth:`QueuePanel.on_live_event`), and every ``REFRESH_MS`` as a
fallback (``POLL_MS`` without a live channel)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QTimer, SignalInstance
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.supervisor.agent_board import clock
from desktop.threads import assert_gui_thread, run_in_thread
from desktop.widgets.tables import read_only_table

REFRESH_MS = 15_000
POLL_MS = 3000
TICK_MS = 1000
S = 1_000_000
COL_QUEUE, COL_WAITING, COL_LONGEST = range(3)
COL_FREE, COL_ON_CALL, COL_WRAP_UP, COL_BREAK, COL_NOT_READY = range(3, 8)
COL_ANSWERED, COL_ABANDONED, COL_SL = range(8, 11)
AGENT_STATES = ("free", "on_call", "wrap_up", "break", "not_ready")  # columns 3 to 7
CALLER_QUEUE, CALLER_NUMBER, CALLER_WAIT, CALLER_KARMA = range(4)


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for i, cells in enumerate(rows):
        for col, text in enumerate(cells):
            item = table.item(i, col)
            if item is None:
                item = QTableWidgetItem()
                table.setItem(i, col, item)
            if item.text() != text:
                item.setText(text)


class QueuePanel(QWidget):
    """A table of the live queues; ``fetch`` is e.g. ``client.queues_live`` and runs on a
    worker thread."""

    def __init__(
        self,
        fetch: Callable[[], dict[str, Any]],
        parent: QWidget | None = None,
        live_events: SignalInstance | None = None,
    ) -> None:
        """``live_events``: the live channel's ``received`` signal (then the poll is slower)."""
        super().__init__(parent)
        self.fetch = fetch
        self._live: dict[str, Any] | None = None
        self._fetched_ns = 0
        self._pending: Future[dict[str, Any]] | None = None
        self._again = False
        self.event_refreshes = 0  # refreshes asked by the live channel
        self.table = read_only_table(self, "queuePanel", [
            self.tr("Queue"), self.tr("Waiting"), self.tr("Longest wait"),
            self.tr("Free"), self.tr("On a call"), self.tr("Wrap-up"), self.tr("Break"),
            self.tr("Not ready"), self.tr("Answered today"),
            self.tr("Abandoned today"), self.tr("Service level today"),
        ], fill_width=True)  # fmt: skip
        header = self.table.horizontalHeader()  # eleven columns: each as wide as its header
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.callers = read_only_table(self, "queueCallers", [
            self.tr("Queue"), self.tr("Caller"), self.tr("Waiting for"), self.tr("Karma"),
        ], fill_width=True)  # fmt: skip
        self.status = QLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.callers, 1)
        layout.addWidget(self.status)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(POLL_MS if live_events is None else REFRESH_MS)
        if live_events is not None:
            live_events.connect(self.on_live_event)
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

    def on_live_event(self, event: dict[str, Any]) -> None:
        """The live channel's event: ``queues.changed`` asks the store again now (the
        channel reconnected: something may have been missed)."""
        if event.get("type") in ("queues.changed", "hello") and self.refresh_timer.isActive():
            self.event_refreshes += 1
            self.refresh()

    def refresh(self) -> None:
        """Ask the store off the UI thread; if a request is under way, once more after it
        (what it answers may predate the change that asked)."""
        assert_gui_thread()
        if self._pending is None or self._pending.done():
            self._pending = run_in_thread(self.fetch, self._loaded)
        else:
            self._again = True

    def _loaded(self, future: Future[dict[str, Any]]) -> None:
        if self._again:
            self._again = False
            self._pending = run_in_thread(self.fetch, self._loaded)
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
        agents = queue["agents"]
        return [
            queue["queue"],
            str(queue["waiting"]),
            clock(round(longest * S) + elapsed_us)
            if queue["waiting"] and longest is not None
            else "",
            *(str(agents.get(state, 0)) for state in AGENT_STATES),
            str(queue["answered"]),
            str(queue["abandoned"]),
            "" if sl is None else f"{sl:.1f} %",
        ]

    def karma_words(self, caller: dict[str, Any]) -> str:
        """ "-2.0 difficult (3 ratings)", or nothing for a caller nobody rated."""
        if caller.get("karma_avg") is None:
            return ""
        hints = {"difficult": self.tr("difficult"), "normal": self.tr("normal"),
                 "pleasant": self.tr("pleasant")}  # fmt: skip
        ratings = self.tr("ratings: %1").replace("%1", str(caller["ratings"]))
        hint = hints.get(caller["hint"], caller["hint"])
        return f"{caller['karma_avg']:+.1f} {hint} ({ratings})"

    def _render(self) -> None:
        assert self._live is not None
        elapsed = self.elapsed_us()
        queues = self._live["queues"]
        _fill(self.table, [self._cells(queue, elapsed) for queue in queues])
        _fill(self.callers, [
            [queue["queue"], caller["number"] or self.tr("unknown"),
             clock(round(caller["wait_s"] * S) + elapsed), self.karma_words(caller)]
            for queue in queues for caller in queue.get("callers", [])
        ])  # fmt: skip

"""The supervisors' live board: every agent's state and time in it, current call, hold,
recording and upload backlog, refreshed every 2 s off the UI thread; norm breaches in red."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import shown
from desktop.threads import assert_gui_thread, run_in_thread
from desktop.widgets.tables import read_only_table
from store.client_types import Board, BoardRow

log = logging.getLogger(__name__)
REFRESH_MS = 2000
BREACH = QColor("#f4c7c3")
S = 1_000_000


@dataclass(frozen=True)
class Norms:
    """Limits above which the board highlights a cell (seconds)."""

    wait_s: int = 30  # a call ringing unanswered
    hold_s: int = 120
    break_s: int = 15 * 60
    wrap_up_s: int = 120
    not_ready_s: int = 10 * 60


COL_AGENT, COL_STATE, COL_IN_STATE, COL_CALL, COL_CALL_TIME = range(5)
COL_HOLD, COL_RECORDING, COL_BACKLOG, COL_OCCUPANCY = range(5, 9)


def breaches(row: BoardRow, now_us: int, norms: Norms) -> set[int]:
    """The columns of ``row`` that break a norm at ``now_us``."""
    out: set[int] = set()
    since = row.get("since_us")
    limits = {"break": norms.break_s, "wrap_up": norms.wrap_up_s, "not_ready": norms.not_ready_s}
    limit = limits.get(row["state"])
    if since is not None and limit is not None and now_us - since > limit * S:
        out.add(COL_IN_STATE)
    started, answered = row.get("call_started_us"), row.get("call_answered_us")
    if started is not None and answered is None and now_us - started > norms.wait_s * S:
        out.add(COL_CALL_TIME)
    hold = row.get("hold_since_us")
    if hold is not None and now_us - hold > norms.hold_s * S:
        out.add(COL_HOLD)
    return out


def clock(us: int) -> str:
    """A duration as m:ss or h:mm:ss."""
    seconds = max(0, us // S)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def size(n: int) -> str:
    """The backlog's bytes in MB (from 0.1 MB) or KB, the unit in the UI's language."""
    if n >= 104_858:
        return QCoreApplication.translate("Units", "%1 MB").replace("%1", f"{n / 1_048_576:.1f}")
    return QCoreApplication.translate("Units", "%1 KB").replace("%1", f"{n / 1024:.0f}")


class AgentBoard(QWidget):
    """A table of :class:`store.client_types.BoardRow`; ``fetch`` is e.g. ``client.live_board``
    and runs on a worker thread. "Watch screen" asks to watch the selected agent's screen."""

    watch_requested = Signal(str)  # an agent's name

    def __init__(
        self,
        fetch: Callable[[], Board],
        norms: Norms | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.fetch = fetch
        self.norms = norms or Norms()
        self._board: Board | None = None
        self._fetched_ns = 0
        self._pending: Future[Board] | None = None
        self.table = read_only_table(self, "agentBoard", [
            self.tr("Agent"), self.tr("State"), self.tr("In state"), self.tr("Call"),
            self.tr("Call time"), self.tr("On hold"), self.tr("Recording"),
            self.tr("Upload backlog"), self.tr("Occupancy 10 min"),
        ], pick_row=True, fill_width=True)  # fmt: skip
        self.status = QLabel(self)
        self.watch_button = QPushButton(self.tr("Watch screen"), self)
        self.watch_button.setObjectName("watchScreen")
        self.watch_button.setEnabled(False)
        self.watch_button.clicked.connect(self._watch)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(
            lambda: self.watch_button.setEnabled(self.picked_agent() is not None)
        )
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.watch_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def _watch(self) -> None:
        agent = self.picked_agent()
        if agent is not None:
            self.watch_requested.emit(agent)

    def start(self) -> None:
        self.refresh()
        self.timer.start()

    def picked_agent(self) -> str | None:
        """The agent of the selected row, if any."""
        row = self.table.currentRow()
        item = self.table.item(row, COL_AGENT) if row >= 0 else None
        return item.text() if item is not None else None

    def stop(self) -> None:
        self.timer.stop()

    def refresh(self) -> None:
        """Ask for the board off the UI thread (one request at a time); re-draw times now."""
        assert_gui_thread()
        if self._board is not None:
            self._render()
        if self._pending is None or self._pending.done():
            self._pending = run_in_thread(self.fetch, self._loaded)

    def _loaded(self, future: Future[Board]) -> None:
        try:
            board = future.result()
        except Exception as exc:
            self.status.setText(self.tr("Cannot load the board: %1").replace("%1", str(exc)))
            return
        self._board = board
        self._fetched_ns = time.monotonic_ns()
        self.status.setText("")
        self._render()

    def now_us(self) -> int:
        """The server's clock: its time at the last answer plus what elapsed here since."""
        assert self._board is not None
        return self._board["now_us"] + (time.monotonic_ns() - self._fetched_ns) // 1000

    def _state_text(self, row: BoardRow) -> str:
        names = {
            "ready": self.tr("Ready"),
            "not_ready": self.tr("Not ready"),
            "break": self.tr("Break"),
            "wrap_up": self.tr("Wrap-up"),
            "on_call": self.tr("On a call"),
            "offline": self.tr("Offline"),
            "outbound": self.tr("Outbound"),
        }
        text = names.get(row["state"], row["state"])
        reason = row.get("reason")
        return f"{text} ({shown(reason)})" if reason else text

    def _cells(self, row: BoardRow, now: int) -> list[str]:
        since = row.get("since_us")
        started = row.get("call_started_us")
        answered = row.get("call_answered_us")
        hold = row.get("hold_since_us")
        occupancy = row.get("occupancy_10min_pct")
        backlog = row.get("upload_backlog", 0)
        call = row.get("call_number") or ""
        if call and started is not None and answered is None:
            call = self.tr("%1 (ringing)").replace("%1", call)
        return [
            row["agent"],
            self._state_text(row),
            clock(now - since) if since is not None and row["state"] != "offline" else "",
            call,
            clock(now - (answered or started or now)) if started is not None else "",
            clock(now - hold) if hold is not None else "",
            self.tr("on") if row.get("recording") else self.tr("off"),
            f"{backlog} · {size(row.get('upload_backlog_bytes', 0))}" if backlog else "0",
            "" if occupancy is None else f"{occupancy:.0f} %",
        ]

    def _render(self) -> None:
        assert self._board is not None
        now = self.now_us()
        rows = self._board["agents"]
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            bad = breaches(row, now, self.norms)
            for col, text in enumerate(self._cells(row, now)):
                item = self.table.item(i, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(i, col, item)
                if item.text() != text:
                    item.setText(text)
                if col in bad:
                    item.setBackground(QBrush(BREACH))
                    item.setToolTip(self.tr("Above the norm"))
                else:
                    item.setBackground(QBrush())
                    item.setToolTip("")
                item.setData(Qt.ItemDataRole.UserRole, col in bad)

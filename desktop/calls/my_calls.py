"""My calls: the operator's own call history, from this PC's log merged with the store's."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, QEvent, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.calls.history import CallEntry, CallHistory, HistoryResult
from desktop.i18n import shown

PERIOD_DAYS = (1, 7, 30)  # today, the last 7 days, the last 30 days


def day_start(days_back: int = 0) -> datetime:
    """Local midnight ``days_back`` days ago (the operator's day, not UTC's)."""
    now = datetime.now().astimezone()
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_back)


def to_us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``."""
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def local_time(utc_us: int) -> str:
    return QDateTime.fromMSecsSinceEpoch(utc_us // 1000).toString("yyyy-MM-dd HH:mm:ss")


class MyCallsPanel(QWidget):
    """A table of past calls; reloads off the UI thread when a call ends or on demand."""

    COLUMNS = 7

    def __init__(self, history: CallHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.result = HistoryResult([])
        self.loading = False
        self._again = False
        self.period = QComboBox(self)
        self.reload = QPushButton(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, self.COLUMNS, self)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        top = QHBoxLayout()
        top.addWidget(self.period, 1)
        top.addWidget(self.reload)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self._retranslate()
        self.period.currentIndexChanged.connect(lambda _: self.refresh())
        self.reload.clicked.connect(self.refresh)
        history.changed.connect(self.refresh)
        self.refresh()

    def _retranslate(self) -> None:
        index = max(self.period.currentIndex(), 0)
        self.period.blockSignals(True)
        self.period.clear()
        self.period.addItems([self.tr("Today"), self.tr("Last 7 days"), self.tr("Last 30 days")])
        self.period.setCurrentIndex(index)
        self.period.blockSignals(False)
        self.reload.setText(self.tr("Refresh"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Time"),
                self.tr("Direction"),
                self.tr("Number"),
                self.tr("Duration"),
                self.tr("On hold"),
                self.tr("Result"),
                self.tr("Disposition"),
            ]
        )
        self._show(self.result)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def refresh(self) -> None:
        """Reload the chosen period (one load at a time; a request meanwhile reloads after)."""
        if self.loading:
            self._again = True
            return
        self.loading = True
        days = PERIOD_DAYS[max(self.period.currentIndex(), 0)]
        start = day_start(days - 1)
        self.status.setText(self.tr("Loading…"))
        self.history.load(to_us(start), to_us(day_start() + timedelta(days=1)), self._loaded)

    def _loaded(self, result: HistoryResult) -> None:
        self.loading = False
        self._show(result)
        if self._again:
            self._again = False
            self.refresh()

    def _show(self, result: HistoryResult) -> None:
        self.result = result
        self.table.setRowCount(len(result.calls))
        for row, call in enumerate(result.calls):
            for column, text in enumerate(self._cells(call)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, call.call_id)
                self.table.setItem(row, column, item)
        if self.loading:
            return
        if result.store_problem:
            text = self.tr("The store could not be read (%1): showing the calls of this PC only")
            self.status.setText(text.replace("%1", result.store_problem))
        elif self.history.store is None:
            self.status.setText(
                self.tr("%1 calls on this PC (no store is set up)").replace(
                    "%1", str(len(result.calls))
                )
            )
        else:
            self.status.setText(
                self.tr("%1 calls, %2 of them from the store")
                .replace("%1", str(len(result.calls)))
                .replace("%2", str(result.from_store))
            )

    def _cells(self, call: CallEntry) -> list[str]:
        directions = {
            "inbound": self.tr("incoming"),
            "outbound": self.tr("outgoing"),
            "internal": self.tr("internal"),
        }
        if call.missed:
            outcome = self.tr("missed")
        elif not call.answered:
            outcome = self.tr("not answered")
        else:
            outcome = self.tr("answered")
        return [
            local_time(call.started_us),
            directions.get(call.direction, call.direction),
            f"{call.number} {call.display_name}".strip(),
            clock(call.connected_us / 1e6),
            clock(call.hold_us / 1e6) if call.hold_us else "",
            outcome,
            shown(call.disposition),
        ]

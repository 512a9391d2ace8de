"""The QA window: find calls (date range, agent, number, queue, direction, duration,
disposition, karma, screen, evaluated) in a sortable table; open one to replay its screen and
audio, score it, or export it as an MP4. Agents see only their own calls ("My calls")."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTimeZone, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n
from desktop.qa.playback.export import ExportCancelled, ExportResult, export_mp4
from desktop.qa.playback.session import PlaybackSession
from desktop.qa.player import PlayerWidget
from desktop.qa.scorecard import ScorecardWidget
from desktop.threads import run_in_thread
from store.client import StoreClient, StoreError
from store.client_types import CallPage, CallSummary, Me

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
PAGE = 500


def _local_edit(days_back: int) -> QDateTimeEdit:
    """A date and time in the operator's time zone (the store is asked in UTC µs)."""
    edit = QDateTimeEdit()
    edit.setTimeZone(QTimeZone.systemTimeZone())
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    edit.setCalendarPopup(True)
    edit.setDateTime(QDateTime.currentDateTime().addDays(-days_back))
    return edit


def _tri_state(any_text: str, yes: str, no: str) -> QComboBox:
    box = QComboBox()
    for text, value in ((any_text, None), (yes, True), (no, False)):
        box.addItem(text, value)
    return box


class CallSearch(QWidget):
    """The search form and its results; ``open_call(call_id)`` on a double-click."""

    def __init__(self, client: StoreClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.role: str | None = None
        self.me = ""
        self.date_from = _local_edit(7)
        self.date_to = _local_edit(-1)
        self.agent = QLineEdit()
        self.number = QLineEdit()
        self.queue = QLineEdit()
        self.direction = QComboBox()
        for text, value in (
            (self.tr("Any"), None),
            (self.tr("Inbound"), "inbound"),
            (self.tr("Outbound"), "outbound"),
            (self.tr("Internal"), "internal"),
        ):
            self.direction.addItem(text, value)
        self.min_s, self.max_s = QDoubleSpinBox(), QDoubleSpinBox()
        for box in (self.min_s, self.max_s):
            box.setRange(0, 86_400)
            box.setSuffix(self.tr(" s"))
            box.setSpecialValueText(self.tr("any"))
        self.disposition = QLineEdit()
        self.karma = QComboBox()
        self.karma.addItem(self.tr("Any"), None)
        for karma in range(-2, 3):
            self.karma.addItem(f"{karma:+d}" if karma else "0", karma)
        self.has_screen = _tri_state(self.tr("Any"), self.tr("With screen"), self.tr("No screen"))
        self.evaluated = _tri_state(self.tr("Any"), self.tr("Evaluated"), self.tr("Not evaluated"))
        self.search_button = QPushButton(self.tr("Search"))
        self.search_button.clicked.connect(self.search)
        self.status = QLabel("")
        form = QGridLayout()
        fields = [
            (self.tr("From"), self.date_from),
            (self.tr("To"), self.date_to),
            (self.tr("Agent"), self.agent),
            (self.tr("Number"), self.number),
            (self.tr("Queue"), self.queue),
            (self.tr("Direction"), self.direction),
            (self.tr("Min duration"), self.min_s),
            (self.tr("Max duration"), self.max_s),
            (self.tr("Disposition"), self.disposition),
            (self.tr("Karma"), self.karma),
            (self.tr("Screen"), self.has_screen),
            (self.tr("Evaluation"), self.evaluated),
        ]
        for i, (label, widget) in enumerate(fields):
            form.addWidget(QLabel(label), i // 4, (i % 4) * 2)
            form.addWidget(widget, i // 4, (i % 4) * 2 + 1)
        self.model = QStandardItemModel(0, 9, self)
        self.model.setSortRole(SORT_ROLE)
        self.model.setHorizontalHeaderLabels(
            [
                self.tr("Started"),
                self.tr("Agent"),
                self.tr("Direction"),
                self.tr("Number"),
                self.tr("Queue"),
                self.tr("Duration"),
                self.tr("Disposition"),
                self.tr("Karma"),
                self.tr("Screen / evaluated"),
            ]
        )
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.on_open: Any = None
        buttons = QHBoxLayout()
        buttons.addWidget(self.search_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        run_in_thread(client.me, self._me_known)

    def _me_known(self, future: Future[Me]) -> None:
        try:
            me = future.result()
        except StoreError as exc:
            self.status.setText(self.tr("Cannot reach the store: {0}").format(exc))
            return
        self.role, self.me = me["role"], me["name"]
        if self.role == "agent":  # the store limits agents to their calls anyway
            self.agent.setText(me["name"])
            self.agent.setEnabled(False)
            self.window().setWindowTitle(self.tr("My calls"))

    def filters(self) -> dict[str, Any]:
        def text(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        return {
            "from_us": self.date_from.dateTime().toMSecsSinceEpoch() * 1000,
            "to_us": self.date_to.dateTime().toMSecsSinceEpoch() * 1000,
            "agent": None if self.role == "agent" else text(self.agent),
            "number": text(self.number),
            "queue": text(self.queue),
            "direction": self.direction.currentData(),
            "min_duration_s": self.min_s.value() or None,
            "max_duration_s": self.max_s.value() or None,
            "disposition": text(self.disposition),
            "karma": self.karma.currentData(),
            "has_screen": self.has_screen.currentData(),
            "evaluated": self.evaluated.currentData(),
        }

    def search(self) -> None:
        filters = self.filters()
        self.search_button.setEnabled(False)
        self.status.setText(self.tr("Searching…"))
        run_in_thread(lambda: self.client.search_calls(**filters, limit=PAGE), self._found)

    def _found(self, future: Future[CallPage]) -> None:
        self.search_button.setEnabled(True)
        try:
            page = future.result()
        except StoreError as exc:
            self.status.setText(self.tr("Search failed: {0}").format(exc))
            return
        self.model.removeRows(0, self.model.rowCount())
        for call in page["items"]:
            self.model.appendRow(self._row(call))
        self.table.resizeColumnsToContents()  # whole times, numbers and dispositions
        shown, total = len(page["items"]), page["total"]
        self.status.setText(self.tr("{0} of {1} calls").format(shown, total))

    def _row(self, call: CallSummary) -> list[QStandardItem]:
        yes, no = self.tr("yes"), self.tr("no")
        cells: list[tuple[str, Any]] = [
            (i18n.local_time(call["started_us"], seconds=True), call["started_us"]),
            (call["agent"], call["agent"]),
            (i18n.direction_name(call["direction"]), call["direction"]),
            (call["remote_number"] or "", call["remote_number"] or ""),
            (call["queue"] or "", call["queue"] or ""),
            (i18n.duration_text(call["duration_s"]), call["duration_s"]),
            (i18n.shown(call["disposition"] or ""), call["disposition"] or ""),
            ("" if call["karma"] is None else f"{call['karma']:+d}", call["karma"] or 0),
            (
                f"{yes if call['has_screen'] else no} / {yes if call['evaluated'] else no}",
                int(call["has_screen"]) * 2 + int(call["evaluated"]),
            ),
        ]
        items = []
        for text, key in cells:
            item = QStandardItem(text)
            item.setData(key, SORT_ROLE)
            item.setData(call["id"], ID_ROLE)
            items.append(item)
        return items

    def call_id_at(self, row: int) -> str:
        return str(self.model.item(row, 0).data(ID_ROLE))

    def _open_row(self, row: int) -> None:
        if self.on_open is not None:
            self.on_open(self.call_id_at(row))


class CallReview(QWidget):
    """One call: the player, the scorecard (QA roles) and the export (with its progress and
    a Cancel that leaves no file behind)."""

    export_progress = Signal(float)  # from the export's thread

    def __init__(self, client: StoreClient, call_id: str, user: str, role: str | None) -> None:
        super().__init__()
        self.client = client
        self.call_id = call_id
        self.user = user
        self.player = PlayerWidget()
        self.export_button = QPushButton(self.tr("Export MP4…"))
        self.export_button.clicked.connect(self.ask_export)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton(self.tr("Cancel the export"))
        self.cancel_button.hide()
        self._cancel = threading.Event()
        self.cancel_button.clicked.connect(lambda: self._cancel.set())
        self.export_progress.connect(self._show_progress)
        self.status = QLabel(self.tr("Loading the call…"))
        side = QVBoxLayout()
        self.scorecard: ScorecardWidget | None = None
        if role != "agent":
            self.scorecard = ScorecardWidget(client, call_id, self.player.position_ms)
            self.scorecard.seek_requested.connect(self._seek_ms)
            side.addWidget(self.scorecard, 1)
        side.addWidget(self.export_button)
        side.addWidget(self.progress)
        side.addWidget(self.cancel_button)
        side.addWidget(self.status)
        panel = QWidget()
        panel.setLayout(side)
        split = QSplitter()
        split.addWidget(self.player)
        split.addWidget(panel)
        split.setStretchFactor(0, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        run_in_thread(lambda: PlaybackSession.open(client, call_id), self._opened)

    def _opened(self, future: Future[PlaybackSession]) -> None:
        try:
            session = future.result()
        except (StoreError, ValueError, OSError) as exc:
            self.status.setText(self.tr("Cannot play this call: {0}").format(exc))
            return
        self.status.setText("")
        self.player.set_session(session)

    def _seek_ms(self, ms: int) -> None:
        if self.player.session is not None:
            self.player.seek(self.player.session.timeline.utc_at(ms))

    def ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export the call"), f"call-{self.call_id}.mp4", "MP4 (*.mp4)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        self.export_button.setEnabled(False)
        self.status.setText(self.tr("Exporting…"))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        cancel = self._cancel = threading.Event()
        told = [-1]

        def progress(share: float) -> None:  # on the export's thread
            if cancel.is_set():
                raise ExportCancelled()
            permille = int(share * 1000)
            if permille != told[0]:
                told[0] = permille
                self.export_progress.emit(share)

        def job() -> ExportResult:
            return export_mp4(
                self.client, self.call_id, path, exported_by=self.user, progress=progress
            )

        run_in_thread(job, self._exported)

    def _show_progress(self, share: float) -> None:
        self.progress.setValue(max(self.progress.value(), int(share * 1000)))

    def _exported(self, future: Future[ExportResult]) -> None:
        self.export_button.setEnabled(True)
        self.progress.hide()
        self.cancel_button.hide()
        try:
            result = future.result()
        except ExportCancelled:
            self.status.setText(self.tr("Export cancelled: no file was written"))
            return
        except Exception as exc:  # shown to the user; nothing half-written is kept
            self.status.setText(self.tr("Export failed: {0}").format(exc))
            return
        self.status.setText(self.tr("Exported to {0}").format(str(result.path)))

    def closeEvent(self, event: Any) -> None:
        self._cancel.set()  # an export running for a closed review stops
        self.player.close_session()
        super().closeEvent(event)


class QaWindow(QWidget):
    """Search on top; a double-clicked call opens below it."""

    def __init__(self, client: StoreClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Call review"))
        self.client = client
        self.search = CallSearch(client)
        self.search.on_open = self.open_call
        self.review: CallReview | None = None
        self._split = QSplitter(Qt.Orientation.Vertical)
        self._split.addWidget(self.search)
        layout = QVBoxLayout(self)
        layout.addWidget(self._split)
        self.resize(1200, 800)

    def open_call(self, call_id: str) -> CallReview:
        if self.review is not None:
            self.review.player.close_session()
            self.review.deleteLater()
        self.review = CallReview(self.client, call_id, self.search.me, self.search.role)
        self._split.addWidget(self.review)
        return self.review

    def closeEvent(self, event: Any) -> None:
        if self.review is not None:
            self.review.player.close_session()
        super().closeEvent(event)


def offer_qa_menu(host: Any, open_review: Callable[[], object]) -> None:
    """Add "Calls → Review calls…" to the main window (``host.add_menu_action``); the caller
    owns the store session the window uses (desktop/store_session.py)."""
    from PySide6.QtCore import QT_TRANSLATE_NOOP
    from PySide6.QtGui import QAction

    parent = host if isinstance(host, QWidget) else None
    action = QAction(_tr(QT_TRANSLATE_NOOP("QaWindow", "Review &calls…")), parent)
    action.setObjectName("openCallReview")
    action.triggered.connect(open_review)
    host.add_menu_action(_tr(QT_TRANSLATE_NOOP("QaWindow", "&Calls")), action)


def _tr(text: object) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("QaWindow", str(text))

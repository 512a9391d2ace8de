"""The QA window: find calls (date range, agent, number, queue, direction, duration,
disposition, karma, screen, evaluated, a phrase said by either side) in a sortable table;
open one to replay its screen and audio beside its transcript (at the phrase's first hit),
score it, or export it as an MP4. Agents see only their own calls ("My calls")."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, cast

from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n
from desktop.qa.review import CallReview
from desktop.qa.transcript_panel import TranscriptFocus
from desktop.threads import run_in_thread
from store.client import StoreClient, StoreError
from store.client_transcript_types import TranscriptCall, TranscriptHit, TranscriptPage
from store.client_types import CallPage, CallSummary, Me

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
HIT_ROLE = Qt.ItemDataRole.UserRole + 3
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
        self.searched_phrase = ""
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
        self.phrase = QLineEdit()
        self.phrase.setPlaceholderText(self.tr("said in the call"))
        self.side = QComboBox()
        for text, value in (
            (self.tr("Anyone"), None),
            (self.tr("Operator"), "operator"),
            (self.tr("Customer"), "customer"),
        ):
            self.side.addItem(text, value)
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
            (self.tr("Phrase"), self.phrase),
            (self.tr("Said by"), self.side),
        ]
        for i, (label, widget) in enumerate(fields):
            form.addWidget(QLabel(label), i // 4, (i % 4) * 2)
            form.addWidget(widget, i // 4, (i % 4) * 2 + 1)
        self.model = QStandardItemModel(0, 10, self)
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
                self.tr("Said"),
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
        phrase, side = self.phrase.text().strip(), self.side.currentData()
        self.search_button.setEnabled(False)
        self.status.setText(self.tr("Searching…"))
        self.searched_phrase = phrase

        def find() -> CallPage | TranscriptPage:
            if phrase:  # the calls in which it was said, each with where
                return self.client.search_transcripts(phrase, side, **filters, limit=PAGE)
            return self.client.search_calls(**filters, limit=PAGE)

        run_in_thread(find, self._found)

    def _found(self, future: Future[CallPage | TranscriptPage]) -> None:
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

    def _row(self, call: CallSummary | TranscriptCall) -> list[QStandardItem]:
        yes, no = self.tr("yes"), self.tr("no")
        hits = cast(list[TranscriptHit], call.get("hits", []))  # a phrase search's
        hit = hits[0] if hits else None
        said = ""
        if hit is not None:
            who = self.tr("Operator") if hit["side"] == "operator" else self.tr("Customer")
            said = f"{i18n.local_time(hit['start_us'], seconds=True)[-8:]} {who}: {hit['text']}"
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
            (said, said),
        ]
        items = []
        for text, key in cells:
            item = QStandardItem(text)
            item.setData(key, SORT_ROLE)
            item.setData(call["id"], ID_ROLE)
            if hit is not None:
                item.setData((hit["start_us"], hit["side"], self.searched_phrase), HIT_ROLE)
            items.append(item)
        return items

    def call_id_at(self, row: int) -> str:
        return str(self.model.item(row, 0).data(ID_ROLE))

    def focus_at(self, row: int) -> TranscriptFocus | None:
        """Where the row's call opens: its first phrase hit, if it came from a phrase search."""
        hit = self.model.item(row, 0).data(HIT_ROLE)
        return TranscriptFocus(int(hit[0]), str(hit[1]), str(hit[2])) if hit else None

    def _open_row(self, row: int) -> None:
        if self.on_open is not None:
            self.on_open(self.call_id_at(row), self.focus_at(row))


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

    def open_call(self, call_id: str, focus: TranscriptFocus | None = None) -> CallReview:
        if self.review is not None:
            self.review.player.close_session()
            self.review.deleteLater()
        self.review = CallReview(self.client, call_id, self.search.me, self.search.role, focus)
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

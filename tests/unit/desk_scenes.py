"""The desktop's windows fed with sample data, as a user sees them: the operator's window (fake
engine, the real panels with a sample CRM, caller history and upload backlog) through idle,
ringing, on call and wrap-up; the QA search and player; the supervisor board. Shared by the
translation test (every visible text in Russian) and the screenshot test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QAbstractItemModel, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMenu,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop import app as composition
from desktop.calls.engine_bridge import EngineBridge
from desktop.crm.types import CrmContact, CrmItem, LookupResult, Outcome
from desktop.operator.window import MainWindow
from desktop.qa.playback.timeline import CallTimeline, build_timeline
from desktop.qa.player import PlayerWidget
from desktop.qa.window import QaWindow
from desktop.recording.uploads import UploadQueue
from desktop.settings import values as settings
from desktop.supervisor.window import SupervisorWindow
from sip import events as ev
from tests.unit.fake_engine import FakeEngine

S = 1_000_000
NOW_US = 1_765_100_000 * S  # 2025-12-07, a working afternoon
CALLER = "+74997654321"
CALLER_NAME = "Мария Сидорова"
REFUSAL = "PUT /agents/anna/state: 403 agents can only set their own state; supervisors any"


# --- sample back ends -------------------------------------------------------------------------
class SampleCrm:
    """A CRM that knows one caller, with a long open deal (the card must show it whole)."""

    name = "CRM"
    timeout_s = 5.0

    def contact(self) -> CrmContact:
        return CrmContact(
            id="c-1002",
            name=CALLER_NAME,
            company="ООО «Ромашка», филиал на Профсоюзной улице",
            status="Частный клиент",
            balance="340.00 ₽",
            notes="Просила перезвонить по поводу счёта за октябрь; удобно после 14:00.",
            items=(
                CrmItem("Вопрос по счёту за октябрь и перерасчёт абонентской платы", "открыт"),
                CrmItem("Смена тарифа на «Бизнес 500»", "в работе", "1 500 ₽"),
            ),
            web_url="https://crm.example.ru/contact/c-1002",
        )

    def lookup(self, number: str) -> LookupResult:
        return LookupResult(number, Outcome.found, self.contact())

    def details(self, contact: CrmContact) -> CrmContact:
        return self.contact()

    def create_contact(self, number: str, name: str) -> str:
        return ""

    def post_call(self, report: Any, recording: Path | None = None) -> str:
        return ""


class SampleCallers:
    """The store's caller summary: two earlier calls and ratings."""

    def caller_summary(self, number: str) -> dict[str, Any]:
        calls = [
            {"id": "old-1", "agent": "anna", "started_us": NOW_US - 86_400 * S,
             "duration_s": 312.0, "disposition": "callback"},
            {"id": "old-2", "agent": "boris", "started_us": NOW_US - 3 * 86_400 * S,
             "duration_s": 95.0, "disposition": "resolved"},
        ]  # fmt: skip
        return {
            "calls": 2,
            "karma_avg": 0.5,
            "ratings": 2,
            "literacy": {"score": 3.5, "raters": 2, "agreement": 0.5},
            "temperament": None,
            "last_calls": calls,
        }


class SampleUploads(QObject):
    """The upload queue's status (desktop.recording.uploads): items waiting, refused."""

    status_changed = Signal(dict)

    def agent_state(self, agent: str, state: str, reason: str, at_us: int) -> None:
        pass

    def patch_call(self, call_id: str, **fields: Any) -> None:
        pass

    def card_draft(self, call_id: str, fields: dict[str, Any]) -> None:
        pass


def call_summary(i: int, direction: str, disposition: str | None) -> dict[str, Any]:
    return {
        "id": f"call-{i}", "agent": "anna", "direction": direction,
        "remote_number": CALLER, "queue": "sales", "started_us": NOW_US - i * 3600 * S,
        "duration_s": 300.0 + i * 17, "disposition": disposition, "karma": 1 if i % 2 else None,
        "has_screen": True, "evaluated": bool(i % 2),
    }  # fmt: skip


class SampleStore:
    """What the QA and supervisor windows ask of the store."""

    def me(self) -> dict[str, Any]:
        return {"name": "quinn", "role": "qa"}

    def search_calls(self, **filters: Any) -> dict[str, Any]:
        items = [
            call_summary(1, "inbound", "resolved"),
            call_summary(2, "outbound", "callback"),
            call_summary(3, "internal", None),
        ]
        return {"total": len(items), "limit": 500, "offset": 0, "items": items}

    def live_board(self) -> dict[str, Any]:
        def row(agent: str, state: str, since_s: int, **extra: Any) -> dict[str, Any]:
            base = {"agent": agent, "state": state, "reason": None,
                    "since_us": NOW_US - since_s * S, "presence_us": NOW_US,
                    "occupancy_10min_pct": 62.0, "recording": True,
                    "upload_backlog": 0, "upload_backlog_bytes": 0}  # fmt: skip
            return {**base, **extra}

        return {
            "now_us": NOW_US,
            "agents": [
                row("anna", "on_call", 400, call_number=CALLER,
                    call_started_us=NOW_US - 400 * S, call_answered_us=NOW_US - 380 * S),
                row("boris", "not_ready", 900, reason="Training", upload_backlog=3,
                    upload_backlog_bytes=4_000_000),
                row("vera", "break", 300, reason="Lunch", recording=False),
                row("gleb", "wrap_up", 20),
            ],
        }  # fmt: skip

    def queues_live(self) -> dict[str, Any]:
        def queue(name: str, waiting: int, longest: float | None, free: int) -> dict[str, Any]:
            callers = [
                {
                    "uniqueid": f"{name}.{i}",
                    "number": f"+7912555010{i}",
                    "position": i,
                    "entered_us": NOW_US - int(47 - 20 * i) * S,
                    "wait_s": 47.0 - 20 * i,
                    "karma_avg": -2.0 if i == 0 else None,
                    "ratings": 3 if i == 0 else 0,
                    "hint": "difficult" if i == 0 else "unknown",
                    "route": "default",
                }
                for i in range(waiting)
            ]
            return {"queue": name, "waiting": waiting, "longest_wait_s": longest,
                    "callers": callers, "offered": 40, "answered": 35, "abandoned": 5,
                    "service_level_pct": 82.5, "members": [],
                    "agents": {"free": free, "on_call": 2, "wrap_up": 1, "break": 1,
                               "not_ready": 0}}  # fmt: skip

        queues = [queue("продажи", 2, 47.0, 1), queue("поддержка", 0, None, 3)]
        return {"now_us": NOW_US, "since_us": NOW_US - 36_000 * S, "sl_s": 20, "queues": queues}

    def report_norms(self) -> dict[str, Any]:
        return {"service_level_s": 20, "long_call_s": 600}

    def report(self, kind: Any, from_us: int, to_us: int, **options: Any) -> dict[str, Any]:
        raise RuntimeError("no reports in the sample")

    def report_csv(self, kind: Any, from_us: int, to_us: int, **options: Any) -> bytes:
        return b""


def sample_call_document() -> dict[str, Any]:
    """A store call document with every kind of event the player lists."""
    t = NOW_US - 600 * S
    return {
        "id": "call-1",
        "started_us": t,
        "answered_us": t + 6 * S,
        "ended_us": t + 190 * S,
        "ended_by": "remote",
        "holds": [{"start_us": t + 60 * S, "end_us": t + 80 * S}],
        "transfers": [{"at_us": t + 150 * S, "to": "sip:2002@pbx"}],
        "events": [
            {"at_us": t + 1 * S, "kind": "ringing", "detail": CALLER},
            {"at_us": t + 6 * S, "kind": "confirmed", "detail": "200 OK"},
            {"at_us": t + 60 * S, "kind": "media_local_hold", "detail": ""},
            {"at_us": t + 80 * S, "kind": "media_active", "detail": ""},
            {"at_us": t + 100 * S, "kind": "dtmf", "detail": "5"},
            {"at_us": t + 151 * S, "kind": "transfer", "detail": "200 OK"},
        ],
        "card": {"topic": {"value": "resolved", "changed_us": t + 120 * S}},
        "media": [],
    }


# --- the operator's window ----------------------------------------------------------------------
class OperatorDesk:
    """The window as the composition root builds it, on a fake engine."""

    def __init__(self, qtbot: QtBot, data: Path) -> None:
        self.qtbot = qtbot
        self.engine = FakeEngine()
        conf = settings.Settings()
        self.window = MainWindow(
            EngineBridge(self.engine), account="anna@pbx.example.ru", agent_options=conf.agent
        )
        qtbot.addWidget(self.window)
        book = self.window.book
        composition.add_history_panels(self.window, book, conf.store, data / "calls.db")
        self.uploads = SampleUploads(self.window)
        uploads = cast(UploadQueue, self.uploads)  # the status signal and the card's writes
        self.panel = composition.add_crm_panel(self.window, book, conf, None, uploads)
        self.panel.adapter = SampleCrm()
        self.panel.store = SampleCallers()
        self.window.attach_uploads(self.uploads)
        self.seen: list[ev.Event] = []
        self.window.bridge.sip_event.connect(self.seen.append)

    def deliver(self, *events: ev.Event) -> None:
        before = len(self.seen)
        for event in events:
            self.engine.emit(event)
        self.qtbot.waitUntil(lambda: len(self.seen) >= before + len(events), timeout=3000)
        self.qtbot.wait(50)  # queued follow-ups (the card gate, the docks)

    def idle(self) -> None:
        self.engine.start()
        self.deliver(
            ev.RegistrationChanged(
                account_id="acc-1", state="registered", code=200, reason="OK", expires=300
            )
        )
        self.uploads.status_changed.emit({"items": 4, "bytes": 0, "last_error": REFUSAL})

    def ring(self) -> None:
        self.deliver(
            ev.IncomingCall(
                call_id="c1",
                account_id="acc-1",
                remote_uri=f'"{CALLER_NAME}" <sip:{CALLER}@pbx.example.ru>',
                number=CALLER,
                display_name=CALLER_NAME,
                sip_call_id="x1",
                headers={},
                waiting=False,
            )
        )
        card = self.panel.card
        self.qtbot.waitUntil(lambda: card.rows["name"].text() == CALLER_NAME, timeout=3000)
        self.qtbot.waitUntil(lambda: card.history.rowCount() == 2, timeout=3000)

    def answer(self) -> None:
        self.deliver(
            ev.CallStateChanged(call_id="c1", state="confirmed", code=200, reason="OK"),
            ev.CallMediaChanged(call_id="c1", media="active"),
        )

    def hang_up(self) -> None:
        self.deliver(
            ev.CallStateChanged(call_id="c1", state="disconnected", code=200, reason="BYE"),
            ev.CallEnded(call_id="c1", record={"ended_by": "remote"}),
        )


def qa_window(qtbot: QtBot) -> QaWindow:
    window = QaWindow(SampleStore())  # type: ignore[arg-type]
    qtbot.addWidget(window)
    search = window.search
    qtbot.waitUntil(lambda: search.role == "qa", timeout=3000)
    search.search()
    qtbot.waitUntil(lambda: search.model.rowCount() == 3, timeout=3000)
    return window


def player(qtbot: QtBot) -> tuple[PlayerWidget, CallTimeline]:
    widget = PlayerWidget()
    qtbot.addWidget(widget)
    timeline = build_timeline(sample_call_document(), [])
    widget.show_timeline(timeline)
    widget.resize(1100, 560)
    return widget, timeline


def supervisor_window(qtbot: QtBot) -> SupervisorWindow:
    window = SupervisorWindow(SampleStore())  # type: ignore[arg-type]
    qtbot.addWidget(window)
    window.board.refresh()
    window.queues.refresh()
    qtbot.waitUntil(lambda: window.board.table.rowCount() == 4, timeout=3000)
    qtbot.waitUntil(lambda: window.queues.table.rowCount() == 2, timeout=3000)
    return window


# --- what a user reads --------------------------------------------------------------------------
def _model_texts(model: QAbstractItemModel) -> Iterator[str]:
    for col in range(model.columnCount()):
        yield str(model.headerData(col, Qt.Orientation.Horizontal) or "")
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            yield str(model.index(row, col).data() or "")


def visible_texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every text ``root`` shows or offers: labels, buttons, fields, lists,
    tables and their headers, combo items, tabs, docks, menus, the window title; tooltips."""
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        where = f"{type(w).__name__}({w.objectName()})"
        if not w.isVisibleTo(root) and w is not root and not isinstance(w, QMenu):
            continue
        if w.isWindow():
            yield where + ".windowTitle", w.windowTitle()
        yield where + ".toolTip", w.toolTip()
        if isinstance(w, QLabel | QAbstractButton):
            yield where, w.text()
        elif isinstance(w, QLineEdit):
            yield where + ".value", w.text()  # what the user typed or set
            yield where + ".placeholder", w.placeholderText()
        elif isinstance(w, QComboBox):
            yield from ((where, w.itemText(i)) for i in range(w.count()))
        elif isinstance(w, QGroupBox):
            yield where, w.title()
        elif isinstance(w, QTabBar):
            yield from ((where, w.tabText(i)) for i in range(w.count()))
        elif isinstance(w, QDockWidget):
            yield where, w.windowTitle()
        elif isinstance(w, QMenu):
            yield where, w.title()
            yield from ((where, a.text()) for a in w.actions())
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            if isinstance(w, QListWidget):
                yield from ((where, w.item(i).text()) for i in range(w.count()))
            else:
                yield from ((where, t) for t in _model_texts(w.model()))
    if isinstance(root, QMainWindow):
        for action in root.menuBar().actions():
            yield "menuBar", action.text()


ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
ADDRESS = re.compile(r"(\w+:/*|[\w.+-]+@)?[\w.-]+\.[a-z]{2,}(:\d+)?(/\S*)?")  # URLs, hosts
# Proper names, units and identifiers that stay as they are in a Russian UI.
ALLOWED = {
    "AgentDesk", "CRM", "SIP", "MP4", "URL", "PC", "VIP", "DTMF", "OK", "BYE", "ID",
    "PortAudio", "Bitrix24", "English", "udp", "tcp", "tls", "none", "rest", "bitrix24",
    "B", "KB", "MB", "GB", "anna", "boris", "vera", "gleb", "quinn", "sales", "pbx", "example",
    "ru", "sip", "crm", "https", "www", "com",
}  # fmt: skip


def english_texts(root: QWidget) -> list[tuple[str, str]]:
    """Visible texts with English words but no Russian letter, e.g. "inbound", "300 s"."""
    out = []
    for where, text in visible_texts(root):
        if where.endswith(".value"):  # a setting's value or a typed number, not our words
            continue
        if re.search("[А-Яа-яЁё]", text) or ADDRESS.fullmatch(text.strip()):
            continue
        words = [w for w in ENGLISH_WORD.findall(text.replace("&", "")) if w not in ALLOWED]
        units = re.search(r"\d\s?s\b", text)  # "300 s"
        if words or units:
            out.append((where, text))
    return out

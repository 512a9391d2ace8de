"""The supervisor's window: the live queues over the live agent board (with "Watch screen",
which opens desktop/supervisor/screen_view.py), the reports and the outbound campaigns in
tabs, and the menu action that opens it, offered only when the store says the user is a
supervisor or admin."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, Qt, SignalInstance
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import QMenu, QSplitter, QTabWidget, QVBoxLayout, QWidget

from desktop.outbound.supervision import CampaignSource, CampaignsView
from desktop.supervisor.agent_board import AgentBoard, Norms
from desktop.supervisor.monitor_controls import Dial, MonitorControls
from desktop.supervisor.queue_panel import QueuePanel
from desktop.supervisor.reports_view import ReportsView
from desktop.supervisor.screen_view import ScreenView
from desktop.threads import run_in_thread
from store.client import MonitorSession
from store.client_types import Board, Me, Report, ReportNorms

log = logging.getLogger(__name__)
SUPERVISING_ROLES = ("supervisor", "admin")


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks a text for pyside6-lupdate (which looks for this name); translated when shown."""
    return text


class SupervisorSource(CampaignSource, Protocol):
    """What the window needs of ``store.client.StoreClient``."""

    def me(self) -> Me: ...
    def live_board(self) -> Board: ...
    def queues_live(self) -> dict[str, Any]: ...
    def report(self, kind: Any, from_us: int, to_us: int, **options: Any) -> Report: ...
    def report_csv(self, kind: Any, from_us: int, to_us: int, **options: Any) -> bytes: ...
    def report_norms(self) -> ReportNorms: ...
    def open_monitoring(self, agent: str, mode: Any, follow: bool = False) -> MonitorSession: ...
    def set_monitoring_mode(self, session_id: str, mode: Any) -> MonitorSession: ...
    def revoke_monitoring(self, session_id: str) -> MonitorSession: ...
    def start_watch(self, agent: str) -> dict[str, Any]: ...
    def watch_frames(self, agent: str, watch_id: int, after: int = 0) -> dict[str, Any]: ...
    def end_watch(self, agent: str, watch_id: int) -> dict[str, Any]: ...


class MenuHost(Protocol):
    """The main window's extension point (``MainWindow.add_menu_action``)."""

    def add_menu_action(self, menu_name: str, action: QAction) -> QMenu: ...


class SupervisorWindow(QWidget):
    """A top-level window; the board refreshes only while it is shown. Under the board:
    listen, whisper, barge on the picked agent (``dial`` calls the agent from this desktop's
    softphone; without one the controls say what to dial)."""

    def __init__(
        self,
        source: SupervisorSource,
        norms: Norms | None = None,
        parent: QWidget | None = None,
        dial: Dial | None = None,
        live_events: SignalInstance | None = None,
    ) -> None:
        """``live_events``: the live channel's ``received`` signal (queue changes, this
        supervisor's monitoring sessions)."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("AgentDesk supervisor"))
        self.source = source
        self.board = AgentBoard(source.live_board, norms, self)
        self.monitor = MonitorControls(source, self.board.picked_agent, dial, self.board)
        board_layout = self.board.layout()
        assert board_layout is not None
        board_layout.addWidget(self.monitor)
        self.board.watch_requested.connect(self.watch_screen)
        self.screens: dict[str, ScreenView] = {}
        self.queues = QueuePanel(source.queues_live, self, live_events)
        if live_events is not None:
            live_events.connect(self.monitor.on_live_event)
        self.reports = ReportsView(source, self)
        live = QSplitter(Qt.Orientation.Vertical, self)
        live.addWidget(self.queues)
        live.addWidget(self.board)
        live.setStretchFactor(0, 1)
        live.setStretchFactor(1, 2)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(live, self.tr("Live board"))
        self.tabs.addTab(self.reports, self.tr("Reports"))
        self.campaigns = CampaignsView(source, self)
        self.tabs.addTab(self.campaigns, self.tr("Campaigns"))
        self.tabs.currentChanged.connect(
            lambda index: (
                self.campaigns.refresh() if self.tabs.widget(index) is self.campaigns else None
            )
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self.resize(1000, 600)

    def watch_screen(self, agent: str) -> ScreenView:
        """Open (or raise) the live view of ``agent``'s screen."""
        view = self.screens.get(agent)
        if view is None or not view.isVisible():
            view = self.screens[agent] = ScreenView(self.source, agent)
            view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
            view.show()
            view.start()
        view.raise_()
        return view

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.board.start()
        self.queues.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.board.stop()
        self.queues.stop()
        super().closeEvent(event)


def offer_supervisor_menu(
    host: MenuHost,
    source: SupervisorSource,
    dial: Dial | None = None,
    engine_events: SignalInstance | None = None,
    live_events: SignalInstance | None = None,
) -> None:
    """Ask the store who we are (off the UI thread); for supervisors and admins add
    "Supervisor → Agents and reports…" to the main window's menu. ``dial`` and
    ``engine_events`` (the engine bridge's ``sip_event``): this desktop's softphone;
    ``live_events``: the live channel's ``received``."""
    window: list[SupervisorWindow] = []

    def open_window() -> None:
        if not window:
            window.append(SupervisorWindow(source, dial=dial, live_events=live_events))
            if engine_events is not None:
                engine_events.connect(window[0].monitor.on_engine_event)
        window[0].show()
        window[0].raise_()

    def answered(future: Future[Me]) -> None:
        try:
            me = future.result()
        except Exception as exc:
            log.warning("supervisor menu: cannot ask the store for the role: %s", exc)
            return
        if me["role"] not in SUPERVISING_ROLES:
            return
        parent = host if isinstance(host, QWidget) else None
        action = QAction(_tr(QT_TRANSLATE_NOOP("SupervisorWindow", "Agents and &reports…")), parent)
        action.setObjectName("openSupervisor")
        action.triggered.connect(open_window)
        host.add_menu_action(_tr(QT_TRANSLATE_NOOP("SupervisorWindow", "&Supervisor")), action)

    run_in_thread(source.me, answered)


def _tr(text: str) -> str:
    return QCoreApplication.translate("SupervisorWindow", text)

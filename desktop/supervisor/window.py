"""The supervisor's window: the live agent board, the reports and the outbound campaigns in
tabs, and the menu action that opens it, offered only when the store says the user is a
supervisor or admin."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import QMenu, QTabWidget, QVBoxLayout, QWidget

from desktop.outbound.supervision import CampaignSource, CampaignsView
from desktop.supervisor.agent_board import AgentBoard, Norms
from desktop.supervisor.reports_view import ReportsView
from desktop.threads import run_in_thread
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
    def report(self, kind: Any, from_us: int, to_us: int, **options: Any) -> Report: ...
    def report_csv(self, kind: Any, from_us: int, to_us: int, **options: Any) -> bytes: ...
    def report_norms(self) -> ReportNorms: ...


class MenuHost(Protocol):
    """The main window's extension point (``MainWindow.add_menu_action``)."""

    def add_menu_action(self, menu_name: str, action: QAction) -> QMenu: ...


class SupervisorWindow(QWidget):
    """A top-level window; the board refreshes only while it is shown."""

    def __init__(
        self, source: SupervisorSource, norms: Norms | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("AgentDesk supervisor"))
        self.board = AgentBoard(source.live_board, norms, self)
        self.reports = ReportsView(source, self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.board, self.tr("Live board"))
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

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.board.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.board.stop()
        super().closeEvent(event)


def offer_supervisor_menu(host: MenuHost, source: SupervisorSource) -> None:
    """Ask the store who we are (off the UI thread); for supervisors and admins add
    "Supervisor → Agents and reports…" to the main window's menu."""
    window: list[SupervisorWindow] = []

    def open_window() -> None:
        if not window:
            window.append(SupervisorWindow(source))
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

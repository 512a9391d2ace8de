"""The tray icon: a dot in the agent state's colour, the state as its tooltip, a small menu,
and notices for ringing calls. Platforms without a tray (offscreen, some desktops) get none,
and the window alone tells the operator (banner, raised window)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

log = logging.getLogger(__name__)
NOTICE_MS = 10000


def dot_icon(colour: str, size: int = 32) -> QIcon:
    """A filled circle of ``colour``: the state at a glance, no image files needed."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(QColor("#202020"))
    painter.drawEllipse(2, 2, size - 4, size - 4)
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    """Owns the QSystemTrayIcon when the platform has a tray; emits ``show_requested``."""

    show_requested = Signal()

    def __init__(self, window: QWidget, state_menu: QMenu | None = None) -> None:
        super().__init__(window)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.tooltip = ""
        self.last_notice: tuple[str, str] = ("", "")
        self.icon: QSystemTrayIcon | None = None
        if not self.available:
            log.info("no system tray on this desktop: ringing calls are shown in the window only")
            return
        self.icon = QSystemTrayIcon(window)
        self.icon.setObjectName("agentTray")
        menu = QMenu(window)
        show = QAction(self.tr("Show AgentDesk"), menu)
        show.triggered.connect(self.show_requested)
        menu.addAction(show)
        if state_menu is not None:
            menu.addSeparator()
            for action in state_menu.actions():
                menu.addAction(action)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self.icon.show()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()

    def show_state(self, text: str, colour: str) -> None:
        """The agent state as the tray's icon colour and tooltip."""
        self.tooltip = f"AgentDesk — {text}"
        if self.icon is not None:
            self.icon.setIcon(dot_icon(colour))
            self.icon.setToolTip(self.tooltip)

    def notify(self, title: str, text: str) -> None:
        """A desktop notice (e.g. a ringing call); nothing when there is no tray."""
        self.last_notice = (title, text)
        if self.icon is not None and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, NOTICE_MS)

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()

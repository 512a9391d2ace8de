"""The operator's desk for a working day: the window keeps its size and place between runs
(first start: most of the screen, not a dialog's size), and its side panels take one of two
layouts, switched from View:

- the **full desk**: the softphone column, the caller card, the dialog card (with the caller
  rating and "Finish wrap-up") and the history (My calls, My day) side by side;
- the **compact softphone**: a narrow window with the panels as tabs in one column; a ringing
  call brings the caller card to the front.

Window geometry and layout are UI state, kept in ``agentdesk/window.ini`` of the user's config
folder, apart from the settings file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QObject,
    QRect,
    QSettings,
    QStandardPaths,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from desktop.calls.model import Call

COMPACT, FULL = "compact", "full"
# First start: this share of the screen's available width and height, centred.
FIRST_SHARE = {FULL: (0.9, 0.88), COMPACT: (0.3, 0.85)}
MIN_SIZE = {FULL: (1100, 680), COMPACT: (460, 620)}
SOFTPHONE_W = 470  # the softphone column of the full desk


def _tr(text: str) -> str:
    return QCoreApplication.translate("DeskLayout", text)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks a text for pyside6-lupdate (which looks for this name); translated when shown."""
    return text


def state_file() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "agentdesk" / "window.ini"


def first_geometry(available: QRect, mode: str) -> QRect:
    """Where the window opens the first time: a share of ``available`` (the screen without
    its panels), at least a usable size, never larger than the screen, centred."""
    share_w, share_h = FIRST_SHARE[mode]
    min_w, min_h = MIN_SIZE[mode]
    width = min(available.width(), max(min_w, round(available.width() * share_w)))
    height = min(available.height(), max(min_h, round(available.height() * share_h)))
    rect = QRect(0, 0, width, height)
    rect.moveCenter(available.center())
    return rect


class DeskLayout(QObject):
    """Arranges ``window``'s side panels and remembers its geometry; ``panel_added`` is called
    by the window for each side panel, the View menu switches the mode."""

    mode_changed = Signal(str)

    def __init__(self, window: QMainWindow, settings: QSettings | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings or QSettings(str(state_file()), QSettings.Format.IniFormat)
        stored = self.settings.value("mode", FULL)
        self.mode = stored if stored in (COMPACT, FULL) else FULL
        self.caller_dock: QDockWidget | None = None
        self.dialog_dock: QDockWidget | None = None
        self.dialog_part: QWidget | None = None
        self._arrange_due = False
        self._columns: list[QDockWidget] = []
        self._restore_due = False
        self._shown = False
        window.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
        window.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
        self.view_menu = window.menuBar().addMenu(_tr(QT_TRANSLATE_NOOP("DeskLayout", "&View")))
        self.view_menu.setObjectName("viewMenu")
        group = QActionGroup(self)
        self.actions: dict[str, QAction] = {}
        for mode, text in (
            (COMPACT, QT_TRANSLATE_NOOP("DeskLayout", "&Compact softphone")),
            (FULL, QT_TRANSLATE_NOOP("DeskLayout", "&Full desk: card, dialog and history")),
        ):
            action = QAction(_tr(text), window)
            action.setObjectName(f"{mode}Layout")
            action.setCheckable(True)
            action.setChecked(mode == self.mode)
            action.triggered.connect(lambda _=False, m=mode: self.set_mode(m))
            group.addAction(action)
            self.view_menu.addAction(action)
            self.actions[mode] = action
        self.actions[COMPACT].setShortcut("Ctrl+Shift+1")
        self.actions[FULL].setShortcut("Ctrl+Shift+2")
        window.installEventFilter(self)
        self.restore_geometry()

    # --- panels ----------------------------------------------------------------------------
    def docks(self) -> list[QDockWidget]:
        return [d for d in self.window.findChildren(QDockWidget) if d.parent() is self.window]

    def panel_added(self, dock: QDockWidget) -> None:
        """A side panel was docked: the caller panel is split into the caller card and the
        dialog card (two columns of the full desk); the layout is redone."""
        from desktop.crm.panel import CrmPanel

        panel = dock.widget()
        if isinstance(panel, CrmPanel) and self.caller_dock is None:
            self.caller_dock = dock
            self.dialog_part = QWidget()
            self.dialog_part.setObjectName("dialogCardPart")
            part = QVBoxLayout(self.dialog_part)
            for widget in (panel.dialog, panel.rating, panel.finish, panel.message):
                part.addWidget(widget)
            part.addStretch(1)
            self.dialog_dock = QDockWidget(
                QCoreApplication.translate("DeskLayout", "Dialog card"), self.window
            )
            self.dialog_dock.setObjectName("dialogCardDock")
            self.dialog_dock.setFeatures(dock.features())
            book = getattr(self.window, "book", None)
            if book is not None:
                book.added.connect(self._call_added)
                book.ended.connect(self._call_ended)
        if not self._arrange_due:  # once for the panels added in one go
            self._arrange_due = True
            QTimer.singleShot(0, self, self.arrange)

    def _call_added(self, call: Call) -> None:
        if call.ringing and self.caller_dock is not None:
            self.caller_dock.show()
            self.caller_dock.raise_()

    def _call_ended(self, _call: Call) -> None:
        if self.mode == COMPACT and self.caller_dock is not None:
            self.caller_dock.raise_()

    def arrange(self) -> None:
        """Put the panels where the current mode wants them (then, once placed, as the operator
        left them in this mode: column widths, tabs)."""
        self._arrange_due = False
        self._restore_due = True
        w = self.window
        right = Qt.DockWidgetArea.RightDockWidgetArea
        docks = [d for d in self.docks() if d is not self.dialog_dock]
        if self.caller_dock in docks:  # the caller card first
            docks.remove(self.caller_dock)
            docks.insert(0, self.caller_dock)
        panel = self.caller_dock.widget() if self.caller_dock is not None else None
        if self.mode == FULL and self.dialog_dock is not None and self.dialog_part is not None:
            self.dialog_dock.setWidget(self.dialog_part)
        elif panel is not None and self.dialog_part is not None:
            layout = panel.layout()
            assert layout is not None
            layout.addWidget(self.dialog_part)
        for dock in docks:
            w.removeDockWidget(dock)
        if self.dialog_dock is not None:
            w.removeDockWidget(self.dialog_dock)
        if not docks:
            return
        for dock in docks:
            w.addDockWidget(right, dock)
            dock.show()
        first = docks[0]
        if self.mode == FULL:
            columns = [first]
            if self.dialog_dock is not None:
                w.addDockWidget(right, self.dialog_dock)
                w.splitDockWidget(first, self.dialog_dock, Qt.Orientation.Horizontal)
                self.dialog_dock.show()
                columns.append(self.dialog_dock)
            history = docks[1:] if self.caller_dock is not None else docks
            if history and history[0] is not first:
                w.splitDockWidget(columns[-1], history[0], Qt.Orientation.Horizontal)
                columns.append(history[0])
            for dock in history[1:]:
                w.tabifyDockWidget(history[0], dock)
            if history:
                history[0].raise_()
            self._columns = columns
            # sized once the layout has placed them (it would scale widths given now)
            QTimer.singleShot(0, self, self._size_columns)
        else:
            for dock in docks[1:]:
                w.tabifyDockWidget(first, dock)
            first.raise_()
            QTimer.singleShot(0, self, self._size_columns)

    def _size_columns(self) -> None:
        """The side columns share what the softphone column (its least width) leaves."""
        saved = self.settings.value(f"state/{self.mode}")
        if self._restore_due and isinstance(saved, QByteArray) and not saved.isEmpty():
            self._restore_due = False
            if self.window.restoreState(saved):
                return
        columns = self._columns
        if self.mode != FULL or not columns:
            return
        central = self.window.centralWidget()
        softphone = max(SOFTPHONE_W, central.minimumSizeHint().width() if central else 0)
        spare = max(len(columns) * 260, self.window.width() - softphone - 24)
        weights = [5, 3, 3][: len(columns)] if len(columns) <= 3 else [1] * len(columns)
        widths = [spare * k // sum(weights) for k in weights]
        self.window.resizeDocks(columns, widths, Qt.Orientation.Horizontal)

    # --- modes and geometry ----------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode == self.mode:
            self.actions[mode].setChecked(True)
            return
        self.save()
        self.mode = mode
        self.actions[mode].setChecked(True)
        self.arrange()
        self.restore_geometry()
        QTimer.singleShot(0, self, self._size_columns)
        self.save()
        self.mode_changed.emit(mode)

    def restore_geometry(self) -> None:
        """The mode's last geometry, else a share of the screen the window is on."""
        w = self.window
        if w.isMaximized() or w.isFullScreen():
            w.showNormal()
        saved = self.settings.value(f"geometry/{self.mode}")
        if isinstance(saved, QByteArray) and w.restoreGeometry(saved):
            return
        sized_as = self.mode if self.docks() else COMPACT  # a bare softphone stays compact
        screen = w.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            w.resize(*MIN_SIZE[sized_as])
            return
        w.setGeometry(first_geometry(screen.availableGeometry(), sized_as))

    def save(self) -> None:
        self.settings.setValue("mode", self.mode)
        self.settings.setValue(f"geometry/{self.mode}", self.window.saveGeometry())
        if self.docks():
            self.settings.setValue(f"state/{self.mode}", self.window.saveState())
        self.settings.sync()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.save()
        elif watched is self.window and event.type() == QEvent.Type.Show:
            if not self._shown:  # the panels are in by now: the first start's size for them
                self._shown = True
                if not isinstance(self.settings.value(f"geometry/{self.mode}"), QByteArray):
                    self.restore_geometry()
            QTimer.singleShot(0, self, self._size_columns)
        return False

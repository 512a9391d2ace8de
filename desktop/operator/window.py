"""The operator's softphone window: composes the small widgets around the call model.

The call list, controls, banner and tray follow the call model (:class:`CallBook`); the agent
state and the status lines follow the engine's events. The end of the operator's wrap-up ends
the wrap-up of the calls in the model. What the operator does to calls (buttons, shortcuts,
transfer dialogs, DTMF) is :class:`~desktop.operator.call_actions.CallActions`. The recorder
link and the upload queue are attached by the composition root when they exist.
"""

from __future__ import annotations

from typing import get_args

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from desktop.agent import state as st
from desktop.agent.state_bar import COLOURS, AgentStateBar
from desktop.calls.call_list import CallList
from desktop.calls.controls import CallControls
from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.incoming_banner import IncomingBanner
from desktop.calls.model import Call, CallBook
from desktop.operator.call_actions import CallActions
from desktop.operator.desk_layout import DeskLayout
from desktop.operator.recording_controls import RecorderControls
from desktop.operator.tray import Tray
from desktop.recording.indicator import RecordingIndicator
from desktop.recording.link import RecorderLink
from desktop.recording.uploads import UploadQueue
from desktop.settings.values import AgentSection
from desktop.threads import assert_gui_thread
from desktop.widgets.audio_dialog import AudioDevicesDialog
from desktop.widgets.dial_pad import DialPanel
from desktop.widgets.status_lines import AudioModeLine, RegistrationLine
from sip import events as ev
from store.client_types import AgentState as StoreState

STATUS_MS = 15000
STORE_STATES = frozenset(get_args(StoreState))  # what the store accepts today
SHORTCUTS = {"answer": "Ctrl+Shift+A", "hangup": "Ctrl+Shift+E", "hold": "Ctrl+Shift+H"}
SHORTCUTS["mute"] = "Ctrl+Shift+M"


class MainWindow(QMainWindow):
    def __init__(
        self,
        bridge: EngineBridge,
        *,
        book: CallBook | None = None,
        account: str = "",
        dnd: bool = False,
        auto_answer_s: float | None = None,
        agent_options: AgentSection | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.book = book if book is not None else CallBook.following(bridge, self)
        opts = agent_options or AgentSection()
        self.agent = st.AgentState(opts.wrap_up_s)
        self.book.agent_state = lambda: self.agent.state  # a refused call's state then
        self.agent_name = account.split("@")[0]
        self.state_bar = AgentStateBar(self.agent, opts.not_ready_reasons, opts.break_reasons, self)
        self.recording = RecordingIndicator(self)
        self.recorder_controls = RecorderControls(self.recording, self.current_call_id,
                                                  self.show_error, self)  # fmt: skip
        self.recorder: RecorderLink | None = None
        self.uploads: UploadQueue | None = None
        self._engine_running = False
        self._dnd_sent = dnd
        self._auto_delay = auto_answer_s if auto_answer_s is not None else 1.0
        self.setWindowTitle(self.tr("AgentDesk softphone"))
        self.problems = QLabel(self)
        self.problems.setObjectName("problemsLabel")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #a00000;")
        self.problems.hide()
        self.store_problem = QLabel(self)  # what is wrong with the store or the token
        self.store_problem.setObjectName("storeProblem")
        self.store_problem.setWordWrap(True)
        self.store_problem.setStyleSheet("color: #a00000; font-weight: bold;")
        self.store_problem.hide()
        self.who_line = QLabel(self)  # for users without the softphone: who they are, what to do
        self.who_line.setObjectName("whoLine")
        self.who_line.setWordWrap(True)
        self.who_line.hide()
        self.demo_line = QLabel(self)
        self.demo_line.hide()
        self.watched_line = QLabel(self.tr("Screen watched: a supervisor sees your screen"), self)
        self.watched_line.setObjectName("screenWatched")
        self.watched_line.setStyleSheet("color: #a05000; font-weight: bold;")
        self.watched_line.hide()
        self.banner = IncomingBanner(self)
        self.registration = RegistrationLine(self)
        self.registration.set_account(account)
        self.audio_line = AudioModeLine(self)
        self.dnd = QCheckBox(self.tr("Do not disturb"), self)
        self.dnd.setChecked(dnd)
        self.auto_answer = QCheckBox(self.tr("Auto-answer"), self)
        self.auto_answer.setChecked(auto_answer_s is not None)
        self.calls = CallList(self.book, self)
        self.controls = CallControls(self.book, self)
        self.dial = DialPanel(self)
        self.call_actions = CallActions(
            self, bridge, self.book, self.calls, self.controls, self.dial
        )
        self._build_layout()
        self._build_menu()
        self.tray = Tray(self, self.state_bar.menu)
        self._connect()
        self._agent_changed(None)
        self.desk = DeskLayout(self)  # size, place and the View menu's layouts

    def _build_layout(self) -> None:
        toggles = QHBoxLayout()
        toggles.addWidget(self.dnd)
        toggles.addWidget(self.auto_answer)
        toggles.addStretch(1)
        body = QVBoxLayout()
        for widget in (self.problems, self.store_problem, self.who_line, self.demo_line,
                       self.state_bar, self.banner):  # fmt: skip
            body.addWidget(widget)
        for line in (self.registration, self.recording, self.watched_line, self.audio_line):
            body.addWidget(line)
        body.addLayout(toggles)
        body.addWidget(self.calls, 1)
        body.addWidget(self.controls)
        body.addWidget(self.dial)
        central = QWidget(self)
        central.setLayout(body)
        self.setCentralWidget(central)
        self.statusBar()

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&Phone"))
        self._phone_menu = menu
        devices = QAction(self.tr("Sound &devices…"), self)
        devices.triggered.connect(self.open_audio_dialog)
        menu.addAction(devices)
        self._quit_separator = menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)
        call_menu = self.menuBar().addMenu(self.tr("&Call"))
        texts = {
            "answer": self.tr("&Answer"),
            "hangup": self.tr("&Hang up"),
            "hold": self.tr("H&old / resume"),
            "mute": self.tr("&Mute / unmute"),
        }
        self.shortcut_actions: dict[str, QAction] = {}
        for name, text in texts.items():
            action = QAction(text, self)
            action.setShortcut(QKeySequence(SHORTCUTS[name]))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            action.triggered.connect(lambda _=False, n=name: self.call_actions.shortcut(n))
            call_menu.addAction(action)
            self.shortcut_actions[name] = action
        self.addActions(list(self.shortcut_actions.values()))

    # --- extension points for other features ---------------------------------------------
    def add_side_panel(self, widget: QWidget, title: str) -> QDockWidget:
        """Dock ``widget`` at the right side under ``title`` (CRM card, supervisor view…)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"sidePanel{len(self.findChildren(QDockWidget))}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        docks = [d for d in self.findChildren(QDockWidget) if d is not dock]
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if docks:
            self.tabifyDockWidget(docks[-1], dock)
        self.desk.panel_added(dock)
        return dock

    def add_menu_action(self, menu_name: str, action: QAction) -> QMenu:
        """Put ``action`` in the menu titled ``menu_name`` (made on first use), before Quit."""
        bar = self.menuBar()
        wanted = menu_name.replace("&", "")
        menus = [m for a in bar.actions() if isinstance(m := a.menu(), QMenu)]
        menu = next((m for m in menus if m.title().replace("&", "") == wanted), None)
        if menu is None:
            menu = bar.addMenu(menu_name)
        if menu is self._phone_menu:
            menu.insertAction(self._quit_separator, action)
        else:
            menu.addAction(action)
        return menu

    def _connect(self) -> None:
        b = self.bridge
        b.sip_event.connect(self.on_event)
        b.error.connect(self.show_error)
        b.start_failed.connect(self.registration.show_offline)
        self.dnd.toggled.connect(lambda _on: self._apply_dnd())
        self.auto_answer.toggled.connect(
            lambda on: b.set_auto_answer(self._auto_delay if on else None)
        )
        self.calls.selected.connect(self.controls.show_call)
        self.agent.subscribe(self._agent_changed)
        self.tray.show_requested.connect(self.notify_incoming)
        self.banner.answer.connect(b.answer)
        self.banner.reject.connect(b.reject)
        self.dial.call_requested.connect(b.make_call)
        self.book.added.connect(self._call_added)
        for signal in (self.book.added, self.book.changed, self.book.ended):
            signal.connect(self._calls_changed)
        self.book.ended.connect(self._call_ended)

    # --- engine events -------------------------------------------------------------------
    @Slot(object)
    def on_event(self, event: ev.Event) -> None:
        assert_gui_thread()
        if isinstance(event, ev.EngineStarted | ev.EngineStopped):
            self._engine_running = isinstance(event, ev.EngineStarted)
        self.agent.on_event(event)
        if isinstance(event, ev.RegistrationChanged):
            self.registration.update_state(event)
        elif isinstance(event, ev.AudioDevicesChanged | ev.EngineStarted):
            self.audio_line.update_devices(event)
        elif isinstance(event, ev.EngineStopped):
            self.registration.show_offline(self.tr("the softphone has stopped"))
        elif isinstance(event, ev.EngineError):
            self.show_error(
                self.tr("Softphone error (%1): %2")
                .replace("%1", event.where)
                .replace("%2", event.message)
            )
        elif isinstance(event, ev.IncomingCallRejected):
            text = self.tr("A call from %1 was refused: %2").replace("%1", event.number)
            self.show_error(text.replace("%2", f"{event.code} {event.reason}"))
        elif isinstance(event, ev.TransferProgress) and event.final:
            ok = self.tr("Transfer completed")
            failed = self.tr("Transfer failed: %1").replace("%1", f"{event.code} {event.reason}")
            self.show_error(ok if event.succeeded else failed)

    # --- the call model ------------------------------------------------------------------
    @Slot(object)
    def _call_added(self, call: Call) -> None:
        if call.ringing:
            self.notify_incoming()
            self.tray.notify(self.tr("Incoming call"), call.label())

    @Slot(object)
    def _calls_changed(self, _call: Call) -> None:
        self.banner.show_call(next(iter(self.book.ringing()), None))
        self.recording.set_in_call(bool(self.book.rows))

    @Slot(object)
    def _call_ended(self, call: Call) -> None:
        if call.ending is not None and call.ending.ended_by == "failed":
            cause = f"{call.ending.cause_code} {call.ending.cause_reason}"
            self.show_error(self.tr("The call failed: %1").replace("%1", cause))

    def notify_incoming(self) -> None:
        """Bring the window forward (a ringing call, or the tray icon was clicked)."""
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()
        QApplication.alert(self)

    # --- operator actions ----------------------------------------------------------------
    def current_call_id(self) -> str:
        """The call consent and marks are about: the selected one, else the first answered."""
        selected = self.calls.selected_call_id()
        if selected in self.book.rows:
            return selected
        answered = [r.call_id for r in self.book.rows.values() if r.state == "confirmed"]
        return answered[0] if answered else ""

    # --- agent state -----------------------------------------------------------------------
    def _agent_changed(self, change: st.StateChange | None) -> None:
        """A new agent state: tray, DND, the calls' wrap-up when the operator's is over, the
        store."""
        self.tray.show_state(self.state_bar.text(), COLOURS.get(self.agent.state, "#000000"))
        self._apply_dnd()
        if change is None:
            return
        if change.state not in (st.ON_CALL, st.WRAP_UP):
            self.book.finish_wrap_ups(change.at_us)
        self._report_state(change)

    def _report_state(self, change: st.StateChange) -> None:
        if self.uploads is None or not self.agent_name:
            return
        if change.state not in STORE_STATES:
            return  # the store has no such state yet (on_call): the call records cover it
        self.uploads.agent_state(self.agent_name, change.state, change.reason, change.at_us)

    def _apply_dnd(self) -> None:
        """The softphone refuses calls when the operator asked so or the state offers none."""
        want = self.dnd.isChecked() or not self.agent.offers_calls
        if want != self._dnd_sent and self._engine_running:
            self._dnd_sent = want
            self.bridge.set_dnd(want)

    # --- recorder and uploads --------------------------------------------------------------
    def attach_recorder(self, link: RecorderLink | None, note: str = "") -> None:
        """Show ``link``'s recording state and give it the pause/consent/mark buttons."""
        self.recorder = link
        self.recorder_controls.attach(link, note)

    def attach_uploads(self, uploads: UploadQueue) -> None:
        """Send agent states through ``uploads`` and show its backlog; the current state first."""
        self.uploads = uploads
        uploads.status_changed.connect(self.recording.show_backlog)
        a = self.agent
        self._report_state(st.StateChange(a.state, a.reason, a.since_us, a.state))

    def open_audio_dialog(self) -> None:
        line = self.audio_line
        current = (line.mic, line.speaker, line.ring)
        devices = self.bridge.list_devices  # the engine process's devices, asked off the UI thread
        dialog = AudioDevicesDialog(self.bridge.levels, current, self, lambda: devices().result(20))
        if dialog.exec():
            self.bridge.set_audio_devices(*dialog.choice())

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the app takes the operator offline (and tells the store)."""
        self.agent.go_offline()
        self.tray.hide()
        super().closeEvent(event)

    # --- messages ------------------------------------------------------------------------
    @Slot(str)
    def show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MS)

    def show_problems(self, problems: list[str], offline: bool) -> None:
        """Settings problems at the top of the window; ``offline`` = the safe state."""
        if problems:
            head = self.tr("Problems in the settings file:")
            self.problems.setText("\n".join([head, *problems]))
            self.problems.show()
        if offline:
            self.registration.show_offline(self.tr("fix the settings file and restart"))

    @Slot(str)
    def show_store_problem(self, text: str) -> None:
        """What is wrong between this desktop and the store, and what to do ('' hides it)."""
        self.store_problem.setText(text)
        self.store_problem.setVisible(bool(text))

    def show_softphone(self, shown: bool, note: str = "") -> None:
        """Users who take no calls (QA, supervisors without a SIP account) see no softphone:
        no call controls, dial pad, registration line, call toggles, agent state or recording
        line; ``note`` says who they are and where their work is."""
        for widget in (self.state_bar, self.registration, self.audio_line, self.dnd,
                       self.auto_answer, self.calls, self.controls, self.dial,
                       self.recording):  # fmt: skip
            widget.setVisible(shown)
        self.who_line.setText(note)
        self.who_line.setVisible(bool(note) and not shown)

    def show_demo(self, interval_s: float) -> None:
        text = self.tr("Demo mode: a simulated caller rings about every %1 s; answer to talk.")
        self.demo_line.setText(text.replace("%1", str(round(interval_s))))
        self.demo_line.show()

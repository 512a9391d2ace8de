"""The operator's softphone window: composes the small widgets and routes engine events."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from desktop.calls import CallBook, actions
from desktop.engine_bridge import EngineBridge
from desktop.threads import assert_gui_thread
from desktop.widgets.audio_dialog import AudioDevicesDialog
from desktop.widgets.call_list import CallList
from desktop.widgets.dial_pad import DialPanel
from desktop.widgets.incoming_banner import IncomingBanner
from desktop.widgets.status_lines import AudioModeLine, RegistrationLine
from sip import events as ev

STATUS_MS = 15000


class MainWindow(QMainWindow):
    def __init__(
        self,
        bridge: EngineBridge,
        *,
        account: str = "",
        dnd: bool = False,
        auto_answer_s: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.book = CallBook()
        self._auto_delay = auto_answer_s if auto_answer_s is not None else 1.0
        self.setWindowTitle(self.tr("AgentDesk softphone"))
        self.problems = QLabel(self)
        self.problems.setObjectName("problemsLabel")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #a00000;")
        self.problems.hide()
        self.demo_line = QLabel(self)
        self.demo_line.hide()
        self.banner = IncomingBanner(self)
        self.registration = RegistrationLine(self)
        self.registration.set_account(account)
        self.audio_line = AudioModeLine(self)
        self.dnd = QCheckBox(self.tr("Do not disturb"), self)
        self.dnd.setChecked(dnd)
        self.auto_answer = QCheckBox(self.tr("Auto-answer"), self)
        self.auto_answer.setChecked(auto_answer_s is not None)
        self.calls = CallList(self.book, self)
        self.dial = DialPanel(self)
        self._build_layout()
        self._build_menu()
        self._connect()
        self.resize(720, 560)

    def _build_layout(self) -> None:
        toggles = QHBoxLayout()
        toggles.addWidget(self.dnd)
        toggles.addWidget(self.auto_answer)
        toggles.addStretch(1)
        body = QVBoxLayout()
        for widget in (self.problems, self.demo_line, self.banner, self.registration):
            body.addWidget(widget)
        body.addWidget(self.audio_line)
        body.addLayout(toggles)
        body.addWidget(self.calls, 1)
        body.addWidget(self.dial)
        central = QWidget(self)
        central.setLayout(body)
        self.setCentralWidget(central)
        self.statusBar()

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&Phone"))
        devices = QAction(self.tr("Sound &devices…"), self)
        devices.triggered.connect(self.open_audio_dialog)
        menu.addAction(devices)
        menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)

    def _connect(self) -> None:
        b = self.bridge
        b.sip_event.connect(self.on_event)
        b.error.connect(self.show_error)
        b.dialled.connect(self._dialled)
        b.mute_changed.connect(self._mute_changed)
        b.start_failed.connect(self.registration.show_offline)
        self.dnd.toggled.connect(b.set_dnd)
        self.auto_answer.toggled.connect(
            lambda on: b.set_auto_answer(self._auto_delay if on else None)
        )
        self.calls.action.connect(self.on_call_action)
        self.banner.answer.connect(b.answer)
        self.banner.reject.connect(b.reject)
        self.dial.call_requested.connect(b.make_call)
        self.dial.key_pressed.connect(self.on_key)

    # --- engine events -------------------------------------------------------------------
    @Slot(object)
    def on_event(self, event: ev.Event) -> None:
        assert_gui_thread()
        if self.book.apply(event):
            self.calls.refresh()
            self.banner.show_call(next(iter(self.book.ringing()), None))
        if isinstance(event, ev.IncomingCall):
            self.notify_incoming()
        elif isinstance(event, ev.RegistrationChanged):
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
        elif isinstance(event, ev.CallEnded) and event.record.get("ended_by") == "failed":
            cause = f"{event.record.get('cause_code')} {event.record.get('cause_reason')}"
            self.show_error(self.tr("The call failed: %1").replace("%1", cause))

    def notify_incoming(self) -> None:
        """Bring the window forward for a ringing call (there is no tray icon)."""
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()
        QApplication.alert(self)

    @Slot(str, str)
    def _dialled(self, call_id: str, target: str) -> None:
        self.book.dialled(call_id, target)
        self.calls.refresh()

    @Slot(str, bool)
    def _mute_changed(self, call_id: str, muted: bool) -> None:
        self.book.set_muted(call_id, muted)
        self.calls.refresh()

    # --- operator actions ----------------------------------------------------------------
    @Slot(str, str)
    def on_call_action(self, name: str, call_id: str) -> None:
        b = self.bridge
        row = self.book.get(call_id)
        if name == "mute" and row is not None:
            b.set_mute(call_id, not row.muted)
            self.calls.refresh()  # the button shows the real state until the engine confirms
        elif name == "transfer":
            target = self.ask_transfer_target()
            if target:
                b.transfer_blind(call_id, target)
        elif name == "attended":
            consult = self.ask_consult_call(call_id)
            if consult:
                b.transfer_attended(call_id, consult)
        elif name in ("answer", "reject", "hangup", "hold", "resume"):
            getattr(b, name)(call_id)

    def ask_transfer_target(self) -> str:
        text, ok = QInputDialog.getText(
            self, self.tr("Transfer"), self.tr("Transfer the call to (number or SIP address):")
        )
        return text.strip() if ok else ""

    def ask_consult_call(self, call_id: str) -> str:
        candidates = self.book.consult_candidates(call_id)
        labels = [f"{c.number} {c.display_name}".strip() for c in candidates]
        if not labels:
            return ""
        label, ok = QInputDialog.getItem(
            self,
            self.tr("Attended transfer"),
            self.tr("Connect the caller with:"),
            labels,
            0,
            False,
        )
        return candidates[labels.index(label)].call_id if ok and label in labels else ""

    @Slot(str)
    def on_key(self, key: str) -> None:
        """During a call a key sends DTMF; otherwise it goes into the dial field."""
        call_id = self.calls.selected_call_id()
        if "dtmf" in actions(self.book.get(call_id), self.book):
            self.bridge.send_dtmf(call_id, key)
        else:
            self.dial.append(key)

    def open_audio_dialog(self) -> None:
        line = self.audio_line
        dialog = AudioDevicesDialog(self.bridge.levels, (line.mic, line.speaker, line.ring), self)
        if dialog.exec():
            self.bridge.set_audio_devices(*dialog.choice())

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

    def show_demo(self, interval_s: float) -> None:
        text = self.tr("Demo mode: a simulated caller rings about every %1 s; answer to talk.")
        self.demo_line.setText(text.replace("%1", str(round(interval_s))))
        self.demo_line.show()

"""Listen, whisper, barge: the supervisor picks an agent on the board and a mode; the store
opens a monitoring session (audited, delivered to the agent's desktop) and this desktop's
softphone calls the agent's with the session's id. The mode can change during the session;
Stop revokes it. Store calls run off the UI thread. The store's ``monitor.session`` events
(the live channel) keep the controls in step with the session: mixed in, its mode changed
elsewhere, ended or refused with the reason."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, cast

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.threads import assert_gui_thread, run_in_thread, when_done
from sip import events as ev
from store.client import ConflictError, MonitorSession

log = logging.getLogger(__name__)
MODES = ("listen", "whisper", "barge")
Dial = Callable[[str, str], "Future[Any]"]  # (agent's SIP extension, session id)


class MonitorSource(Protocol):
    """What the controls need of ``store.client.StoreClient``."""

    def open_monitoring(self, agent: str, mode: Any, follow: bool = False) -> MonitorSession: ...
    def set_monitoring_mode(self, session_id: str, mode: Any) -> MonitorSession: ...
    def revoke_monitoring(self, session_id: str) -> MonitorSession: ...


class MonitorControls(QWidget):
    """A row of buttons under the board; ``pick()`` names the agent selected on it."""

    def __init__(
        self,
        source: MonitorSource,
        pick: Callable[[], str | None],
        dial: Dial | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.source, self.pick, self.dial = source, pick, dial
        self.session: MonitorSession | None = None
        self._busy = False
        names = {"listen": self.tr("Listen"), "whisper": self.tr("Whisper"),
                 "barge": self.tr("Barge in")}  # fmt: skip
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for mode in MODES:
            button = QPushButton(names[mode], self)
            button.setObjectName(f"monitor_{mode}")
            button.clicked.connect(lambda _=False, m=mode: self.choose(m))
            layout.addWidget(button)
            self.buttons[mode] = button
        self.follow = QCheckBox(self.tr("Follow to the next call"), self)
        layout.addWidget(self.follow)
        self.stop_button = QPushButton(self.tr("Stop"), self)
        self.stop_button.setObjectName("monitor_stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        layout.addWidget(self.stop_button)
        self.status = QLabel(self)
        self.status.setObjectName("monitorStatus")
        layout.addWidget(self.status, 1)

    def choose(self, mode: str) -> None:
        """Open a session on the picked agent in ``mode``, or change the open one's mode."""
        assert_gui_thread()
        if self._busy:
            return
        session = self.session
        if session is not None and session["agent"] == self.pick():
            sid = session["id"]
            self._ask(lambda: self.source.set_monitoring_mode(sid, mode), self._changed)
            return
        agent = self.pick()
        if not agent:
            self.status.setText(self.tr("Pick an agent on the board first"))
            return
        follow = self.follow.isChecked()
        if session is not None:  # another agent: the old session ends first
            old = session["id"]
            self._ask(lambda: (self.source.revoke_monitoring(old),
                               self.source.open_monitoring(agent, mode, follow))[1],
                      self._opened)  # fmt: skip
        else:
            self._ask(lambda: self.source.open_monitoring(agent, mode, follow), self._opened)

    def stop(self) -> None:
        assert_gui_thread()
        if self.session is None or self._busy:
            return
        sid = self.session["id"]
        self._ask(lambda: self.source.revoke_monitoring(sid), self._stopped)

    def _ask(
        self, call: Callable[[], MonitorSession], then: Callable[[MonitorSession], None]
    ) -> None:
        self._busy = True

        def done(future: Future[MonitorSession]) -> None:
            self._busy = False
            try:
                session = future.result()
            except Exception as exc:
                if isinstance(exc, ConflictError) and self.session is not None:
                    self._forget()  # it ended meanwhile (expired, hung up): the next click opens
                self.status.setText(self.tr("The store refused: %1").replace("%1", str(exc)))
                return
            then(session)

        run_in_thread(call, done)

    def _opened(self, session: MonitorSession) -> None:
        self.session = session
        self.stop_button.setEnabled(True)
        self._describe(session)
        if self.dial is None:
            return
        try:
            when_done(self.dial(session["agent_sip"], session["id"]), self._dialled)
        except Exception as exc:
            self._dialled_failed(exc)

    def _dialled(self, future: Future[Any]) -> None:
        exc = future.exception()
        if exc is not None:
            self._dialled_failed(exc)

    def _dialled_failed(self, exc: BaseException) -> None:
        log.warning("monitoring: cannot call the agent: %s", exc)
        self.status.setText(self.tr("Cannot call the agent: %1").replace("%1", str(exc)))

    def _changed(self, session: MonitorSession) -> None:
        self.session = session
        self._describe(session)

    def _stopped(self, session: MonitorSession) -> None:
        self._forget()
        self.status.setText(self.tr("Stopped"))

    def on_engine_event(self, event: ev.Event) -> None:
        """This softphone's monitoring call ended: the session is over for this desktop."""
        session = self.session
        if (
            isinstance(event, ev.MonitorEnded)
            and event.role == "supervisor"
            and session is not None
            and event.session_id == session["id"]
        ):
            self._forget()
            text = self.tr("The monitoring call ended: %1")
            self.status.setText(text.replace("%1", event.reason))

    def on_live_event(self, event: dict[str, Any]) -> None:
        """The live channel's event: the state of this desktop's session as the store has it."""
        assert_gui_thread()
        mine = self.session
        if event.get("type") != "monitor.session" or mine is None:
            return
        session = event.get("session")
        if not isinstance(session, dict) or session.get("id") != mine["id"]:
            return
        state, reason = session.get("state"), session.get("reason") or ""
        if state in ("open", "active"):
            self.session = cast(MonitorSession, session)
            self._describe(self.session)
            if state == "active":
                self.status.setText(self.tr("Connected: %1").replace("%1", self.status.text()))
            return
        self._forget()
        text = (
            self.tr("The agent's desktop refused the session: %1")
            if state == "rejected"
            else self.tr("The session ended: %1")
        )
        self.status.setText(text.replace("%1", reason or str(state)))

    def _forget(self) -> None:
        self.session = None
        self.stop_button.setEnabled(False)

    def _describe(self, session: MonitorSession) -> None:
        words = {"listen": self.tr("Listening to %1"), "whisper": self.tr("Whispering to %1"),
                 "barge": self.tr("In the call of %1")}  # fmt: skip
        text = words[session["mode"]].replace("%1", session["agent"])
        if self.dial is None:  # no softphone here: say what to dial
            text += " — " + self.tr("dial %1 with header X-AgentDesk-Monitor: %2").replace(
                "%1", session["agent_sip"]
            ).replace("%2", session["id"])
        self.status.setText(text)

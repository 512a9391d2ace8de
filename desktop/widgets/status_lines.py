"""One-line status labels: SIP registration (with a retry countdown) and the audio mode."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from sip import events as ev


class RegistrationLine(QLabel):
    """State, SIP code and reason of the account's registration; counts down to a retry."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("registrationLine")
        self.account = ""
        self._last: ev.RegistrationChanged | None = None
        self._retry_at = 0.0
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._render)
        self.setText(self.tr("Starting the softphone…"))

    def set_account(self, account: str) -> None:
        self.account = account
        self._render()

    def show_offline(self, why: str) -> None:
        """No engine or no account (e.g. the settings file has errors)."""
        self._tick.stop()
        self.setText(self.tr("Not connected: %1").replace("%1", why))

    def update_state(self, event: ev.RegistrationChanged) -> None:
        self._last = event
        if event.state == "failed" and event.retry_in_s > 0:
            self._retry_at = time.monotonic() + event.retry_in_s
            self._tick.start()
        else:
            self._tick.stop()
        self._render()

    def _render(self) -> None:
        e = self._last
        if e is None:
            return
        code = f"{e.code} {e.reason}".strip() if e.code else e.reason
        if e.state == "registering":
            text = self.tr("Registering…")
        elif e.state == "registered":
            text = self.tr("Registered (%1), renewed every %2 s").replace("%1", code)
            text = text.replace("%2", str(e.expires))
        elif e.state == "failed":
            left = max(0, round(self._retry_at - time.monotonic()))
            if e.retry_in_s > 0 and left > 0:
                text = self.tr("Registration failed: %1; retrying in %2 s").replace("%1", code)
                text = text.replace("%2", str(left))
            else:
                text = self.tr("Registration failed: %1; retrying now").replace("%1", code)
        elif e.code == 0:
            text = self.tr("Registration off: calls come straight to this computer")
        else:
            text = self.tr("Not registered (%1)").replace("%1", code)
        self.setText(f"{self.account}: {text}" if self.account else text)


class AudioModeLine(QLabel):
    """Which sound devices calls use, or that there are none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioModeLine")
        self.mic = self.speaker = self.ring = ""

    def update_devices(self, event: ev.AudioDevicesChanged | ev.EngineStarted) -> None:
        if isinstance(event, ev.AudioDevicesChanged):
            self.mic, self.speaker, self.ring = event.mic, event.speaker, event.ring
            mode = event.mode
        else:
            mode = event.audio
        if mode == "null":
            self.setText(self.tr("No sound device: calls run without audio"))
        elif mode == "failed":
            self.setText(self.tr("The sound device did not open: this call runs without audio"))
        elif isinstance(event, ev.AudioDevicesChanged):
            default = self.tr("none")
            text = self.tr("Sound: microphone %1, speaker %2")
            self.setText(
                text.replace("%1", self.mic or default).replace("%2", self.speaker or default)
            )

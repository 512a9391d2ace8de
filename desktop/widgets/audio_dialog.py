"""Choosing the microphone, speaker and ring device, with live level meters."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QWidget,
)

from desktop.threads import run_in_thread
from sip.audio import AudioDevice, list_devices

FLOOR_DBFS = -60


class AudioDevicesDialog(QDialog):
    """Lists devices off the UI thread (PortAudio can be slow to answer); ``choice()`` after
    ``accept`` gives (mic, speaker, ring) names, '' meaning the system default.
    """

    def __init__(
        self,
        levels: Callable[[], tuple[float, float]],
        current: tuple[str, str, str] = ("", "", ""),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sound devices"))
        self._levels = levels
        self._current = current
        self.mic, self.speaker, self.ring = QComboBox(self), QComboBox(self), QComboBox(self)
        for combo in (self.mic, self.speaker, self.ring):
            combo.addItem(self.tr("System default"), "")
        self.status = QLabel(self.tr("Looking for sound devices…"), self)
        self.mic_meter, self.speaker_meter = QProgressBar(self), QProgressBar(self)
        for meter in (self.mic_meter, self.speaker_meter):
            meter.setRange(0, -FLOOR_DBFS)
            meter.setFormat("%v")
            meter.setTextVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Microphone"), self.mic)
        form.addRow(self.tr("Speaker"), self.speaker)
        form.addRow(self.tr("Ringing"), self.ring)
        form.addRow(self.tr("Microphone level"), self.mic_meter)
        form.addRow(self.tr("Speaker level"), self.speaker_meter)
        form.addRow(self.status)
        form.addRow(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._show_levels)
        self._timer.start()
        run_in_thread(list_devices, self._devices_listed)

    def _devices_listed(self, future: Future[list[AudioDevice]]) -> None:
        devices = future.result() if future.exception() is None else []
        if not devices:
            self.status.setText(self.tr("No sound device: calls run without audio"))
            return
        self.status.setText(self.tr("%1 sound devices found").replace("%1", str(len(devices))))
        wanted = dict(zip((self.mic, self.speaker, self.ring), self._current, strict=True))
        for device in devices:
            label = f"{device.name} ({device.host_api})"
            if device.inputs:
                self.mic.addItem(label, device.name)
            if device.outputs:
                self.speaker.addItem(label, device.name)
                self.ring.addItem(label, device.name)
        for combo, name in wanted.items():
            index = combo.findData(name)
            combo.setCurrentIndex(max(index, 0))

    def _show_levels(self) -> None:
        mic, speaker = self._levels()
        self.mic_meter.setValue(int(max(FLOOR_DBFS, min(0.0, mic)) - FLOOR_DBFS))
        self.speaker_meter.setValue(int(max(FLOOR_DBFS, min(0.0, speaker)) - FLOOR_DBFS))

    def choice(self) -> tuple[str, str, str]:
        return (
            str(self.mic.currentData()),
            str(self.speaker.currentData()),
            str(self.ring.currentData()),
        )

    def done(self, result: int) -> None:
        self._timer.stop()
        super().done(result)

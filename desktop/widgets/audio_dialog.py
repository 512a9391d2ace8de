"""Choosing the microphone, speaker and ring device, with live level meters and a test tone."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from desktop.threads import run_in_thread
from sip.devices import AudioDevice, find_device, list_devices, portaudio_problem

FLOOR_DBFS = -60
TONE_HZ, TONE_S, TONE_RATE = 440, 1.0, 48000


def play_test_tone(device: str) -> str:
    """Play a short 440 Hz tone on the output ``device`` ('' = default); blocks until played.

    Returns the device's name; raises RuntimeError saying why no tone could be played.
    """
    problem = portaudio_problem()
    if problem:
        raise RuntimeError(problem)
    index = find_device(device, output=True)
    if index is None:
        raise RuntimeError(f"no output device {device!r}" if device else "no output device")
    import sounddevice as sd

    t = np.arange(int(TONE_RATE * TONE_S)) / TONE_RATE
    tone = (0.2 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
    sd.play(tone, TONE_RATE, device=index, blocking=True)
    return str(sd.query_devices(index)["name"])


class AudioDevicesDialog(QDialog):
    """Lists devices off the UI thread (PortAudio can be slow to answer) — those the engine's
    process sees when ``devices`` asks it, else this process's; ``choice()`` after ``accept``
    gives (mic, speaker, ring) names, '' meaning the system default.
    """

    def __init__(
        self,
        levels: Callable[[], tuple[float, float]],
        current: tuple[str, str, str] = ("", "", ""),
        parent: QWidget | None = None,
        devices: Callable[[], list[AudioDevice]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sound devices"))
        self._levels = levels
        self._current = current
        self.mic, self.speaker, self.ring = QComboBox(self), QComboBox(self), QComboBox(self)
        for combo in (self.mic, self.speaker, self.ring):
            combo.addItem(self.tr("System default"), "")
        self.status = QLabel(self.tr("Looking for sound devices…"), self)
        self.tone_button = QPushButton(self.tr("Play a test tone"), self)
        self.tone_button.clicked.connect(self.play_tone)
        self.tone_status = QLabel(self)
        self.tone_status.setWordWrap(True)
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
        form.addRow(self.tone_button, self.tone_status)
        form.addRow(self.status)
        form.addRow(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._show_levels)
        self._timer.start()
        run_in_thread(devices or list_devices, self._devices_listed)

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

    def play_tone(self) -> None:
        """Play the test tone on the chosen speaker, off the UI thread."""
        self.tone_button.setEnabled(False)
        self.tone_status.setText(self.tr("Playing…"))
        device = str(self.speaker.currentData())
        run_in_thread(lambda: play_test_tone(device), self._tone_played)

    def _tone_played(self, future: Future[str]) -> None:
        self.tone_button.setEnabled(True)
        exc = future.exception()
        if exc is None:
            text = self.tr("A tone was played on %1: did you hear it?")
            self.tone_status.setText(text.replace("%1", future.result()))
        else:
            text = self.tr("No test tone: %1")
            self.tone_status.setText(text.replace("%1", str(exc) or type(exc).__name__))

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

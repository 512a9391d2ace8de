"""The QA player: the operator's screen, transport (play/pause, seek, 0.5–2× speed), channel
balance (operator ↔ customer), the timeline strip and the call's events to jump to. It shows
what a :class:`PlaybackSession` decodes; nothing here waits on the network or a decoder."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.qa.event_names import mark_text
from desktop.qa.playback.clock import SPEEDS
from desktop.qa.playback.session import PlaybackSession
from desktop.qa.playback.timeline import CallTimeline
from desktop.qa.timeline_strip import TimelineStrip
from desktop.threads import assert_gui_thread

TICK_MS = 40
SILENCE_EVERY_TICKS = 50


def clock_text(ms: int) -> str:
    s = ms // 1000
    return f"{s // 60:02d}:{s % 60:02d}.{ms % 1000 // 100}"


class PlayerWidget(QWidget):
    """Plays one session; ``position_changed(ms)`` while it runs."""

    position_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: PlaybackSession | None = None
        self._shown_utc: int | None = None
        self._ticks = 0
        self.surface = QLabel(self.tr("No call loaded"))
        self.surface.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.surface.setMinimumSize(320, 180)
        self.surface.setStyleSheet("background: #111; color: #ddd;")
        self.play_button = QPushButton(self.tr("Play"))
        self.play_button.clicked.connect(self.toggle)
        self.position_label = QLabel("00:00.0 / 00:00.0")
        self.speed = QComboBox()
        for speed in SPEEDS:
            self.speed.addItem(f"{speed:g}×", speed)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(self._speed_changed)
        self.balance = QSlider(Qt.Orientation.Horizontal)
        self.balance.setRange(-100, 100)
        self.balance.setToolTip(self.tr("Balance: operator (left) … customer (right)"))
        self.balance.valueChanged.connect(self._balance_changed)
        self.timeline = TimelineStrip()
        self.timeline.seek_requested.connect(self.seek)
        self.events = QListWidget()
        self.events.itemActivated.connect(self._event_chosen)
        self.events.itemClicked.connect(self._event_chosen)
        self.status = QLabel("")

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.position_label)
        controls.addStretch(1)
        controls.addWidget(QLabel(self.tr("Speed")))
        controls.addWidget(self.speed)
        controls.addWidget(QLabel(self.tr("Operator")))
        controls.addWidget(self.balance)
        controls.addWidget(QLabel(self.tr("Customer")))
        split = QSplitter()
        split.addWidget(self.surface)
        split.addWidget(self.events)
        split.setStretchFactor(0, 4)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.timeline)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    # --- session ---------------------------------------------------------------------------
    def set_session(self, session: PlaybackSession) -> None:
        assert_gui_thread()
        self.close_session()
        self.session = session
        self.show_timeline(session.timeline)
        self.status.setText(
            self.tr("Playing silently: {0}").format(session.sound_problem)
            if session.sound_problem
            else ""
        )
        self._timer.start()

    def show_timeline(self, timeline: CallTimeline) -> None:
        """The strip and the list of events to jump to, in the UI's language."""
        self.timeline.set_timeline(timeline)
        self.events.clear()
        for mark in timeline.marks:
            at = clock_text(timeline.position_ms(mark.at_us))
            item = QListWidgetItem(f"{at}  {mark_text(mark.kind, mark.label)}")
            item.setData(Qt.ItemDataRole.UserRole, mark.at_us)
            self.events.addItem(item)
        total = clock_text(timeline.duration_ms)
        self.position_label.setText(f"{clock_text(0)} / {total}")

    def close_session(self) -> None:
        self._timer.stop()
        if self.session is not None:
            self.session.close()
            self.session = None

    def position_ms(self) -> int:
        return self.session.position_ms() if self.session is not None else 0

    # --- transport -------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.session is None:
            return
        if self.session.clock.playing:
            self.session.pause()
        else:
            self.session.play()
        self._sync_button()

    def seek(self, utc_us: int) -> None:
        if self.session is not None:
            self.session.seek(int(utc_us))
            self._tick()

    def _event_chosen(self, item: QListWidgetItem) -> None:
        self.seek(int(item.data(Qt.ItemDataRole.UserRole)))

    def _speed_changed(self) -> None:
        if self.session is not None:
            self.session.set_speed(float(self.speed.currentData()))

    def _balance_changed(self, value: int) -> None:
        if self.session is not None:
            self.session.set_balance(value / 100.0)

    def _sync_button(self) -> None:
        playing = self.session is not None and self.session.clock.playing
        self.play_button.setText(self.tr("Pause") if playing else self.tr("Play"))

    def _tick(self) -> None:
        session = self.session
        if session is None:
            return
        if session.clock.playing and session.at_end:
            session.pause()
            self._sync_button()
        utc = session.position_us()
        self.timeline.set_position(utc)
        total = session.timeline.duration_ms
        self.position_label.setText(f"{clock_text(session.position_ms())} / {clock_text(total)}")
        self.position_changed.emit(session.position_ms())
        self._ticks += 1
        if self._ticks % SILENCE_EVERY_TICKS == 1:
            self.timeline.set_extra_bands(session.silence())
        frame = session.frame()
        if frame is not None and frame.utc_us != self._shown_utc:
            self._shown_utc = frame.utc_us
            h, w = frame.rgb.shape[:2]
            image = QImage(frame.rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
            self.surface.setPixmap(
                QPixmap.fromImage(image).scaled(
                    self.surface.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._shown_utc = None  # re-scale the picture on the next tick
        super().resizeEvent(event)

"""The call's timeline strip: masked, hold and silence bands, event ticks (ring, answer, hold,
transfer, DTMF, card changes, hang-up), the playback cursor; a click seeks (snapping to an
event tick within a few pixels)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QToolTip, QWidget

from desktop.qa.event_names import mark_text
from desktop.qa.playback.timeline import Band, CallTimeline, Mark

BAND_COLOURS = {
    "masked": QColor(90, 90, 90),
    "hold": QColor(230, 150, 40),
    "silence": QColor(200, 215, 235),
}
MARK_COLOURS = {
    "ring": QColor(60, 120, 220),
    "answer": QColor(40, 170, 70),
    "hangup": QColor(200, 40, 40),
}
SNAP_PX = 5


class TimelineStrip(QWidget):
    """Emits ``seek_requested(utc_us)`` when clicked."""

    seek_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline: CallTimeline | None = None
        self.bands: list[Band] = []
        self.position_us = 0
        self.setMinimumHeight(36)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(600, 44)

    def set_timeline(self, timeline: CallTimeline, extra_bands: list[Band] | None = None) -> None:
        self.timeline = timeline
        self.bands = [*timeline.bands, *(extra_bands or [])]
        self.position_us = timeline.start_us
        self.update()

    def set_extra_bands(self, bands: list[Band]) -> None:
        if self.timeline is not None:
            self.bands = [*self.timeline.bands, *bands]
            self.update()

    def set_position(self, utc_us: int) -> None:
        self.position_us = utc_us
        self.update()

    # --- geometry --------------------------------------------------------------------------
    def x_of(self, utc_us: int) -> int:
        if self.timeline is None or self.timeline.end_us <= self.timeline.start_us:
            return 0
        span = self.timeline.end_us - self.timeline.start_us
        return round((utc_us - self.timeline.start_us) * (self.width() - 1) / span)

    def utc_at(self, x: int) -> int:
        if self.timeline is None:
            return 0
        span = self.timeline.end_us - self.timeline.start_us
        x = max(0, min(self.width() - 1, x))
        return self.timeline.start_us + round(x * span / max(1, self.width() - 1))

    def mark_near(self, x: int) -> Mark | None:
        if self.timeline is None:
            return None
        near = [(abs(self.x_of(m.at_us) - x), m) for m in self.timeline.marks]
        near = [n for n in near if n[0] <= SNAP_PX]
        return min(near, key=lambda n: n[0])[1] if near else None

    # --- events ----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.timeline is None or event.button() != Qt.MouseButton.LeftButton:
            return
        x = round(event.position().x())
        mark = self.mark_near(x)
        self.seek_requested.emit(mark.at_us if mark is not None else self.utc_at(x))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        mark = self.mark_near(round(event.position().x()))
        if mark is not None:
            text = mark_text(mark.kind, mark.label)
            QToolTip.showText(event.globalPosition().toPoint(), text, self)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            h = self.height()
            painter.fillRect(self.rect(), QColor(245, 245, 245))
            if self.timeline is None:
                return
            band_h = h // 2
            for band in self.bands:
                a, b = self.x_of(band.start_us), self.x_of(band.end_us)
                colour = BAND_COLOURS.get(band.kind, QColor(180, 180, 180))
                painter.fillRect(QRect(a, h - band_h, max(1, b - a), band_h), colour)
            for mark in self.timeline.marks:
                painter.setPen(MARK_COLOURS.get(mark.kind, QColor(110, 60, 160)))
                x = self.x_of(mark.at_us)
                painter.drawLine(QPoint(x, 0), QPoint(x, h - band_h))
            painter.setPen(QColor(0, 0, 0))
            x = self.x_of(self.position_us)
            painter.drawLine(QPoint(x, 0), QPoint(x, h))
        finally:
            painter.end()

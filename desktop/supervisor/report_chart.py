"""A bar chart drawn with QPainter (PySide6-Essentials has no QtCharts): one bar per report
row, e.g. calls per hour or the average handle time per day."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR = QColor("#3b78c2")
MARGIN = 24


class ReportChart(QWidget):
    """Bars for ``values`` under ``labels``; the tallest reaches the top of the plot area."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.values: list[float] = []
        self.title = ""
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, title: str, labels: list[str], values: list[float | None]) -> None:
        self.title = title
        self.labels = labels
        self.values = [v or 0.0 for v in values]
        self.update()

    def bar_rects(self) -> list[QRectF]:
        """Where each bar is drawn (also what tests check)."""
        if not self.values:
            return []
        top = max(self.values) or 1.0
        plot_w = self.width() - 2 * MARGIN
        plot_h = self.height() - 2 * MARGIN
        slot = plot_w / len(self.values)
        rects = []
        for i, value in enumerate(self.values):
            h = plot_h * max(0.0, value) / top
            x = MARGIN + i * slot + slot * 0.15
            rects.append(QRectF(x, MARGIN + plot_h - h, slot * 0.7, h))
        return rects

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), self.palette().base())
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRectF(0, 0, self.width(), MARGIN), Qt.AlignmentFlag.AlignCenter, self.title
            )
            base_y = self.height() - MARGIN
            painter.drawLine(MARGIN, base_y, self.width() - MARGIN, base_y)
            rects = self.bar_rects()
            step = max(1, len(rects) // 12)  # at most ~12 labels under the bars
            for i, rect in enumerate(rects):
                painter.fillRect(rect, BAR)
                if i % step == 0 and i < len(self.labels):
                    where = QRectF(rect.x() - 20, base_y + 2, rect.width() + 40, MARGIN - 4)
                    painter.drawText(where, Qt.AlignmentFlag.AlignCenter, self.labels[i])
            if self.values:
                painter.drawText(
                    QRectF(2, MARGIN, MARGIN * 4, 16),
                    Qt.AlignmentFlag.AlignLeft,
                    f"{max(self.values):.0f}",
                )
        finally:
            painter.end()

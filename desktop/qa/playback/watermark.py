"""The export's visible watermark ("who exported it and when", in the UI's language and local
time): text drawn once with Qt's QImage/QPainter into an RGBA array, then blended onto every
frame with numpy. Only this module of the playback package touches Qt (QtCore's translators,
QtGui, no widgets); it needs a Q(Gui)Application, which
``ensure_gui_app`` makes offscreen when none exists (tools and benchmarks)."""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt

Rgba = npt.NDArray[np.uint8]


def ensure_gui_app() -> None:
    """Fonts need a QGuiApplication; make an offscreen one if the process has none (a
    QApplication, so widgets can still come later in the same process)."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        QApplication([])


def watermark_text(user: str, at_us: int) -> str:
    """Who exported the call and when, in the UI's language and the exporter's local time
    with its offset from UTC (the file may be watched in another time zone)."""
    from PySide6.QtCore import QCoreApplication

    from desktop import i18n

    text = QCoreApplication.translate("Export", "Exported by %1 on %2")
    return text.replace("%1", user).replace("%2", i18n.local_time(at_us, zone=True))


def render_text(text: str, frame_width: int) -> Rgba:
    """``text`` in white on a half-transparent dark box, sized for a ``frame_width`` frame."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter

    ensure_gui_app()
    font = QFont()
    font.setPixelSize(max(12, frame_width // 50))
    font.setBold(True)
    metrics = QFontMetrics(font)
    pad = max(4, font.pixelSize() // 3)
    width = min(frame_width, metrics.horizontalAdvance(text) + 2 * pad)
    height = metrics.height() + 2 * pad
    image = QImage(width, height, QImage.Format.Format_RGBA8888)
    image.fill(QColor(0, 0, 0, 150))
    painter = QPainter(image)
    try:
        painter.setFont(font)
        painter.setPen(QColor(255, 255, 255, 255))
        painter.drawText(
            QRect(pad, pad, width - 2 * pad, height - 2 * pad), Qt.AlignmentFlag.AlignLeft, text
        )
    finally:
        painter.end()
    ptr = image.constBits()
    data = np.frombuffer(ptr, np.uint8, count=image.sizeInBytes())
    rows = data.reshape(height, image.bytesPerLine())[:, : width * 4]
    return rows.reshape(height, width, 4).copy()


def blend(rgb: npt.NDArray[np.uint8], overlay: Rgba, margin: int = 8) -> npt.NDArray[np.uint8]:
    """``overlay`` alpha-blended into the bottom-left corner of ``rgb`` (a new array)."""
    out = rgb.copy()
    h = min(overlay.shape[0], out.shape[0] - margin)
    w = min(overlay.shape[1], out.shape[1] - margin)
    if h <= 0 or w <= 0:
        return out
    y0 = out.shape[0] - margin - h
    region = out[y0 : y0 + h, margin : margin + w].astype(np.float32)
    ov = overlay[:h, :w].astype(np.float32)
    alpha = ov[:, :, 3:4] / 255.0
    region = region * (1.0 - alpha) + ov[:, :, :3] * alpha
    out[y0 : y0 + h, margin : margin + w] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
    return out

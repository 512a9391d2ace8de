"""The X screen of the whole-flow test as its user would look at it: the app's windows on the
screen the recorder records, grabbed live (mss) and in the recorded frames, by their place."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import mss
import numpy as np
import numpy.typing as npt
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from desktop.crm.panel import CrmPanel
from formats.clock import utc_us
from tests.integration.desktop_kit import private_display
from tests.servers.xvfb import XScreen

Rgb = npt.NDArray[np.uint8]


def app_screen(width: int = 1920, height: int = 1080) -> Iterator[XScreen]:
    """The X screen Qt shows this process's windows on (its xcb platform; a private Xvfb of
    ``width``×``height`` unless the run chose one). The body of a session fixture."""
    chosen = private_display(width, height)
    platform = next(chosen)
    try:
        if platform != "xcb" or not os.environ.get("DISPLAY"):
            pytest.fail(f"the windows must be on an X11 screen (QT_QPA_PLATFORM=xcb): {platform!r}")
        yield XScreen(os.environ["DISPLAY"])
    finally:
        chosen.close()


@dataclass(frozen=True)
class Place:
    """A widget's rectangle in root-window pixels (x, y, width, height)."""

    x: int
    y: int
    w: int
    h: int

    @classmethod
    def of(cls, widget: QWidget) -> Place:
        top_left = widget.mapToGlobal(QPoint(0, 0))
        return cls(top_left.x(), top_left.y(), widget.width(), widget.height())

    def cut(self, rgb: Rgb) -> Rgb:
        """This place's pixels of a whole-screen picture."""
        return rgb[self.y : self.y + self.h, self.x : self.x + self.w]

    def inset(self, pixels: int) -> Place:
        """This place less a border (the codec bleeds the neighbours' colours into edges)."""
        return Place(self.x + pixels, self.y + pixels, self.w - 2 * pixels, self.h - 2 * pixels)

    def overlaps(self, other: Place) -> bool:
        return not (self.x + self.w <= other.x or other.x + other.w <= self.x
                    or self.y + self.h <= other.y or other.y + other.h <= self.y)  # fmt: skip


def grab_live(screen: XScreen, place: Place) -> Rgb:
    """What the X server shows at ``place`` now (mss, as the recorder grabs)."""
    with mss.MSS(display=screen.display) as grabber:
        shot = grabber.grab({"left": place.x, "top": place.y, "width": place.w, "height": place.h})
    return np.frombuffer(shot.rgb, np.uint8).reshape(place.h, place.w, 3)


def dark_pixels(rgb: Rgb) -> int:
    """How many pixels are dark (text on a light field)."""
    return int((rgb.max(axis=2) < 100).sum())


def difference(a: Rgb, b: Rgb) -> float:
    """Mean absolute difference of two pictures of one place (0–255)."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@dataclass(frozen=True)
class Typed:
    """The sensitive field as the live screen showed it: before it had focus, while the card
    number was typed, once it was left (its value masked); and the window around it."""

    field: Place
    window: Place
    before: Rgb
    typed: Rgb
    after: Rgb
    window_before: Rgb
    window_after: Rgb
    keys_us: int  # UTC just before the first key


def type_card_number(qtbot: QtBot, panel: CrmPanel, screen: XScreen, digits: str) -> Typed:
    """Focus the sensitive field, paint the screen's root green, type ``digits`` (they show on
    the live screen), leave for the topic field; the field grabbed live at each step."""
    field, topic = panel.dialog.editors["card_no"], panel.dialog.editors["topic"]
    assert isinstance(field, QLineEdit) and isinstance(topic, QLineEdit)
    window = panel.window()
    window.activateWindow()
    where, around = Place.of(field), Place.of(window)
    before, window_before = grab_live(screen, where), grab_live(screen, around)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    qtbot.wait(400)  # the recorder masks from its next frame on
    screen.set_root_colour("green")
    keys_us = utc_us()
    qtbot.keyClicks(field, digits)
    qtbot.wait(300)  # painted
    typed = grab_live(screen, where)
    assert float(typed.mean()) > 100, "the field is black on the live screen"
    shown = dark_pixels(typed) - dark_pixels(before)
    assert shown > 100, f"the digits do not show on the live screen ({shown} dark pixels)"
    qtbot.wait(1200)
    topic.setFocus()
    qtbot.waitUntil(topic.hasFocus, timeout=5000)
    qtbot.wait(300)
    after, window_after = grab_live(screen, where), grab_live(screen, around)
    return Typed(where, around, before, typed, after, window_before, window_after, keys_us)


def titled_window(title: str, place: Place, colour: str) -> QWidget:
    """A plain top-level window of one colour, titled ``title``, at ``place`` (not shown)."""
    window = QWidget()
    window.setWindowTitle(title)
    palette = window.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(colour))
    window.setPalette(palette)
    window.setAutoFillBackground(True)
    window.setGeometry(place.x, place.y, place.w, place.h)
    return window


def show_for(qtbot: QtBot, screen: XScreen, window: QWidget, seconds: float) -> tuple[int, int]:
    """Show ``window`` in front for ``seconds`` (it shows on the live screen), then hide it:
    (UTC µs just before it was shown, just after it was hidden)."""
    shown_us = utc_us()
    window.show()
    window.raise_()
    qtbot.waitExposed(window)
    qtbot.wait(300)
    live = grab_live(screen, Place.of(window).inset(8)).astype(int)
    expected = window.palette().color(QPalette.ColorRole.Window)
    want = np.array([expected.red(), expected.green(), expected.blue()])
    assert int(np.abs(live - want).max()) < 8, "the window does not show on the live screen"
    qtbot.wait(round(seconds * 1000) - 300)
    window.hide()
    return shown_us, utc_us()


def level_dbfs(pcm: npt.NDArray[np.floating]) -> float:
    """RMS level of float samples (full scale 1.0) in dBFS."""
    rms = float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64)))) if len(pcm) else 0.0
    return 20 * float(np.log10(max(rms, 1e-9)))

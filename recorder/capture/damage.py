"""Which parts of an X screen were drawn on since the last look (the X DAMAGE extension).

A damage object on the root window reports every drawing into any window of the screen (a
``DamageNotify`` event per newly damaged rectangle: ``DeltaRectangles`` level). Each tick the
recorder asks for the rectangles reported since the previous tick and grabs and compares only
those: a still screen then costs one X round trip instead of a whole-screen grab and
comparison, and a typed character a grab of a few tiles.

Order makes it safe: when events came, the damage is cleared (``DamageSubtract``) and the
events are read up to the reply of a round trip *before* the grab, so anything drawn later
either shows in this grab already or is reported at the next tick. When none came (and none
came after the last clearing), the damage region is empty and the next drawing will be
reported: the tick makes no round trip, and a drawing whose event is still on its way is
grabbed one tick later.
Drawing that bypasses the X server (some GL or video overlays) is not reported: the recorder
grabs the whole screen every few seconds anyway and stops trusting damage that missed a change.
"""

from __future__ import annotations

import logging
from typing import Any

from recorder.capture.geometry import Rect

log = logging.getLogger(__name__)

# Each rectangle grabbed is one X round trip: above this many, grab their bounding box.
MAX_PARTS = 12


class DamageTracker:
    """Damaged rectangles of one X display's root window; see the module docstring.

    :meth:`collect` returns root-window rectangles, or None when the damage is unknown (not
    open, the extension is missing, the connection failed): then grab everything.
    """

    def __init__(self, display: str | None) -> None:
        self.display_name = display
        self._display: Any = None
        self._damage: int | None = None
        self._event_code = -1
        self._dirty = False  # the damage region may hold rectangles already reported
        self.events = 0  # DamageNotify events read, for the stats

    @property
    def active(self) -> bool:
        return self._display is not None

    def open(self) -> bool:
        """Create the damage object; False (and a log line) when damage cannot be tracked."""
        try:
            from Xlib import display as xdisplay
            from Xlib.ext import damage

            conn = xdisplay.Display(self.display_name)
        except Exception as exc:  # no python-xlib, or the display cannot be opened
            log.info("no damage tracking (%s): grabbing the whole screen every tick", exc)
            return False
        try:
            if not conn.has_extension(damage.extname):
                log.info("the X server has no DAMAGE extension: grabbing the whole screen")
                conn.close()
                return False
            conn.damage_query_version()
            root = conn.screen().root
            self._damage = root.damage_create(damage.DamageReportDeltaRectangles)
            # python-xlib registers a copy of the event class: match the event code instead.
            self._event_code = conn.query_extension(damage.extname).first_event
            conn.sync()
        except Exception as exc:
            log.info("cannot track damage (%s): grabbing the whole screen every tick", exc)
            conn.close()
            return False
        self._display = conn
        return True

    def collect(self, round_trip: bool = False) -> list[Rect] | None:
        """Root-window rectangles drawn on since the last call, or None when unknown.

        Without ``round_trip``, drawing whose event has not arrived yet is reported by a later
        call; with it, everything the X server did before this call is reported now.
        """
        conn = self._display
        if conn is None:
            return None
        rects: list[Rect] = []
        try:
            if not round_trip and not self._dirty and not conn.pending_events():
                # Nothing drawn since the last subtract, so the damage region is empty and the
                # next drawing will be reported: no round trip needed. (Drawing whose event is
                # still on its way is reported at the next tick.)
                return rects
            self._read(conn, rects)
            conn.damage_subtract(self._damage)
            conn.sync()  # a round trip: the subtract is done before the caller grabs
            before = len(rects)
            self._read(conn, rects)
            # Drawing reported after the subtract is still in the damage region: more drawing
            # there would not be reported, so the next call must subtract again.
            self._dirty = len(rects) > before
        except Exception as exc:  # the connection died: the grabber reports the display
            log.warning("damage tracking stopped: %s", exc)
            self.close()
            return None
        self.events += len(rects)
        return rects

    def quiet_fileno(self) -> int | None:
        """The connection's socket when nothing was drawn since the last :meth:`collect` (so
        the next drawing makes it readable), else None: collect first."""
        conn = self._display
        if conn is None or self._dirty:
            return None
        try:
            if conn.pending_events():
                return None
            return int(conn.fileno())
        except Exception as exc:  # the connection died: the next collect() says so
            log.debug("damage connection: %s", exc)
            return None

    def _read(self, conn: Any, rects: list[Rect]) -> None:
        while conn.pending_events():
            event: Any = conn.next_event()
            if event.type & 0x7F == self._event_code:
                area = event.area
                rects.append(Rect(area.x, area.y, area.width, area.height))

    def close(self) -> None:
        conn, self._display = self._display, None
        if conn is None:
            return
        try:
            conn.close()
        except Exception as exc:  # a dead connection fails to close
            log.debug("closing the damage connection: %s", exc)


def damaged_tiles(rects: list[Rect], region: Rect, tile: int) -> list[Rect]:
    """``rects`` (root pixels) as tile-aligned rectangles of ``region`` (region pixels), those
    that overlap merged; their bounding box when they are more than :data:`MAX_PARTS`."""
    bounds = Rect(0, 0, region.w, region.h)
    aligned: list[Rect] = []
    for rect in rects:
        part = rect.intersect(region).translate(-region.x, -region.y)
        if part.empty:
            continue
        x, y = part.x // tile * tile, part.y // tile * tile
        right, bottom = -(-part.right // tile) * tile, -(-part.bottom // tile) * tile
        grown = Rect(x, y, right - x, bottom - y).intersect(bounds)
        # Merge with every rectangle it overlaps (repeat: the union may overlap others).
        while True:
            overlapping = [r for r in aligned if not r.intersect(grown).empty]
            if not overlapping:
                break
            for other in overlapping:
                aligned.remove(other)
                grown = _union(grown, other)
        aligned.append(grown)
    if len(aligned) <= MAX_PARTS:
        return aligned
    box = aligned[0]
    for rect in aligned[1:]:
        box = _union(box, rect)
    return [box]


def _union(a: Rect, b: Rect) -> Rect:
    """The bounding box of both."""
    x, y = min(a.x, b.x), min(a.y, b.y)
    return Rect(x, y, max(a.right, b.right) - x, max(a.bottom, b.bottom) - y)

"""Screen capture with mss: one monitor or the whole virtual desktop, at a paced frame rate.

Every frame is stamped with the single clock (``formats.clock``) at the moment the grab was asked
for. The captured region is cropped to even width and height (4:2:0 video needs both). The
monitor layout is re-read when the X server reports a screen change (``screen_changes``; every
few seconds anyway, about once a second without those events); when it changed, the mss
connection is reopened
(its shared-memory buffer is sized for the old screen) and the frames carry the new
:class:`Layout`, so the pipeline starts a new segment. A monitor that disappears falls back to
the whole desktop until it comes back.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import mss
import mss.exception
import numpy as np
import numpy.typing as npt

from formats.clock import utc_us_at_monotonic
from recorder.capture.geometry import Rect
from recorder.capture.libraries import one_lookup
from recorder.capture.screen_changes import ScreenChanges

log = logging.getLogger(__name__)

BgraImage = npt.NDArray[np.uint8]

# With screen-change events, the layout is still re-read this often: a safety net for a change
# no event reported.
EVENTS_RECHECK_S = 15.0


class CaptureError(RuntimeError):
    """A grab failed (the display went away, or the screen changed under us)."""


class DisplayUnavailable(CaptureError):
    """The X display cannot be opened."""


@dataclass(frozen=True)
class Layout:
    """The monitors of a display (root-window coordinates) and which one is recorded."""

    desktop: Rect
    monitors: tuple[Rect, ...]
    selected: int  # 0: the whole virtual desktop; n: the n-th monitor (1-based, as in mss)

    @property
    def region(self) -> Rect:
        """The area grabbed: the selected monitor (or the desktop), cropped to an even width
        and a height that is a multiple of 4 (what yuv420p buffers in PyAV need)."""
        area = self.desktop
        if 0 < self.selected <= len(self.monitors):
            area = self.monitors[self.selected - 1]
        return Rect(area.x, area.y, area.w & ~1, area.h & ~3)

    @property
    def fallback(self) -> bool:
        """Whether the selected monitor is missing and the desktop is recorded instead."""
        return self.selected > len(self.monitors)

    def to_json(self) -> dict[str, Any]:
        return {
            "desktop": self.desktop.to_list(),
            "monitors": [m.to_list() for m in self.monitors],
            "selected": self.selected,
            "region": self.region.to_list(),
        }

    @classmethod
    def from_mss(cls, monitors: list[dict[str, Any]], selected: int) -> Layout:
        def rect(m: dict[str, Any]) -> Rect:
            return Rect(int(m["left"]), int(m["top"]), int(m["width"]), int(m["height"]))

        return cls(rect(monitors[0]), tuple(rect(m) for m in monitors[1:]), selected)


@dataclass(slots=True)
class Frame:
    """One grab: BGRA pixels of ``region`` (rows × columns × 4, C-contiguous, writable)."""

    utc_us: int
    bgra: BgraImage
    region: Rect
    layout: Layout


@dataclass(slots=True)
class Patches:
    """A partial grab: the pixels of some rectangles of ``region`` (region pixels, BGRA)."""

    utc_us: int
    parts: list[tuple[Rect, BgraImage]]
    region: Rect
    layout: Layout


def _open_mss(display: str | None, backend: str = "default") -> Any:
    try:
        with one_lookup():  # the first connection loads the X libraries
            return mss.MSS(display=display, backend=backend)
    except mss.exception.ScreenShotError as exc:
        name = display or "$DISPLAY"
        raise DisplayUnavailable(f"cannot open X display {name}: {exc}") from exc


class ScreenGrabber:
    """Grabs the selected monitor of one X display; see the module docstring."""

    def __init__(
        self, display: str | None = None, monitor: int = 0, layout_check_s: float = 1.0
    ) -> None:
        if monitor < 0:
            raise ValueError("monitor must be 0 (all) or a 1-based monitor number")
        self.display = display
        self.monitor = monitor
        self.layout_check_s = layout_check_s
        self._sct: Any = None
        self._layout: Layout | None = None
        self._next_check_ns = 0
        self._changes = ScreenChanges(display)

    def __enter__(self) -> ScreenGrabber:
        self.open()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def layout(self) -> Layout:
        if self._layout is None:
            raise CaptureError("the grabber is not open")
        return self._layout

    def open(self) -> None:
        """Connect to the display; fail clearly when it or the chosen monitor does not exist."""
        self._sct = _open_mss(self.display)
        self._layout = Layout.from_mss(self._sct.monitors, self.monitor)
        if self._layout.fallback:
            count = len(self._layout.monitors)
            self.close()
            raise CaptureError(
                f"monitor {self.monitor} does not exist; display {self.display or '$DISPLAY'}"
                f" has {count} monitor(s) (use 0 for all)"
            )
        self._changes.open()
        self._next_check_ns = time.monotonic_ns() + self._check_interval_ns()

    def close(self) -> None:
        self._close_mss()
        self._changes.close()

    def changes_fileno(self) -> int | None:
        """The socket on which layout changes are told, to wait on (see
        :meth:`ScreenChanges.fileno`); None without those events."""
        return self._changes.fileno()

    def _check_interval_ns(self) -> int:
        seconds = self.layout_check_s
        if self._changes.active:
            seconds = max(seconds, EVENTS_RECHECK_S)
        return int(seconds * 1e9)

    def _close_mss(self) -> None:
        sct, self._sct = self._sct, None
        if sct is not None:
            try:
                sct.close()
            except Exception as exc:  # a dead connection fails to close
                log.debug("closing the X connection: %s", exc)

    def _probe(self) -> Layout:
        """The current layout from a fresh connection (mss caches monitors per connection)."""
        with _open_mss(self.display, backend="xgetimage") as probe:
            try:
                return Layout.from_mss(probe.monitors, self.monitor)
            except Exception as exc:
                raise CaptureError(f"cannot read the monitor layout: {exc!r}") from exc

    def check_layout(self, force: bool = False) -> bool:
        """Re-read the layout when the X server reported a screen change, when forced, and
        otherwise at most every ``layout_check_s`` (every :data:`EVENTS_RECHECK_S` with
        screen-change events); True if it changed."""
        now = time.monotonic_ns()
        reported = self._changes.active and self._changes.pending()
        if not force and not reported and now < self._next_check_ns:
            return False
        current = self._probe()
        self._next_check_ns = now + self._check_interval_ns()
        if current == self._layout:
            return False
        log.info("monitor layout changed: %s -> %s", self._layout, current)
        if current.fallback:
            log.warning(
                "monitor %d is gone; recording the whole desktop until it returns", self.monitor
            )
        self._close_mss()
        self._sct = _open_mss(self.display)
        self._layout = current
        return True

    def grab(self) -> Frame:
        """Grab the region now. Raises :class:`CaptureError` (after one layout re-check)."""
        if self._sct is None:
            raise CaptureError("the grabber is not open")
        self.check_layout()
        try:
            return self._grab_once()
        except Exception as first:
            # mss raises ScreenShotError, but a bare AssertionError from its xcb layer when the
            # connection died: any failure here is a failed grab.
            try:
                changed = self.check_layout(force=True)
            except DisplayUnavailable:
                raise
            except Exception as exc:
                raise CaptureError(f"screen grab failed: {exc}") from first
            if not changed:
                raise CaptureError(f"screen grab failed: {first!r}") from first
            try:
                return self._grab_once()
            except Exception as exc:
                raise CaptureError(f"screen grab failed: {exc!r}") from exc

    def grab_parts(self, rects: list[Rect]) -> Patches | None:
        """Grab only ``rects`` (pixels of the current region); None when the layout changed
        since the last grab (then grab the whole region). Raises :class:`CaptureError`."""
        if self._sct is None:
            raise CaptureError("the grabber is not open")
        if self.check_layout():
            return None
        layout = self.layout
        region = layout.region
        mono_ns = time.monotonic_ns()
        parts = []
        try:
            for rect in rects:
                shot = self._sct.grab(
                    {"left": region.x + rect.x, "top": region.y + rect.y}
                    | {"width": rect.w, "height": rect.h}
                )
                pixels = np.frombuffer(shot.raw, dtype=np.uint8).reshape(rect.h, rect.w, 4)
                parts.append((rect, pixels))
        except Exception as exc:  # as in grab(): let a whole grab sort out what happened
            log.debug("partial grab failed (%r); grabbing the whole screen", exc)
            return None
        return Patches(utc_us_at_monotonic(mono_ns), parts, region, layout)

    def _grab_once(self) -> Frame:
        layout = self.layout
        region = layout.region
        if region.empty:
            raise CaptureError(f"the screen region {region} is empty")
        mono_ns = time.monotonic_ns()
        shot = self._sct.grab(
            {"left": region.x, "top": region.y, "width": region.w, "height": region.h}
        )
        if (shot.width, shot.height) != (region.w, region.h):
            raise CaptureError(f"grabbed {shot.width}x{shot.height}, asked {region.w}x{region.h}")
        pixels = np.frombuffer(shot.raw, dtype=np.uint8).reshape(region.h, region.w, 4)
        return Frame(utc_us_at_monotonic(mono_ns), pixels, region, layout)


class Pacer:
    """Ticks at up to ``fps`` per second on a monotonic deadline; late ticks are dropped."""

    def __init__(self, fps: float) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.period_ns = int(1e9 / fps)
        self._next_ns: int | None = None
        self.dropped = 0

    def wait(self, stop: threading.Event) -> bool:
        """Sleep until the next tick; False as soon as ``stop`` is set."""
        now = time.monotonic_ns()
        if self._next_ns is None:
            self._next_ns = now
        elif now > self._next_ns + self.period_ns:
            # More than a whole period late (a slow encode, a stalled X server): skip the
            # missed ticks instead of bursting to catch up.
            missed = (now - self._next_ns) // self.period_ns
            self.dropped += missed
            self._next_ns += missed * self.period_ns
        delay = self._next_ns - now
        if delay > 0 and stop.wait(delay / 1e9):
            return False
        self._next_ns += self.period_ns
        return not stop.is_set()

    def restart(self) -> None:
        """The next :meth:`wait` ticks at once, and the ones after it a period apart (after
        the caller slept on its own: those ticks were not missed)."""
        self._next_ns = None

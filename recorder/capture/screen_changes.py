"""Whether an X screen's monitor layout may have changed, told by the X server instead of asked.

One long-lived connection listens on the root window for what a layout change sends: the core
``ConfigureNotify`` (the screen's size, and RandR 1.5 monitors being set or deleted) and the
RandR screen, CRTC and output notifications. :meth:`ScreenChanges.pending` reads the events
already queued without a round trip, so a still screen costs no X request at all; the grabber
re-reads the layout only when something came (and, as a safety net, every few seconds).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class ScreenChanges:
    """Layout-change events of one X display; see the module docstring."""

    def __init__(self, display: str | None) -> None:
        self.display_name = display
        self._display: Any = None

    @property
    def active(self) -> bool:
        return self._display is not None

    def open(self) -> bool:
        """Start listening; False (and a log line) when events cannot be had: then poll."""
        try:
            from Xlib import X
            from Xlib import display as xdisplay
            from Xlib.ext import randr

            conn = xdisplay.Display(self.display_name)
        except Exception as exc:  # no python-xlib, or the display cannot be opened
            log.info("no screen-change events (%s): polling the monitor layout", exc)
            return False
        try:
            root = conn.screen().root
            root.change_attributes(event_mask=X.StructureNotifyMask)
            if conn.has_extension(randr.extname):
                root.xrandr_select_input(
                    randr.RRScreenChangeNotifyMask
                    | randr.RRCrtcChangeNotifyMask
                    | randr.RROutputChangeNotifyMask
                )
            conn.sync()
        except Exception as exc:
            log.info("cannot listen for screen changes (%s): polling the monitor layout", exc)
            conn.close()
            return False
        self._display = conn
        return True

    def pending(self) -> bool:
        """Whether any event came since the last call (all read); True when the connection
        failed (the caller re-reads the layout and learns what happened)."""
        conn = self._display
        if conn is None:
            return True
        came = False
        try:
            while conn.pending_events():
                conn.next_event()
                came = True
        except Exception as exc:
            log.warning("screen-change events stopped: %s", exc)
            self.close()
            return True
        return came

    def fileno(self) -> int | None:
        """The connection's socket, readable when an event comes; None when events are not
        had or some are already queued (call :meth:`pending` first)."""
        conn = self._display
        try:
            if conn is None or conn.pending_events():
                return None
            return int(conn.fileno())
        except Exception as exc:
            log.warning("screen-change events stopped: %s", exc)
            self.close()
            return None

    def close(self) -> None:
        conn, self._display = self._display, None
        if conn is None:
            return
        try:
            conn.close()
        except Exception as exc:  # a dead connection fails to close
            log.debug("closing the screen-change connection: %s", exc)

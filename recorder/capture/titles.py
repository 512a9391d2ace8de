"""Top-level windows of an X display, their titles and where they are: for title masks.

python-xlib, one connection used by one thread at a time (the worker's housekeeping thread
polls; its capture thread asks :meth:`TitleMasks.changed` between each grab and its masking).
With a window manager, EWMH's ``_NET_CLIENT_LIST`` on the root window lists the application
windows; without one (a bare Xvfb) the root's children are the windows. A title is
``_NET_WM_NAME`` (UTF-8), else ``WM_NAME``. Whether a window is shown and where is asked only
of the windows whose title matches (three more round trips each), so a poll costs about one
round trip per window (see :func:`measure`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from Xlib import X, Xatom
from Xlib import display as xdisplay
from Xlib import error as xerror

from recorder.capture.geometry import Rect

#: What goes wrong with the display connection or a window that vanished mid-query.
XLIB_ERRORS: tuple[type[BaseException], ...] = (
    xerror.XError,
    xerror.ConnectionClosedError,
    xerror.DisplayError,
    OSError,
)


class TitleError(RuntimeError):
    """The display cannot be opened or went away."""


@dataclass(frozen=True)
class TopLevel:
    """A top-level window: X id, title, and its rectangle in root pixels (None: not shown or
    not asked)."""

    window_id: int
    title: str
    rect: Rect | None = None


def _text(prop: Any) -> str:
    if prop is None:
        return ""
    value = prop.value
    if isinstance(value, str):
        return value
    return bytes(value).decode("utf-8", errors="replace")


class WindowList:
    """Lists the top-level windows of ``display`` (``None``: ``$DISPLAY``)."""

    def __init__(self, display: str | None = None) -> None:
        try:
            self._display = xdisplay.Display(display)
        except XLIB_ERRORS as exc:
            raise TitleError(f"cannot open X display {display or '$DISPLAY'}: {exc}") from exc
        # Errors of one-way requests (selecting events on a window that just closed) are
        # expected; without a handler python-xlib prints them.
        self._display.set_error_handler(lambda *_: None)
        self._root = self._display.screen().root
        atom = self._display.intern_atom
        self._client_list = atom("_NET_CLIENT_LIST")
        self._net_wm_name = atom("_NET_WM_NAME")
        self._utf8 = atom("UTF8_STRING")
        self._watched: set[int] = set()

    def close(self) -> None:
        self._display.close()

    def watch_root(self) -> None:
        """Be told (see :meth:`changed`) when top-level windows come, go or move."""
        mask = X.SubstructureNotifyMask | X.PropertyChangeMask
        self._root.change_attributes(event_mask=mask)

    def changed(self, *, sync: bool = False) -> bool:
        """Whether an event since the last call may have changed a title or the window set
        (``_NET_WM_USER_TIME`` and other property churn is ignored); ``sync``: after a round
        trip, so every event of a change the server made before this call is counted."""
        if sync:
            self._display.sync()
        relevant = False
        titles = (Xatom.WM_NAME, self._net_wm_name, self._client_list)
        for _ in range(self._display.pending_events()):
            event = self._display.next_event()
            if event.type != X.PropertyNotify or event.atom in titles:
                relevant = True
        return relevant

    def _watch(self, window: Any) -> None:
        if window.id not in self._watched:
            window.change_attributes(event_mask=X.PropertyChangeMask | X.StructureNotifyMask)
            self._watched.add(window.id)

    def _windows(self) -> list[Any]:
        clients = self._root.get_full_property(self._client_list, Xatom.WINDOW)
        if clients is not None and len(clients.value):
            make = self._display.create_resource_object
            return [make("window", int(wid)) for wid in clients.value]
        return list(self._root.query_tree().children)

    def title(self, window: Any) -> str:
        name = _text(window.get_full_property(self._net_wm_name, self._utf8))
        return name or _text(window.get_full_property(Xatom.WM_NAME, X.AnyPropertyType))

    def rect(self, window_id: int) -> Rect | None:
        """Where the window is on the root window, or None when it is not shown."""
        window = self._display.create_resource_object("window", window_id)
        if window.get_attributes().map_state != X.IsViewable:
            return None
        geometry = window.get_geometry()
        origin = self._root.translate_coords(window, 0, 0)
        return Rect(int(origin.x), int(origin.y), int(geometry.width), int(geometry.height))

    def list(self, *, geometry: bool = True, watch: bool = False) -> list[TopLevel]:
        """Every titled top-level window (with its rectangle when ``geometry``); ``watch``:
        select title and structure events on each (after :meth:`watch_root`)."""
        try:
            found = []
            windows = self._windows()
            if watch:
                self._watched &= {w.id for w in windows}
            for window in windows:
                try:
                    if watch:
                        self._watch(window)
                    title = self.title(window)
                    if title:
                        rect = self.rect(window.id) if geometry else None
                        found.append(TopLevel(window.id, title, rect))
                except xerror.XError:
                    continue  # closed while we looked at it
            return found
        except xerror.ConnectionClosedError as exc:
            raise TitleError(f"the X display went away: {exc}") from exc


class TitleMasks:
    """Rectangles of the shown windows whose title matches one of ``patterns`` (regexes,
    searched anywhere in the title).

    Titles are re-read only when the X server says something changed (a window was created,
    destroyed, mapped, reparented, or its title property changed: events selected on the root
    and on every top-level window), and at the latest every ``rescan_s``; the windows that
    match are re-measured at every poll (they may move). An idle poll costs one event check.
    """

    def __init__(
        self, patterns: Iterable[str], display: str | None = None, rescan_s: float = 10.0
    ) -> None:
        self.patterns = [re.compile(p) for p in patterns]
        self.rescan_s = rescan_s
        self.scans = 0
        self._display = display
        self._list: WindowList | None = None
        self._matched: list[TopLevel] = []
        self._scanned_at = -1e9
        self._dirty = False  # :meth:`changed` saw events: the next poll re-reads every title

    def close(self) -> None:
        if self._list is not None:
            self._list.close()
            self._list = None

    def set_patterns(self, patterns: Iterable[str]) -> None:
        """Match these from now on; the next :meth:`poll` re-reads every title."""
        self.patterns = [re.compile(p) for p in patterns]
        self._scanned_at = -1e9

    def changed(self) -> bool:
        """After one round trip to the X server: whether a window came, went, moved or was
        renamed since the last :meth:`poll` (whose answer may then be out of date). False
        before the first poll and after a failed one (poll again to reconnect)."""
        if not self.patterns or self._list is None:
            return False
        try:
            self._dirty = self._list.changed(sync=True) or self._dirty
        except XLIB_ERRORS as exc:
            self.close()
            raise TitleError(f"cannot read the windows of the X display: {exc}") from exc
        return self._dirty

    def poll(self) -> list[TopLevel]:
        """The matching windows that are shown. Raises :class:`TitleError` when the display
        cannot be read (the caller should then mask everything: fail closed)."""
        if not self.patterns:
            return []
        try:
            if self._list is None:
                self._list = WindowList(self._display)
                self._list.watch_root()
                self._scanned_at = -1e9
            windows = self._list
            stale = time.monotonic() - self._scanned_at >= self.rescan_s
            if self._dirty or windows.changed() or stale:
                self._dirty = False
                self._scanned_at = time.monotonic()
                self.scans += 1
                tops = windows.list(geometry=False, watch=True)
                self._matched = [t for t in tops if any(p.search(t.title) for p in self.patterns)]
            shown = []
            for top in self._matched:
                try:
                    rect = windows.rect(top.window_id)
                except xerror.XError:
                    continue  # gone; the DestroyNotify will trigger a rescan
                if rect is not None and not rect.empty:
                    shown.append(TopLevel(top.window_id, top.title, rect))
            return shown
        except XLIB_ERRORS as exc:
            self.close()
            raise TitleError(f"cannot read the windows of the X display: {exc}") from exc


def measure(display: str | None = None, rounds: int = 200) -> dict[str, float]:
    """Cost of a title poll on ``display``: ms per listing (titles only), per listing with
    every window's geometry, and the number of windows
    (``python -m recorder.capture.titles :N``)."""
    windows = WindowList(display)
    try:
        count = len(windows.list(geometry=False))
        out: dict[str, float] = {"windows": float(count)}
        for label, geometry in (("titles_ms", False), ("titles_and_geometry_ms", True)):
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(rounds):
                windows.list(geometry=geometry)
            out[label] = (time.perf_counter() - wall) * 1e3 / rounds
            out[label.replace("_ms", "_cpu_ms")] = (time.process_time() - cpu) * 1e3 / rounds
        return out
    finally:
        windows.close()


if __name__ == "__main__":
    import sys

    shown = WindowList(sys.argv[1] if len(sys.argv) > 1 else None)
    for top in shown.list():
        print(f"{top.window_id:#010x} {top.rect} {top.title!r}")
    shown.close()
    print(measure(sys.argv[1] if len(sys.argv) > 1 else None))

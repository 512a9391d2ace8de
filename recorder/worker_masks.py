"""What the recorder worker blacks out: the whole screen while paused or while window titles
cannot be read (fail closed), else every shown window whose title matches a ``--mask-title``.

A pause has reasons (``manual``, ``sensitive_field``), kept apart: leaving a sensitive field
does not end the operator's own pause. :meth:`ScreenMasks.reasons` says why anything is
masked; the manifest's masked periods and the audio silences carry it."""

from __future__ import annotations

import threading

from formats.manifest import MASKED_TITLE, TITLES_UNREADABLE
from recorder.capture.geometry import Rect
from recorder.capture.titles import TitleError, TitleMasks, TopLevel

EVERYTHING = Rect(0, 0, 1 << 15, 1 << 15)  # X coordinates are 16-bit: the whole desktop


class ScreenMasks:
    """The pause switch and the title masks; :meth:`rects` is what to black out now.
    Not thread-safe: the worker calls it under its lock, except that titles are read (and
    their answer taken) under :attr:`reading`, by one thread at a time, before that lock."""

    def __init__(self, patterns: list[str], display: str | None) -> None:
        self.titles = TitleMasks(patterns, display)
        # The X connection that reads titles; held from a read until its answer is taken, so
        # an older answer never replaces a newer one.
        self.reading = threading.Lock()
        self.pauses: set[str] = set()  # why the screen is paused (manual, sensitive_field)
        self.masked: list[TopLevel] = []
        self.failed = False  # the titles could not be read: everything is masked

    @property
    def paused(self) -> bool:
        return bool(self.pauses)

    def pause(self, reason: str, on: bool) -> bool:
        """Pause for ``reason`` (or end that reason); True if the reasons changed."""
        before = set(self.pauses)
        if on:
            self.pauses.add(reason)
        else:
            self.pauses.discard(reason)
        return self.pauses != before

    def reasons(self) -> list[str]:
        """Why something is masked now (sorted; [] when nothing is)."""
        out = set(self.pauses)
        if self.failed:
            out.add(TITLES_UNREADABLE)
        if any(t.rect is not None for t in self.masked):
            out.add(MASKED_TITLE)
        return sorted(out)

    @property
    def polling(self) -> bool:
        return bool(self.titles.patterns)

    @property
    def patterns(self) -> list[str]:
        return [p.pattern for p in self.titles.patterns]

    def set_patterns(self, patterns: list[str]) -> None:
        """New title masks: read at the next poll; none left unmasks every window at once."""
        self.titles.set_patterns(patterns)
        if not patterns:
            self.masked, self.failed = [], False

    def rects(self) -> list[Rect]:
        """Root-window pixels to black out from the next frame on."""
        if self.paused or self.failed:
            return [EVERYTHING]
        return [t.rect for t in self.masked if t.rect is not None]

    def read_titles(self, *, if_changed: bool = False) -> tuple[list[TopLevel], str] | None:
        """The shown windows whose titles match, or [] and why they cannot be read (call it
        holding :attr:`reading`). ``if_changed``: None unless, after a round trip to the X
        server, a window came, went, moved or was renamed since the last read: the check
        between a grab and its masking, so a window shown in the grab is masked in it."""
        try:
            if if_changed and not self.titles.changed():
                return None
            return self.titles.poll(), ""
        except TitleError as exc:
            return [], str(exc)

    def take(self, found: list[TopLevel], error: str) -> bool:
        """Keep the result of :meth:`read_titles`; True if what is masked changed."""
        failed = bool(error)
        if found == self.masked and failed == self.failed:
            return False
        self.masked, self.failed = found, failed
        return True

    def close(self) -> None:
        self.titles.close()

"""The store's presence answer says whether a supervisor watches this screen: the recorder
worker is told (it sends the screen only while watched) and, when the policy says so
(``show_watched``), the operator's window shows "screen watched"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QLabel

from desktop.recording.link import RecorderLink


class ScreenWatched(QObject):
    """Feed :meth:`on_answer` the presence answers (from any thread); lives on the UI thread."""

    answered = Signal(object)

    def __init__(
        self,
        line: QLabel,
        recorder: RecorderLink | None,
        agent: Callable[[], str],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.line = line
        self.recorder = recorder
        self._agent = agent
        self.watched = False
        self.answered.connect(self._apply)

    def on_answer(self, answer: Mapping[str, Any]) -> None:
        """Any thread: the answer goes to the UI thread through a queued signal."""
        self.answered.emit(dict(answer))

    @Slot(object)
    def _apply(self, answer: dict[str, Any]) -> None:
        self.watched = bool(answer.get("watched"))
        if self.recorder is not None:
            self.recorder.watch(self.watched, self._agent())
        self.line.setVisible(self.watched and bool(answer.get("show_watched", True)))

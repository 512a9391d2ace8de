"""The call audio silenced at its source while the screen is paused: a manual pause, a
sensitive dialog-card field with focus, a window whose title is masked (or titles that cannot
be read), when the recording policy says audio pauses with the screen (the link's
``LinkOptions.pause_audio``).

:class:`AudioPause` follows the recorder link's pause reasons and the worker's masks, and tells
the softphone engine for every call in progress (and each new one) that both channels of its
recording take silence (``set_recording_paused``) until no reason holds. The call itself goes
on. The worker still notes the silences (``silences.jsonl``): they are the QA timeline's
bands, and the uploaded audio is silenced there too, should the engine have missed a command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Slot

from desktop.calls.model import Call, CallBook
from desktop.recording.link import RecorderLink

log = logging.getLogger(__name__)


class AudioPause(QObject):
    """Keeps the engine's recordings silent while the screen is paused; UI thread only.
    ``command(call_id, paused)`` is the engine's ``set_recording_paused``."""

    def __init__(
        self,
        link: RecorderLink,
        book: CallBook,
        command: Callable[[str, bool], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.link, self.book, self._command = link, book, command
        self._told: dict[str, bool] = {}  # call id → what the engine was told last
        link.pauses_changed.connect(self.update)
        link.worker_event.connect(self._worker_event)
        book.added.connect(self._call_added)
        book.ended.connect(self._call_ended)

    @property
    def silenced(self) -> bool:
        """Whether call audio is to be silent now (the link's options carry the policy)."""
        if not self.link.options.pause_audio:
            return False
        state = self.link.state
        return bool(self.link.pause_reasons or state.get("masked") or state.get("mask_failed"))

    @Slot()
    def update(self) -> None:
        """Tell the engine about every call in progress whose recording should change (also
        after a new recording policy)."""
        for call in self.book.live():
            self._tell(call.call_id)

    def _tell(self, call_id: str) -> None:
        want = self.silenced
        if self._told.get(call_id, False) == want:
            return
        self._told[call_id] = want
        log.info("call audio %s for %s", "silenced" if want else "recorded again", call_id)
        self._command(call_id, want)

    @Slot(object)
    def _worker_event(self, event: dict[str, Any]) -> None:
        if event.get("event") in ("state", "status"):  # the masks may have changed
            self.update()

    @Slot(object)
    def _call_added(self, call: Call) -> None:
        self._tell(call.call_id)

    @Slot(object)
    def _call_ended(self, call: Call) -> None:
        self._told.pop(call.call_id, None)

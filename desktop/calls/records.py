"""Calls as the store keeps them: each call is journalled in the upload queue's outbox when it
starts and as it changes (not sent: a crash then loses nothing, the next start ends it), and
its store record (made once by the call model, :func:`desktop.calls.call.store_record`) goes to
the upload queue with the call's audio when it has ended.

The call model hands a call on (``CallBook.record_ready``) once it has ended and its recording
is merged, or after ``AUDIO_WAIT_MS`` without it (the WAV is then found by the recovery at the
next start).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Slot

from desktop.calls.call import store_record
from desktop.calls.model import Call, CallBook

log = logging.getLogger(__name__)
SEEN_EVERY_MS = 5000  # a call in progress notes the time this often (its end after a crash)


class CallQueue(Protocol):
    """What is needed of ``desktop.recording.uploads.UploadQueue``."""

    def call_ended(self, record: dict[str, Any], audio_wav: Path | None) -> None: ...
    def call_progress(self, record: dict[str, Any]) -> None: ...


class CallRecords(QObject):
    """Queues each finished call for the store (connect :meth:`on_record_ready` to
    ``CallBook.record_ready``); :meth:`follow` also journals the calls in progress."""

    def __init__(self, queue: CallQueue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.book: CallBook | None = None
        self._seen = QTimer(self)
        self._seen.setInterval(SEEN_EVERY_MS)
        self._seen.timeout.connect(self._note_live)

    def follow(self, book: CallBook) -> CallRecords:
        """Journal ``book``'s calls as they start and change; queue them when they end."""
        self.book = book
        book.added.connect(self.on_progress)
        book.changed.connect(self.on_progress)
        book.ended.connect(self.on_progress)
        book.record_ready.connect(self.on_record_ready)
        return self

    @Slot(object)
    def on_progress(self, call: Call) -> None:
        if self.book is None:
            return  # (a call already final is not reopened: the outbox keeps it final)
        record = call.record or store_record(call, self.book.agent)
        self.queue.call_progress(record)
        if not self._seen.isActive():  # noted while calls are live (stops with the last)
            self._seen.start()

    @Slot(object)
    def on_record_ready(self, call: Call) -> None:
        if call.record is None:
            log.warning("call %s has no store record", call.call_id)
            return
        self.queue.call_ended(call.record, call.audio)

    def _note_live(self) -> None:
        live = self.book.live() if self.book is not None else []
        if not live:
            self._seen.stop()
        for call in live:
            self.on_progress(call)

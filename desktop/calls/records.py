"""Calls as the store keeps them: each ended call's store record (made once by the call model,
:func:`desktop.calls.model.store_record`) goes to the upload queue with the call's audio.

The call model hands a call on (``CallBook.record_ready``) once it has ended and its recording
is merged, or after ``AUDIO_WAIT_MS`` without it (the WAV is then found by the recovery at the
next start).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Slot

from desktop.calls.model import Call

log = logging.getLogger(__name__)


class CallQueue(Protocol):
    """What is needed of ``desktop.recording.uploads.UploadQueue``."""

    def call_ended(self, record: dict[str, Any], audio_wav: Path | None) -> None: ...


class CallRecords(QObject):
    """Queues each finished call for the store; connect :meth:`on_record_ready` to
    ``CallBook.record_ready``."""

    def __init__(self, queue: CallQueue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue = queue

    @Slot(object)
    def on_record_ready(self, call: Call) -> None:
        if call.record is None:
            log.warning("call %s has no store record", call.call_id)
            return
        self.queue.call_ended(call.record, call.audio)

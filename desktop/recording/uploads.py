"""The desktop's side of the outbox: a small facade the rest of the desktop calls to hand
calls, their audio, later changes and agent states to the store, without ever waiting.

Writes go to the outbox (SQLite + spool, :mod:`recorder.outbox.journal`) on one background thread,
in the order they were made; the recorder worker uploads them (the upload-only worker when no screen
is recorded). Its ``upload_status`` events (rate, last error, offline) and the outbox's own counts,
read every few seconds off the UI thread, become :attr:`status_changed`; its ``reason`` says in
words why items wait (the store session's identity problem, else the last refusal)."""

from __future__ import annotations

import logging
import wave
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from desktop.recording.link import RecorderLink
from desktop.threads import when_done
from formats.call_audio import CallAudioNote, NoteError, note_path, read_note
from recorder.outbox.journal import Outbox, OutboxError

log = logging.getLogger(__name__)

EMPTY_STATUS: dict[str, Any] = {
    "items": 0,
    "bytes": 0,
    "rate_bps": 0,
    "last_error": "",
    "oldest_us": None,
    "over_quota": False,
    "warning": "",
    "reason": "",  # why items wait, in words: the identity problem, else the last refusal
}
REFRESH_MS = 5000
# What the outbox itself knows; the rest (rate, the uploader's error, offline) the worker says.
OUTBOX_KEYS = ("items", "bytes", "oldest_us", "over_quota", "warning")


class UploadQueue(QObject):
    """Enqueue for the store; every method returns at once (call them on the UI thread)."""

    status_changed = Signal(dict)  # {items, bytes, rate_bps, last_error, oldest_us, ...}

    def __init__(
        self, outbox_dir: Path, parent: QObject | None = None, *, quota_bytes: int = 0
    ) -> None:
        super().__init__(parent)
        self.outbox_dir = outbox_dir
        self.quota_bytes = quota_bytes
        self.uploader: RecorderLink | None = None  # the upload-only worker, when one runs
        self._outbox: Outbox | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self._status: dict[str, Any] = dict(EMPTY_STATUS)
        self._identity_problem = ""
        self._worker_reports = False
        self._closed = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(REFRESH_MS)

    def close(self) -> None:
        """Finish the queued writes (at exit), stop the upload-only worker, close the outbox."""
        self._closed = True
        self._timer.stop()
        self._writer.shutdown(wait=True)
        if self.uploader is not None:
            self.uploader.stop()
        if self._outbox is not None:
            self._outbox.close()

    # ----- the API the desktop calls ---------------------------------------------------

    def call_ended(self, record: dict[str, Any], audio_wav: Path | None) -> None:
        """A finished call (the whole record for ``PUT /calls/{id}``) and its stereo WAV."""
        call_id = str(record["id"])
        body = {k: v for k, v in record.items() if k != "id"}

        def write(box: Outbox) -> None:
            box.add_call(call_id, body)
            if audio_wav is not None:
                note = _note(audio_wav)
                with wave.open(str(audio_wav), "rb") as reader:
                    frames, rate = reader.getnframes(), reader.getframerate()
                first = note.first_sample_utc_us if note else int(body["started_us"])
                box.add_audio(call_id, audio_wav, first, rate, frames)

        self._submit(f"call {call_id}", write)

    def patch_call(self, call_id: str, **fields: Any) -> None:
        """Later fields of a call (card, disposition, karma, ratings, tags; PATCH semantics)."""
        self._submit(f"a change of call {call_id}", lambda box: box.add_patch(call_id, fields))

    def agent_state(self, agent: str, state: str, reason: str, at_us: int) -> None:
        self._submit(
            f"agent state {state}", lambda box: box.add_state(agent, state, reason or None, at_us)
        )

    def status(self) -> dict[str, Any]:
        return dict(self._status)

    def set_identity_problem(self, reason: str) -> None:
        """Why the store refuses this desktop (no or a refused token, an unreachable store…),
        in words, '' once fixed; it is the status's ``reason`` while items wait."""
        self._identity_problem = reason
        self._set_status(dict(self._status))

    def retry_now(self) -> None:
        """Every waiting item may go at once (the cause of the refusals was fixed)."""
        if self._closed:
            return
        self._submit("retrying", lambda box: box.due_now())

    @Slot(object)
    def on_worker_event(self, event: dict[str, Any]) -> None:
        """Connect to :attr:`RecorderLink.worker_event`: takes its ``upload_status``."""
        if event.get("event") == "upload_status":
            self._worker_reports = True
            self._set_status({k: v for k, v in event.items() if k not in ("event", "at_us")})

    def refresh(self) -> None:
        """Read the outbox's own counts (when no worker reports them)."""
        if self._closed:
            return
        future = self._writer.submit(lambda: self._open().status())
        when_done(future, self._refreshed)

    # ----- inside ----------------------------------------------------------------------

    def _open(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox(self.outbox_dir, quota_bytes=self.quota_bytes)
        return self._outbox

    def _submit(self, what: str, work: Any) -> Future[None]:
        def run() -> None:
            work(self._open())

        future = self._writer.submit(run)
        when_done(future, lambda f: self._written(what, f))
        return future

    def _written(self, what: str, future: Future[None]) -> None:
        exc = future.exception()
        if exc is None:
            self.refresh()
            return
        message = f"{what} not queued for the store: {exc}"
        log.error("uploads: %s", message)
        if not isinstance(exc, OutboxError | OSError):
            log.error("uploads: unexpected", exc_info=exc)
        self._set_status({**self._status, "last_error": message})

    def _refreshed(self, future: Future[dict[str, Any]]) -> None:
        exc = future.exception()
        if exc is not None:
            self._set_status({**self._status, "last_error": f"the upload outbox: {exc}"})
            return
        counts = future.result()
        keys = OUTBOX_KEYS if self._worker_reports else (*OUTBOX_KEYS, "last_error")
        self._set_status({**self._status, **{k: counts[k] for k in keys}})

    def _set_status(self, status: dict[str, Any]) -> None:
        merged = {**EMPTY_STATUS, **status}
        merged["reason"] = waiting_reason(merged, self._identity_problem)
        if merged != self._status:
            self._status = merged
            self.status_changed.emit(dict(merged))


def waiting_reason(status: dict[str, Any], identity_problem: str) -> str:
    """Why items wait, in words ('' when nothing waits or nothing is wrong)."""
    if not status.get("items") and not status.get("offline"):
        return ""
    if identity_problem:
        return identity_problem
    error = str(status.get("last_error") or "")
    if not error:
        return ""
    if "cannot reach" in error or "timed out" in error.lower():
        return QCoreApplication.translate("UploadQueue", "the store cannot be reached")
    return QCoreApplication.translate("UploadQueue", "the store refused the last item: %1").replace(
        "%1", error
    )


def _note(wav: Path) -> CallAudioNote | None:
    try:
        return read_note(note_path(wav))
    except (OSError, NoteError):
        return None

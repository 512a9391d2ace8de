"""The desktop's side of the outbox: a small facade the rest of the desktop calls to hand
calls, their audio, later changes and agent states to the store, without ever waiting.

Writes go to the outbox (SQLite + spool, :mod:`recorder.outbox.journal`) on one background thread,
in the order they were made; the recorder worker uploads them (the upload-only worker when no screen
is recorded). Its ``upload_status`` events (rate, last error, offline) and the outbox's own counts,
read every few seconds off the UI thread, become :attr:`status_changed`; its ``reason`` says in
words why items wait (the store session's identity problem, a full disk, items the store refused,
else the last refusal).

A write the outbox cannot take (a full or read-only disk) is kept in memory, counted in the
status as waiting (``unwritten``; ``disk`` says "full" or "cannot write") and tried again, in
order, at every refresh: nothing is dropped while the desktop runs. Calls are journalled as
they start and change (:meth:`UploadQueue.call_progress`), so after a crash :meth:`recover`
ends them and takes over the call-audio folder."""

from __future__ import annotations

import errno
import logging
import threading
import wave
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from desktop.recording.link import RecorderLink
from desktop.threads import when_done
from formats.call_audio import CallAudioNote, NoteError, note_path, read_note
from recorder.outbox.journal import Outbox, OutboxError, OutboxFull
from recorder.outbox.recovery import close_open_calls, recover_call_audio

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
    "parked": 0,
    "parked_reason": "",
    "disk": "",
    "unwritten": 0,
}
REFRESH_MS = 5000  # while writes wait for the disk, or no worker reports the outbox
REPORTED_REFRESH_MS = 60_000  # the worker reports every change of the outbox: a safety net
# What the outbox itself knows; the rest (rate, the uploader's error, offline) the worker says.
OUTBOX_KEYS = ("items", "bytes", "oldest_us", "over_quota", "warning", "parked",
               "parked_reason", "disk", "unwritten")  # fmt: skip
Write = Callable[[Outbox], None]
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM,
               errno.EIO)  # fmt: skip


def _the_disk(exc: BaseException) -> bool:
    """The outbox's disk refused a write (full, read-only, failing): worth trying again."""
    if isinstance(exc, OutboxError):
        return True
    return isinstance(exc, OSError) and exc.errno in DISK_ERRNOS


def disk_problem(exc: BaseException) -> str:
    """The status's ``disk`` for a write that failed with ``exc``."""
    return "full" if isinstance(exc, OutboxFull) else "cannot write"


class UploadQueue(QObject):
    """Enqueue for the store; every method returns at once (call them on the UI thread)."""

    status_changed = Signal(dict)  # {items, bytes, rate_bps, last_error, oldest_us, ...}
    recovered = Signal(list)  # the store records ({"id", ...}) of calls a crash left open

    def __init__(
        self, outbox_dir: Path, parent: QObject | None = None, *, quota_bytes: int = 0
    ) -> None:
        super().__init__(parent)
        self.outbox_dir = outbox_dir
        self.quota_bytes = quota_bytes
        self.uploader: RecorderLink | None = None  # the upload-only worker, when one runs
        self._outbox: Outbox | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self._held: list[tuple[str, Write]] = []  # not written yet; the writer thread's
        self._live: set[str] = set()  # calls journalled as open (their audio is recording)
        self._live_lock = threading.Lock()
        self._unwritten = 0  # len(self._held), as the UI thread last heard
        self._journalled = 0  # the items in the outbox, as the UI thread last heard
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
        self._writer.submit(self._last_try)
        self._writer.shutdown(wait=True)
        if self.uploader is not None:
            self.uploader.stop()
        if self._outbox is not None:
            self._outbox.close()

    # ----- the API the desktop calls ---------------------------------------------------

    def recover(self, call_audio_dir: Path | None) -> None:
        """At start, before any call: end the calls a crash left open (sent as ended by the
        system, their card drafts as changes) and journal the recordings left in
        ``call_audio_dir`` (unmerged sides merged)."""

        ended: list[dict[str, Any]] = []

        def write(box: Outbox) -> None:
            closed = close_open_calls(box)
            ended.extend({"id": call_id, **record} for call_id, record in closed.items())
            found = []
            if call_audio_dir is not None and call_audio_dir.is_dir():
                with self._live_lock:
                    live = set(self._live)
                found = recover_call_audio(call_audio_dir, box, live)
            if closed or found:
                log.warning("uploads: recovered calls %s, recordings %s", list(closed), found)

        def done(_future: Future[None]) -> None:
            if ended:
                self.recovered.emit(list(ended))

        when_done(self._submit("the recovery of calls and recordings", write), done)

    def call_progress(self, record: dict[str, Any]) -> None:
        """A call in progress, journalled (not sent) so that a crash does not lose it; each
        call replaces the last."""
        call_id = str(record["id"])
        body = {k: v for k, v in record.items() if k != "id"}
        with self._live_lock:
            self._live.add(call_id)
        self._submit(f"call {call_id} in progress", lambda box: box.open_call(call_id, body))

    def card_draft(self, call_id: str, fields: dict[str, Any]) -> None:
        """The dialog card's values so far, during the call or its wrap-up (sent if the
        desktop dies before the card is finished)."""
        self._submit(f"the card of call {call_id}", lambda box: box.note_draft(call_id, fields))

    def call_ended(self, record: dict[str, Any], audio_wav: Path | None) -> None:
        """A finished call (the whole record for ``PUT /calls/{id}``) and its stereo WAV."""
        call_id = str(record["id"])
        body = {k: v for k, v in record.items() if k != "id"}
        with self._live_lock:
            self._live.discard(call_id)

        def write(box: Outbox) -> None:
            box.add_call(call_id, body)
            if audio_wav is not None and not box.has(f"audio:{call_id}"):  # (tried again)
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

        def due_now(box: Outbox) -> None:
            box.due_now()

        self._submit("retrying", due_now)

    @Slot(object)
    def on_worker_event(self, event: dict[str, Any]) -> None:
        """Connect to :attr:`RecorderLink.worker_event`: takes its ``upload_status`` (what
        this queue could not write yet counts as waiting too)."""
        if event.get("event") == "upload_status":
            if not self._worker_reports:
                self._worker_reports = True
                self._pace()
            state = {k: v for k, v in event.items() if k not in ("event", "at_us")}
            self._journalled = int(state.get("items") or 0)
            if self._unwritten:
                state["items"] = int(state.get("items") or 0) + self._unwritten
                state["unwritten"] = self._unwritten
                state["disk"] = state.get("disk") or self._status["disk"]
            self._set_status({**self._status, **state})

    def refresh(self) -> None:
        """Write what could not be written before, and read the outbox's own counts."""
        if self._closed:
            return
        future = self._writer.submit(self._counts)
        when_done(future, self._refreshed)

    # ----- inside (the writer thread) ---------------------------------------------------

    def _open(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox(self.outbox_dir, quota_bytes=self.quota_bytes)
        return self._outbox

    def _submit(self, what: str, work: Write) -> Future[None]:
        if self._closed:  # e.g. the agent's "offline" as the desktop shuts down
            log.warning("uploads: %s after the queue was closed: not journalled", what)
            done: Future[None] = Future()
            done.set_result(None)
            return done

        def run() -> None:
            self._held.append((what, work))
            self._flush()

        future = self._writer.submit(run)
        when_done(future, lambda f: self._written(what, f))
        return future

    def _flush(self) -> None:
        """Write the held writes in order; the first that fails stops it (and raises)."""
        while self._held:
            what, work = self._held[0]
            try:
                work(self._open())
            except Exception as exc:
                if _the_disk(exc):
                    raise HeldWrite(what, exc, len(self._held)) from exc
                self._held.pop(0)  # not the disk (a file gone, a bug): trying again won't help
                raise
            self._held.pop(0)

    def _last_try(self) -> None:
        """At exit: what still could not be written is said (the open calls in the outbox
        are ended at the next start; these writes are lost)."""
        try:
            self._flush()
        except HeldWrite as exc:
            lost = ", ".join(what for what, _work in self._held)
            log.error("uploads: at exit %d writes could not be written (%s): %s",
                      exc.waiting, lost, exc.cause)  # fmt: skip

    def _counts(self) -> dict[str, Any]:
        problem: HeldWrite | None = None
        try:
            self._flush()
        except HeldWrite as exc:
            problem = exc
        try:
            counts = self._open().status()
        except (OutboxError, OSError) as exc:  # the outbox cannot even be opened
            counts = {**EMPTY_STATUS, "disk": disk_problem(exc)}
            problem = problem or HeldWrite("the upload outbox", exc, len(self._held))
        counts["unwritten"] = len(self._held)
        counts["items"] += len(self._held)
        if problem is not None:
            counts["disk"] = counts["disk"] or disk_problem(problem.cause)
            counts["last_error"] = str(problem)
            counts["warning"] = counts["warning"] or str(problem)
        return counts

    # ----- inside (the UI thread) -------------------------------------------------------

    def _written(self, what: str, future: Future[None]) -> None:
        exc = future.exception()
        if exc is None:
            self.refresh()
            return
        if not isinstance(exc, HeldWrite):
            log.error("uploads: %s not queued for the store", what, exc_info=exc)
            self._set_status({**self._status, "last_error": f"{what}: {exc}"})
            return
        if not self._unwritten:  # the first of a run: said once, not per write
            log.error("uploads: %s", exc)
        self._unwritten = exc.waiting
        self._set_status(
            {
                **self._status,
                "last_error": str(exc),
                "warning": str(exc),
                "disk": disk_problem(exc.cause),
                "unwritten": exc.waiting,
                "items": self._journalled + exc.waiting,
            }
        )

    def _refreshed(self, future: Future[dict[str, Any]]) -> None:
        exc = future.exception()
        if exc is not None:
            self._set_status({**self._status, "last_error": f"the upload outbox: {exc}"})
            return
        counts = future.result()
        if self._unwritten and not counts["unwritten"]:
            log.warning("uploads: the outbox takes writes again; all written")
        self._unwritten = int(counts["unwritten"])
        self._journalled = int(counts["items"]) - self._unwritten
        keys: tuple[str, ...] = OUTBOX_KEYS
        if not self._worker_reports or self._unwritten:
            keys = (*OUTBOX_KEYS, "last_error")
        self._set_status({**self._status, **{k: counts[k] for k in keys}})

    def _pace(self) -> None:
        """Read the outbox often only while it matters: held writes to try again, or nobody
        else saying what the outbox holds."""
        fast = bool(self._unwritten) or not self._worker_reports
        interval = REFRESH_MS if fast else REPORTED_REFRESH_MS
        if interval != self._timer.interval() and not self._closed:
            self._timer.start(interval)

    def _set_status(self, status: dict[str, Any]) -> None:
        merged = {**EMPTY_STATUS, **status}
        merged["reason"] = waiting_reason(merged, self._identity_problem)
        self._pace()
        if merged != self._status:
            self._status = merged
            self.status_changed.emit(dict(merged))


def waiting_reason(status: dict[str, Any], identity_problem: str) -> str:
    """Why items wait, in words ('' when nothing waits or nothing is wrong)."""
    if not status.get("items") and not status.get("offline"):
        return ""
    if identity_problem:
        return identity_problem
    disk = str(status.get("disk") or "")
    if disk == "full":
        return QCoreApplication.translate("UploadQueue", "the disk is full: calls wait in memory")
    if disk:
        return QCoreApplication.translate("UploadQueue", "the data folder cannot be written")
    if status.get("parked"):
        text = QCoreApplication.translate("UploadQueue", "the store refused %1 item(s): %2")
        return text.replace("%1", str(status["parked"])).replace(
            "%2", str(status.get("parked_reason") or "")
        )
    error = str(status.get("last_error") or "")
    if not error:
        return ""
    if "cannot reach" in error or "timed out" in error.lower():
        return QCoreApplication.translate("UploadQueue", "the store cannot be reached")
    return QCoreApplication.translate("UploadQueue", "the store refused the last item: %1").replace(
        "%1", error
    )


class HeldWrite(OutboxError):
    """A write the outbox could not take; kept, with ``waiting`` writes in all, for later."""

    def __init__(self, what: str, cause: BaseException, waiting: int) -> None:
        self.cause, self.waiting = cause, waiting
        problem = "disk full" if isinstance(cause, OutboxFull) else "cannot write"
        super().__init__(f"{problem}: {what} kept to write later ({waiting} waiting): {cause}")


def _note(wav: Path) -> CallAudioNote | None:
    try:
        return read_note(note_path(wav))
    except (OSError, NoteError):
        return None

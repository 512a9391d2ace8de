"""The desktop's side of the screen recorder: it runs the worker process (``python -m
recorder.worker``), feeds it the calls, restarts it when it dies and records the gap.

Everything runs on the UI thread and nothing blocks it: QProcess buffers what is written to the
worker's stdin and delivers its stdout lines through signals. A call's recording window opens
when the call model adds the call and closes when its wrap-up finishes (the dialog card is
finished, or the wrap-up maximum is reached): the call model is the one closer. A restarted
worker is told the calls still open in the model (with their consent), the pause and the
pending marks again, so the segments of a call continue. A gap (worker dead → new worker
capturing again) is appended to ``OUT/recorder-gaps.jsonl`` (desktop/recording/gaps.py); the
operator's status line is worded by desktop/recording/status_line.py.

Pauses have reasons (``manual``: the operator's button; ``sensitive_field``: a sensitive card
field has focus), kept apart so that leaving a field does not end the operator's pause. The
operator's marks and every pause and resume (with its reason) are also noted in the call
model (``CallBook.note``) for each call in progress: they reach the store in the call's
``events`` whatever the screen recording policy, and QA playback shows them.

The worker also uploads the outbox. Before each start the store's token is read from the
keyring (or the session's, for the demo) on a worker thread and handed over in the worker's
environment (``$AGENTDESK_STORE_TOKEN``), never on its command line or in a log
(desktop/recording/worker_process.py). Without a display to record, the same worker runs
with ``--no-capture`` (and without calls).
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QProcess,
    QTimer,
    Signal,
    Slot,
)

from desktop.calls.model import Call, CallBook
from desktop.recording.gaps import GapJournal
from desktop.recording.options import LinkOptions, read_token
from desktop.recording.policy import needs_new_worker, policy_message
from desktop.recording.status_line import describe
from desktop.recording.worker_process import log_stderr, new_worker_process, read_events
from desktop.threads import run_in_thread
from formats import pipe, pipe_codec
from formats.clock import utc_us

log = logging.getLogger(__name__)

MAX_PENDING_MARKS = 200


class RecorderLink(QObject):
    """Supervises one worker; call slots on the UI thread only."""

    status_changed = Signal(str)  # what the operator reads: is the screen being recorded?
    worker_event = Signal(object)  # every event of the worker (a dict)
    gap_recorded = Signal(object)  # the gap's JSON line (a dict)
    pauses_changed = Signal()  # a pause reason began or ended (desktop.recording.audio_pause)

    def __init__(
        self, options: LinkOptions, book: CallBook | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.options = options
        self.book = book
        self.state: dict[str, Any] = {}
        self.restarts = 0
        self.status_text = ""
        self._proc: QProcess | None = None
        self._ready = False
        self._stopping = False
        self._attempt = 0
        self._capturing_since: int | None = None
        self._fatal = ""
        self.gaps = GapJournal()
        self._watch = pipe.Watch(watched=False)
        self._pauses: set[str] = set()  # manual, sensitive_field
        self._pending_marks: list[pipe.Mark] = []
        self._restart = QTimer(self)
        self._restart.setSingleShot(True)
        self._restart.timeout.connect(self._launch)
        self._ready_since: int | None = None
        self._reading_token = False
        self._token_restart = False  # a new store token waits for the worker to restart
        self._replacing: QProcess | None = None
        if book is not None:
            book.added.connect(self._call_added)
            book.wrap_up_finished.connect(self._wrap_up_finished)
            book.ended.connect(self._restart_if_idle)
            book.wrap_up_finished.connect(self._restart_if_idle)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        if proc is None or proc.state() != QProcess.ProcessState.Running:
            return None
        return int(proc.processId())

    # ----- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        with contextlib.suppress(OSError):  # else the worker reports why, as an error event
            self.options.out_dir.mkdir(parents=True, exist_ok=True)
        self._launch()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the worker (it finishes its segments); blocks up to ``timeout_s``: at exit."""
        self._stopping = True
        self._restart.stop()
        proc = self._proc
        if proc is not None and proc.state() != QProcess.ProcessState.NotRunning:
            self._send(pipe.Stop())
            proc.closeWriteChannel()
            if not proc.waitForFinished(round(timeout_s * 1000)):
                log.warning("recorder: the worker did not stop in %.0f s; killing it", timeout_s)
                proc.kill()
                proc.waitForFinished(5000)
        if self.gaps.is_open:
            self._end_gap(utc_us(), "; the desktop stopped before the worker came back")
        self._set_status(self.tr("Screen recorder stopped"))
        # Leave no deferred delete or queued signal of a finished worker behind: the link may
        # be destroyed right after this, outside any event loop.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()

    def restart_for_new_token(self) -> None:
        """A new store token was saved: the worker's uploader must use it. The worker stops
        cleanly and starts again at once (a recording one once no call is live or in its
        wrap-up)."""
        self._token_restart = True
        self._restart_if_idle()

    def _restart_if_idle(self, *_: object) -> None:
        if not self._token_restart or self._stopping:
            return
        book = self.book
        if self.options.capture and book is not None and (book.rows or book.in_wrap_up()):
            return  # again when a call or its wrap-up ends: its recording window is not cut
        proc = self._proc
        if proc is None:  # not running: the next start reads the token anyway
            self._token_restart = False
            return
        if not self._send(pipe.Stop()):  # still starting: ask again shortly
            QTimer.singleShot(1000, self._restart_if_idle)
            return
        self._token_restart = False
        self._replacing = proc
        proc.closeWriteChannel()
        log.info("recorder: restarting the worker for the new store token")

    def _launch(self) -> None:
        """Start the worker; with uploads on, once the token was read off the UI thread."""
        if self._stopping or self._reading_token:
            return
        store_url = self.options.worker.store_url
        if not store_url:
            self._spawn(None)
            return
        self._reading_token = True
        run_in_thread(lambda: read_token(store_url), self._token_read)

    def _token_read(self, future: Future[str | None]) -> None:
        self._reading_token = False
        token = future.result() if future.exception() is None else None
        self._spawn(token)

    def _spawn(self, token: str | None) -> None:
        if self._stopping:
            return
        proc = new_worker_process(self, token)
        proc.readyReadStandardOutput.connect(lambda: self._read_stdout(proc))
        proc.readyReadStandardError.connect(lambda: log_stderr(proc))
        proc.finished.connect(lambda code, status: self._finished(proc, code, status))
        proc.errorOccurred.connect(lambda error: self._failed_to_start(proc, error))
        self._proc, self._ready, self._fatal = proc, False, ""
        self.state = {}
        command = self.options.command()
        log.info("recorder: starting the worker: %s", " ".join(command[1:]))
        proc.start(command[0], command[1:])
        if not self.gaps.is_open:
            self._set_status(self.tr("Screen recorder starting…"))

    def _failed_to_start(self, proc: QProcess, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and proc is self._proc:
            self._died(f"the worker could not be started: {proc.errorString()}")

    def _finished(self, proc: QProcess, code: int, status: QProcess.ExitStatus) -> None:
        proc.deleteLater()
        if proc is self._replacing:  # stopped for a new token: started again at once
            self._replacing = None
            if proc is self._proc:
                self._read_stdout(proc)
                self._proc, self._ready, self.state = None, False, {}
                self._launch()
            return
        if proc is not self._proc:
            return
        self._read_stdout(proc)
        log_stderr(proc)
        if status == QProcess.ExitStatus.CrashExit:
            why = f"the worker was killed by signal {code}"
        else:
            why = f"the worker exited with status {code}"
        self._died(f"{self._fatal} ({why})" if self._fatal else why)

    def _died(self, reason: str) -> None:
        self._proc, self._ready = None, False
        self.state = {}
        if self._stopping:
            return
        now = utc_us()
        log.error("recorder: %s", reason)
        capture = self.options.capture  # upload only: no screen, so no gap; just restart
        since = self._capturing_since if capture else self._ready_since
        if since is not None and now - since >= round(self.options.stable_s * 1e6):
            self._attempt = 0
        self._capturing_since = self._ready_since = None
        delays = self.options.backoff_s
        delay = delays[min(self._attempt, len(delays) - 1)]
        self._attempt += 1
        self.restarts += 1
        if not capture:
            self._restart.start(round(delay * 1000))
            return
        self.gaps.worker_died(now, reason)
        self._set_status(
            self.tr("Screen recording INTERRUPTED (%1); restarting in %2 s")
            .replace("%1", reason)
            .replace("%2", f"{delay:g}")
        )
        self._restart.start(round(delay * 1000))

    def _end_gap(self, end_us: int, note: str = "") -> None:
        line = self.gaps.end(self.options.out_dir, end_us, note)
        if line is not None:
            self.gap_recorded.emit(line)

    # ----- the pipe -------------------------------------------------------------------

    def _send(self, message: pipe.Command) -> bool:
        proc = self._proc
        if proc is None or not self._ready:
            return False
        proc.write(pipe_codec.encode(message).encode())
        return True

    def _read_stdout(self, proc: QProcess) -> None:
        for event in read_events(proc):
            if proc is self._proc:
                self._on_event(event)

    def _on_event(self, event: pipe.Event) -> None:
        if isinstance(event, pipe.Ready):
            self._ready = True
            self._ready_since = utc_us()
            if self.options.capture:
                self._send(policy_message(self.options.worker, self.options.pause_audio))
                self._replay()
        elif isinstance(event, pipe.RecorderState):  # ``state`` and ``status``
            self.state = pipe_codec.to_json(event)
            if event.capturing and self._capturing_since is None:
                self._capturing_since = event.at_us or utc_us()
                if self.gaps.is_open:
                    self._end_gap(self._capturing_since)
        elif isinstance(event, pipe.WorkerError):
            level = logging.ERROR if event.fatal else logging.WARNING
            log.log(level, "recorder: %s: %s", event.kind, event.message)
            if event.fatal:
                self._fatal = event.message
        elif isinstance(event, pipe.SegmentDone):
            log.info("recorder: segment kept for %s", ", ".join(event.call_ids))
        elif isinstance(event, pipe.LiveState) and not event.watched and self._watch.watched:
            # The store told the worker nobody watches any more: a watch that begins before
            # the next presence answer must be sent again.
            self._watch = pipe.Watch(watched=False)
        self.worker_event.emit(pipe_codec.to_json(event))
        self._update_status()

    def _replay(self) -> None:
        """Tell a (new) worker what the desktop knows: open calls, pause, pending marks."""
        for call in self.book.calls.values() if self.book is not None else ():
            if call.wrap_up_end_us is None:
                self._send(self._open_message(call))
                if call.consent_us is not None:
                    self._send(pipe.Consent(call_id=call.call_id, at_us=call.consent_us))
        for reason in sorted(self._pauses):
            self._send(pipe.Pause(reason=reason))
        if self._watch.watched:
            self._send(self._watch)
        marks, self._pending_marks = self._pending_marks, []
        for mark in marks:
            self._send(mark)

    # ----- calls and controls ---------------------------------------------------------

    def _open_message(self, call: Call) -> pipe.OpenWindow:
        return pipe.OpenWindow(
            call_id=call.call_id,
            at_us=call.started_us,
            queue=self.book.pbx.read(call.headers).get("queue", "") if self.book else "",
            # the policy's agent rules name the store's users: the token's owner once known
            agent=(self.book.agent if self.book is not None else "") or self.options.agent,
        )

    @Slot(object)
    def _call_added(self, call: Call) -> None:
        """A call rings, is dialled or took over another: its recording window opens."""
        self._send(self._open_message(call))

    @Slot(object)
    def _wrap_up_finished(self, call: Call) -> None:
        """The call's wrap-up is over: its recording window closes then."""
        at = call.wrap_up_end_us if call.wrap_up_end_us is not None else utc_us()
        self._send(pipe.CloseWindow(call_id=call.call_id, at_us=at))

    def watch(self, watched: bool, agent: str) -> None:
        """A supervisor watches this screen (the store's presence answer): while so, the worker
        sends the recorded picture to the store as ``agent``."""
        command = pipe.Watch(watched=watched, agent=agent if watched else "")
        if command != self._watch:
            self._watch = command
            self._send(command)

    def consent(self, call_id: str) -> None:
        at = utc_us()
        if self.book is not None and self.book.note_consent(call_id, at) is None:
            return
        self._send(pipe.Consent(call_id=call_id, at_us=at))

    def mark(self, call_id: str, event: str) -> None:
        at = utc_us()
        if self.book is not None:
            self.book.note(call_id, event, at_us=at)
        message = pipe.Mark(call_id=call_id, event=event, at_us=at)
        if not self._send(message) and len(self._pending_marks) < MAX_PENDING_MARKS:
            self._pending_marks.append(message)

    @property
    def paused(self) -> bool:
        return bool(self._pauses)

    def set_policy(self, options: LinkOptions) -> None:
        """Follow a changed recording policy: the worker takes new rules and title masks at
        once; a new frame rate or pre-roll takes a new worker, started right away."""
        old, self.options = self.options, options
        if needs_new_worker(old.worker, options.worker) and self._send(pipe.Stop()):
            self._fatal, self._attempt = "restarting for the recording policy", 0
        else:
            self._send(policy_message(options.worker, options.pause_audio))

    @property
    def pause_reasons(self) -> frozenset[str]:
        return frozenset(self._pauses)

    def pause(self, reason: str = "manual") -> None:
        """Black out the screen (and silence the call audio, by policy) for ``reason``."""
        if reason in self._pauses:
            return
        self._pauses.add(reason)
        at = utc_us()
        self._note_calls("pause", reason, at)
        self._send(pipe.Pause(reason=reason, at_us=at))
        self.pauses_changed.emit()

    def resume(self, reason: str = "manual") -> None:
        """``reason`` no longer holds; the recording resumes when no other reason does."""
        if reason not in self._pauses:
            return
        self._pauses.discard(reason)
        at = utc_us()
        self._note_calls("resume", reason, at)
        self._send(pipe.Resume(reason=reason, at_us=at))
        self.pauses_changed.emit()

    def _note_calls(self, kind: str, reason: str, at_us: int) -> None:
        book = self.book
        if book is None:
            return
        for call in list(book.calls.values()):
            if call.wrap_up_end_us is None:
                book.note(call.call_id, kind, reason, at_us)

    # ----- what the operator sees -----------------------------------------------------

    def _update_status(self) -> None:
        if self.gaps.is_open:
            return  # the interruption stays shown until the new worker captures
        self._set_status(describe(self.state, self.options.capture))

    def _set_status(self, text: str) -> None:
        if text != self.status_text:
            self.status_text = text
            self.status_changed.emit(text)

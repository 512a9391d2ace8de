"""``python -m recorder.worker``: the recorder process the desktop starts and drives by a pipe.

    python -m recorder.worker --out DIR [--display :N] [--fps F] [--preroll S]
                              [--mask-title REGEX ...] [--policy all|sampled|consent] ...
    python -m recorder.worker --out DIR --no-capture --store-url URL ...   (upload only)

Commands come as JSON lines on stdin, events go out as JSON lines on stdout, logs on stderr.
The protocol and the pre-roll design are in recorder/README.md ("The worker"). In short: the
screen is recorded all the time into ``DIR/spool`` in short segments; a call's window claims
the segments from ``preroll`` seconds before it opened until its wrap-up ends; claimed segments
move to ``DIR`` (for the uploader) once no later window can claim them, the rest is deleted.

This module is the process: commands in, events out, the marks, the threads and the exit
status; what the commands do to the windows, the recorder and the masks is
:class:`~recorder.worker_recording.Recording`.

Threads: the capture loop (:class:`~recorder.segments.pipeline.ScreenRecorder`), a housekeeping
thread (scheduled closes, title masks, spool settling, events) and a stdin reader; the main thread
waits for the end. With ``--no-capture`` (no display to record) only the uploader and the stdin
reader run: call audio and metadata journalled by the desktop still reach the store. Exit status: 0
stopped, 2 bad arguments, 3 display, 4 disk full, 1 other."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import IO

from formats import pipe, pipe_codec
from formats.clock import utc_us
from recorder.capture.grab import CaptureError
from recorder.outbox.silences import SILENCES_NAME, SilenceJournal
from recorder.segments.config import RecorderConfig
from recorder.segments.encoder import EncodeError, StorageFull
from recorder.segments.pipeline import ScreenRecorder
from recorder.segments.spool import SPOOL_NAME
from recorder.segments.windows import RecordingWindows
from recorder.worker_live import LiveScreen
from recorder.worker_masks import ScreenMasks
from recorder.worker_options import WorkerOptions
from recorder.worker_recording import Recording, UnknownCall
from recorder.worker_spool import Spool
from recorder.worker_upload import UploadSide

log = logging.getLogger("recorder.worker")

EXIT_OK, EXIT_ERROR, EXIT_DISPLAY, EXIT_STORAGE = 0, 1, 3, 4  # 2: bad arguments (argparse)
MARKS_NAME = "marks.jsonl"
STALL_S = 20.0  # no grab for this long while running: the capture loop is stuck
# The housekeeping thread's pace (settling the spool, state and live events) while a window is
# open or a supervisor watches, and while no window is (nothing the desktop shows changes
# then but by a command, answered at once); scheduled closes and title polls are kept on
# time between passes.
HOUSEKEEPING_S = 0.25
HOUSEKEEPING_QUIET_S = 1.0


class Worker:
    """One recorder process: see the module docstring."""

    def __init__(self, options: WorkerOptions, out: IO[str]) -> None:
        self.options = options
        self._out = out
        self._out_lock = threading.Lock()
        self._lock = threading.RLock()  # windows, spool, masks
        self._state_lock = threading.Lock()  # taken before self._lock, never after
        self._done = threading.Event()
        self.exit_code = EXIT_OK
        self.windows = RecordingWindows(options.policy, options.preroll_s)
        config = RecorderConfig(
            out_dir=options.out_dir / SPOOL_NAME,
            display=options.display,
            monitor=options.monitor,
            fps=options.fps,
            scale_width=options.scale_width,
        )
        self.live = LiveScreen(self.emit, lambda: self.uploads.live_client())
        self.recorder = ScreenRecorder(
            config,
            on_segment=lambda m: self.spool.add(m),
            on_picture=self.live.publisher.offer,
            mask_check=self._check_titles,
        )
        self.masks = ScreenMasks(list(options.mask_titles), options.display)
        self.silences = SilenceJournal(options.outbox_path / SILENCES_NAME)
        self.capturing = False
        self.last_error = ""
        self._last_state: pipe.RecorderState | None = None
        # The uploader holds a call's record while more of its segments may come.
        self.uploads = UploadSide(
            options,
            self.emit,
            lambda call_id: self.spool.may_grow(call_id),
            silences=self.silences,
        )
        self.spool = Spool(
            options.out_dir,
            options.preroll_s,
            windows=self.windows,
            uploads=self.uploads,
            lock=self._lock,
            emit=self.emit,
            error=self._error,
        )
        self.recording = Recording(
            options,
            windows=self.windows,
            recorder=self.recorder,
            masks=self.masks,
            silences=self.silences,
            spool=self.spool,
            lock=self._lock,
            error=self._error,
        )

    # ----- events out ----------------------------------------------------------------

    def emit(self, event: pipe.Event) -> None:
        line = pipe_codec.encode(event)
        with self._out_lock:
            try:
                self._out.write(line)
                self._out.flush()
            except (BrokenPipeError, ValueError, OSError):
                self._done.set()  # nobody is listening any more: the desktop is gone

    def status(self, kind: type[pipe.RecorderState] = pipe.RecorderState) -> pipe.RecorderState:
        with self._lock:
            return kind(
                recording=self.capturing and bool(self.windows.active_ids()),
                capturing=self.capturing,
                paused=self.masks.paused,
                pause_reasons=sorted(self.masks.pauses),
                masked=[t.title for t in self.masks.masked],
                mask_failed=self.masks.failed,
                windows=[w.to_json() for w in self.windows.open_windows()],
                segments=self.spool.kept,
                spool=len(self.spool),
                policy=self.windows.policy.to_json(),
                last_error=self.last_error,
            )

    def _check_titles(self) -> None:
        """Between each grab and its masking: a masked title came or went. The desktop hears
        it at once, not at the next housekeeping pass: it silences the call audio at its
        source while such a window shows."""
        if self.recording.poll_titles(if_changed=True):
            self._emit_state()

    def _emit_state(self) -> None:
        """A ``state`` event when something the desktop shows changed (one thread at a time,
        so an older state is never sent after a newer one)."""
        with self._state_lock:
            state = self.status()
            shown = dataclasses.replace(state, segments=0, spool=0)
            if shown != self._last_state:
                self._last_state = shown
                self.emit(state)

    def _error(self, kind: str, message: str, *, fatal: bool = False) -> None:
        log.log(logging.ERROR if fatal else logging.WARNING, "%s: %s", kind, message)
        self.last_error = message
        self.emit(pipe.WorkerError(kind=kind, message=message, fatal=fatal))

    # ----- commands in ----------------------------------------------------------------

    def handle(self, command: pipe.Command) -> None:
        """One command (see recorder/README.md); a bad one is answered by an error event."""
        try:
            self._dispatch(command)
        except UnknownCall as exc:
            self._bad(command, "unknown_call", str(exc.args[0]))
        except (KeyError, TypeError, ValueError) as exc:
            self._bad(command, "bad_command", str(exc.args[0] if exc.args else exc))
        except OSError as exc:  # marks.jsonl or silences.jsonl on a full disk
            self._error("storage", f"{command.NAME}: {exc}")
        self._emit_state()

    def _bad(self, command: pipe.Command, kind: str, text: str) -> None:
        self.emit(pipe.WorkerError(kind=kind, message=f"{command.NAME}: {text}"))

    def _dispatch(self, command: pipe.Command) -> None:
        match command:
            case pipe.OpenWindow():
                with self._lock:
                    self.recording.open_window(command, self._at(command.at_us))
            case pipe.CloseWindow():
                with self._lock:
                    self.recording.close_window(command.call_id, self._at(command.at_us))
            case pipe.Consent():
                with self._lock:
                    self.recording.consent(command.call_id, self._at(command.at_us))
            case pipe.Mark():
                self._mark(command.call_id, command.event, self._at(command.at_us))
            case pipe.Pause() | pipe.Resume():
                on = isinstance(command, pipe.Pause)
                self._pause(command.reason, on, self._at(command.at_us))
            case pipe.SetPolicy():
                with self._lock:
                    self.recording.set_policy(command)
            case pipe.Status():
                self.emit(self.status(pipe.RecorderStatus))
            case pipe.UploadStatusRequest():
                self.emit(self.uploads.status())
            case pipe.Watch():
                self.live.watch(command, capture=self.options.capture)
                self.recorder.wake()  # a watch begins with the picture of a tick
            case pipe.Stop():
                self._done.set()

    @staticmethod
    def _at(at_us: int | None) -> int:
        return utc_us() if at_us is None else at_us

    def _pause(self, reason: str, on: bool, at_us: int) -> None:
        with self._lock:
            changed = self.recording.pause(reason, on, at_us)
            calls = self.windows.active_ids()
        if changed:
            for call_id in calls:
                self._mark(call_id, "pause" if on else "resume", at_us, reason)

    def _mark(self, call_id: str, event: str, at_us: int, detail: str = "") -> None:
        data = {"call_id": call_id, "event": event, "utc_us": at_us}
        line = json.dumps({**data, "detail": detail} if detail else data) + "\n"
        fd = os.open(self.options.out_dir / MARKS_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        self.emit(pipe.Marked(call_id=call_id, mark=event, utc_us=at_us, detail=detail))

    # ----- threads --------------------------------------------------------------------

    def _capture(self) -> None:
        try:
            self.recorder.run()
        except StorageFull as exc:
            self._fatal("disk_full", f"disk full, recording stopped: {exc}", EXIT_STORAGE)
        except CaptureError as exc:
            self._fatal("display", f"{exc}; recording stopped", EXIT_DISPLAY)
        except (EncodeError, OSError) as exc:
            self._fatal("recording", f"recording stopped: {exc}", EXIT_ERROR)
        except Exception as exc:
            log.exception("the capture loop failed")
            self._fatal("internal", f"recording stopped: {exc!r}", EXIT_ERROR)
        finally:
            self._done.set()

    def _fatal(self, kind: str, message: str, code: int) -> None:
        self.exit_code = code
        self._error(kind, message, fatal=True)

    def _housekeeping(self) -> None:
        next_titles = 0.0
        last_grabs, last_progress = 0, time.monotonic()
        while not self._done.wait(self._housekeeping_wait(next_titles)):
            now = time.monotonic()
            with self._lock:
                self.recording.close_due()
            grabs = self.recorder.stats.grabs
            if grabs != last_grabs:
                last_grabs, last_progress = grabs, now
                self.capturing = True
            elif self.capturing and now - last_progress > STALL_S:
                self._fatal("stalled", f"no screen grab for {STALL_S:.0f} s", EXIT_ERROR)
                os._exit(EXIT_ERROR)  # the capture thread is stuck; recover() cleans up
            if self.masks.polling and now >= next_titles:
                next_titles = now + self.options.title_poll_s
                self.recording.poll_titles()
            with self._lock:
                self.spool.settle()
            self._emit_state()
            self.live.report()

    def _housekeeping_wait(self, next_titles: float) -> float:
        """Seconds until the next pass: :data:`HOUSEKEEPING_S` or, once capturing, with no
        window open and nobody watching, :data:`HOUSEKEEPING_QUIET_S`; less when a window's
        scheduled close or the next title poll comes sooner."""
        with self._lock:
            close_us = self.windows.next_close_us()
            busy = (
                not self.capturing
                or self.live.publisher.watching
                or bool(self.windows.open_windows())
            )
        wait = HOUSEKEEPING_S if busy else HOUSEKEEPING_QUIET_S
        if close_us is not None:
            wait = min(wait, (close_us - utc_us()) / 1e6)
        if self.masks.polling:
            wait = min(wait, next_titles - time.monotonic())
        return max(wait, 0.0)

    def _read_commands(self, stdin: IO[str]) -> None:
        for line in stdin:
            if not line.strip():
                continue
            try:
                command = pipe_codec.decode(line, pipe.Command)
            except pipe.PipeError as exc:
                self.emit(pipe.WorkerError(kind="bad_command", message=f"not a command: {exc}"))
                continue
            self.handle(command)
            if self._done.is_set():
                return
        self._done.set()  # EOF: the desktop closed the pipe or died

    def run(self, stdin: IO[str]) -> int:
        capture = self.options.capture
        try:
            if capture:
                with self._lock:
                    self.spool.prepare()
            else:
                self.options.out_dir.mkdir(parents=True, exist_ok=True)
        except (OSError, StorageFull) as exc:
            self._fatal("storage", f"cannot use {self.options.out_dir}: {exc}", EXIT_STORAGE)
            return self.exit_code
        with self._lock:
            self.recording.note_silence()  # closes a span a dead worker left open
        self.uploads.start()
        if capture and self.masks.polling:
            self.recording.poll_titles()  # masked from the very first frame
        self.emit(
            pipe.Ready(
                pid=os.getpid(),
                out_dir=str(self.options.out_dir),
                preroll_s=self.options.preroll_s,
                fps=self.options.fps,
                policy=self.windows.policy.to_json(),
                capture=capture,
            )
        )
        self.emit(self.uploads.status())
        threads = [
            threading.Thread(target=self._capture, name="capture"),
            threading.Thread(target=self._housekeeping, name="housekeeping"),
        ]
        if not capture:
            threads = []
        else:
            self.live.publisher.start()
        for thread in threads:
            thread.start()
        threading.Thread(target=self._read_commands, args=(stdin,), daemon=True).start()
        # No timeout: a signal handler (SIGTERM, SIGINT) still runs while it waits.
        self._done.wait()
        self.recorder.stop()
        self.live.publisher.stop()
        for thread in threads:
            thread.join(30)
        if capture:
            with self._lock:
                self.spool.settle(everything=True)
        self.uploads.stop()
        self.masks.close()
        self.emit(pipe.Stopped(code=self.exit_code, segments=self.spool.kept))
        return self.exit_code

    def request_stop(self) -> None:
        self._done.set()


def main(argv: list[str] | None = None) -> int:
    options = WorkerOptions.from_argv(argv)
    logging.basicConfig(
        level=logging.INFO if options.verbose else logging.WARNING,
        format="recorder.worker: %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    worker = Worker(options, sys.stdout)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.warning("%s: stopping", signal.Signals(signum).name)
        worker.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return worker.run(sys.stdin)


if __name__ == "__main__":
    sys.exit(main())

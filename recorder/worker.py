"""``python -m recorder.worker``: the recorder process the desktop starts and drives by a pipe.

    python -m recorder.worker --out DIR [--display :N] [--fps F] [--preroll S]
                              [--mask-title REGEX ...] [--policy all|sampled|consent] ...
    python -m recorder.worker --out DIR --no-capture --store-url URL ...   (upload only)

Commands come as JSON lines on stdin, events go out as JSON lines on stdout, logs on stderr.
The protocol and the pre-roll design are in recorder/README.md ("The worker"). In short: the
screen is recorded all the time into ``DIR/spool`` in short segments; a call's window claims
the segments from ``preroll`` seconds before it opened until its wrap-up ends; claimed segments
move to ``DIR`` (for the uploader) once no later window can claim them, the rest is deleted.

Threads: the capture loop (:class:`~recorder.segments.pipeline.ScreenRecorder`), a housekeeping
thread (scheduled closes, title masks, spool settling, events) and a stdin reader; the main thread
waits for the end. With ``--no-capture`` (no display to record) only the uploader and the stdin
reader run: call audio and metadata journalled by the desktop still reach the store. Exit status: 0
stopped, 2 bad arguments, 3 display, 4 disk full, 1 other."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import IO, Any

from formats.clock import utc_us
from recorder.capture.geometry import Rect
from recorder.capture.grab import CaptureError
from recorder.capture.titles import TitleError, TitleMasks, TopLevel
from recorder.segments.encoder import EncodeError, StorageFull
from recorder.segments.pipeline import RecorderConfig, ScreenRecorder
from recorder.segments.spool import SpoolFolder, manifest_name, trim_heap
from recorder.segments.windows import RecordingPolicy, RecordingWindows, SpoolIndex, SpoolSegment
from recorder.segments.writer import Manifest
from recorder.worker_options import WorkerOptions, parse_options
from recorder.worker_upload import UploadSide

log = logging.getLogger("recorder.worker")

EXIT_OK, EXIT_ERROR, EXIT_DISPLAY, EXIT_STORAGE = 0, 1, 3, 4  # 2: bad arguments (argparse)
EVERYTHING = Rect(0, 0, 1 << 15, 1 << 15)  # X coordinates are 16-bit: the whole desktop
MARKS_NAME = "marks.jsonl"
LATE_S = 2.0  # how late a window may open after the time stamped on its call event
LEFTOVER_HOLD_S = 15.0  # a new worker keeps a dead one's unclaimed segments this long
STALL_S = 20.0  # no grab for this long while running: the capture loop is stuck
SETTLE_MARGIN_S = 5.0  # a closed window's last segment is kept within this of settling


class UnknownCall(LookupError):
    """A command named a call that has no open window (e.g. closed twice)."""


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
        self.spool = SpoolIndex(options.preroll_s, LATE_S)
        self.folder = SpoolFolder(options.out_dir)
        config = RecorderConfig(
            out_dir=self.folder.path,
            display=options.display,
            monitor=options.monitor,
            fps=options.fps,
            scale_width=options.scale_width,
        )
        self.recorder = ScreenRecorder(config, on_segment=self._on_segment)
        self._standby: bool | None = None
        self._segment_mode(standby=True)
        self.titles = TitleMasks(options.mask_titles, options.display)
        self.paused = False
        self.masked: list[TopLevel] = []
        self.mask_failed = False
        self.capturing = False
        self.kept = 0
        self.last_error = ""
        self._last_state: dict[str, Any] = {}
        self.uploads = UploadSide(options, self.emit, self._call_may_grow)

    # ----- events out ----------------------------------------------------------------

    def emit(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, "at_us": utc_us(), **fields}, separators=(",", ":"))
        with self._out_lock:
            try:
                self._out.write(line + "\n")
                self._out.flush()
            except (BrokenPipeError, ValueError, OSError):
                self._done.set()  # nobody is listening any more: the desktop is gone

    def status(self) -> dict[str, Any]:
        with self._lock:
            active = self.windows.active_ids()
            return {
                "recording": self.capturing and bool(active),
                "capturing": self.capturing,
                "paused": self.paused,
                "masked": [t.title for t in self.masked],
                "mask_failed": self.mask_failed,
                "windows": [w.to_json() for w in self.windows.open_windows()],
                "segments": self.kept,
                "spool": len(self.spool),
                "policy": self.windows.policy.to_json(),
                "last_error": self.last_error,
            }

    def _emit_state(self) -> None:
        """A ``state`` event when something the desktop shows changed (one thread at a time,
        so an older state is never sent after a newer one)."""
        with self._state_lock:
            state = self.status()
            key = {k: v for k, v in state.items() if k not in ("segments", "spool")}
            if key != self._last_state:
                self._last_state = key
                self.emit("state", **state)

    def _error(self, kind: str, message: str, *, fatal: bool = False) -> None:
        log.log(logging.ERROR if fatal else logging.WARNING, "%s: %s", kind, message)
        self.last_error = message
        self.emit("error", kind=kind, message=message, fatal=fatal)

    # ----- commands in ----------------------------------------------------------------

    def handle(self, message: dict[str, Any]) -> None:
        """One command (see recorder/README.md); a bad one is answered by an error event."""
        command = message.get("cmd")
        handler = getattr(self, f"_cmd_{command}", None) if isinstance(command, str) else None
        if handler is None:
            self.emit("error", kind="bad_command", message=f"unknown command {command!r}")
            return
        try:
            handler(message)
        except UnknownCall as exc:
            self.emit("error", kind="unknown_call", message=f"{command}: {exc.args[0]}")
        except (KeyError, TypeError, ValueError) as exc:
            text = f"{command}: {exc.args[0] if exc.args else exc}"
            self.emit("error", kind="bad_command", message=text)
        except OSError as exc:  # marks.jsonl on a full disk
            self._error("storage", f"{command}: {exc}")
        self._emit_state()

    @staticmethod
    def _call_id(message: dict[str, Any]) -> str:
        call_id = message["call_id"]
        if not isinstance(call_id, str) or not call_id:
            raise ValueError("call_id must be a non-empty string")
        return call_id

    @staticmethod
    def _at(message: dict[str, Any]) -> int:
        at = message.get("at_us")
        if at is None:
            return utc_us()
        if isinstance(at, bool) or not isinstance(at, int):
            raise ValueError("at_us must be an integer (UTC µs)")
        return at

    def _cmd_open_window(self, message: dict[str, Any]) -> None:
        call_id, at = self._call_id(message), self._at(message)
        queue, agent = str(message.get("queue", "")), str(message.get("agent", ""))
        with self._lock:
            window = self.windows.open(call_id, at, queue=queue, agent=agent)
            if window.recording and window.recording_from_us is not None:
                for segment in self.spool.claim(call_id, window.recording_from_us):
                    self._rewrite(segment)
            self._apply()

    def _cmd_close_window(self, message: dict[str, Any]) -> None:
        call_id, at = self._call_id(message), self._at(message)
        with self._lock:
            was = self.windows.active_ids()
            if self.windows.close(call_id, at, utc_us()) is None:
                raise UnknownCall(f"no open window for call {call_id}")
            if self.windows.active_ids() != was:
                self._apply(cut=True)  # the next segment no longer lists the call

    def _cmd_consent(self, message: dict[str, Any]) -> None:
        call_id, at = self._call_id(message), self._at(message)
        with self._lock:
            was = self.windows.active_ids()
            if self.windows.get(call_id) is None:
                raise UnknownCall(f"no open window for call {call_id}")
            self.windows.consent(call_id, at)
            if self.windows.active_ids() != was:
                # Cut first: the segment in progress holds the screen from before consent.
                self._apply(cut_first=True)

    def _cmd_mark(self, message: dict[str, Any]) -> None:
        self._mark(self._call_id(message), str(message["event"]), self._at(message))

    def _cmd_pause(self, _message: dict[str, Any]) -> None:
        self._pause(True)

    def _cmd_resume(self, _message: dict[str, Any]) -> None:
        self._pause(False)

    def _pause(self, paused: bool) -> None:
        """The whole picture black (not dropped) from the next frame on, or back."""
        with self._lock:
            changed, self.paused = paused != self.paused, paused
            self._apply_mask()
            calls = self.windows.active_ids()
        if changed:
            for call_id in calls:
                self._mark(call_id, "pause" if paused else "resume", utc_us())

    def _cmd_set_policy(self, message: dict[str, Any]) -> None:
        policy = RecordingPolicy.from_json({k: v for k, v in message.items() if k != "cmd"})
        with self._lock:
            self.windows.policy = policy  # for windows opened from now on

    def _cmd_status(self, _message: dict[str, Any]) -> None:
        self.emit("status", **self.status())

    def _cmd_upload_status(self, _message: dict[str, Any]) -> None:
        self.emit("upload_status", **self.uploads.status())

    def _cmd_stop(self, _message: dict[str, Any]) -> None:
        self._done.set()

    def _mark(self, call_id: str, event: str, at_us: int) -> None:
        line = json.dumps({"call_id": call_id, "event": event, "utc_us": at_us}) + "\n"
        fd = os.open(self.options.out_dir / MARKS_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        self.emit("marked", call_id=call_id, mark=event, utc_us=at_us)

    # ----- windows → recorder (callers hold self._lock) -------------------------------

    def _apply(self, *, cut: bool = False, cut_first: bool = False) -> None:
        ids = self.windows.active_ids()
        if cut_first:
            self.recorder.cut()
        self.recorder.set_call_ids(ids)
        self._segment_mode(standby=not ids)
        if cut:
            self.recorder.cut()

    def _segment_mode(self, *, standby: bool) -> None:
        """Short spool segments while no window records (a kept pre-roll is at most one of
        them longer than the pre-roll), the recorder's long ones while one does."""
        if standby == self._standby:
            return
        self._standby = standby
        config, opts = self.recorder.config, self.options
        # Read by the capture loop at every tick; each assignment is atomic.
        if standby:
            config.segment_s = opts.standby_segment_s
            config.segment_idle_s = 2 * opts.standby_segment_s
        else:
            config.segment_s = opts.segment_s
            config.segment_idle_s = RecorderConfig.segment_idle_s

    def _apply_mask(self) -> None:
        if self.paused or self.mask_failed:
            rects = [EVERYTHING]
        else:
            rects = [t.rect for t in self.masked if t.rect is not None]
        self.recorder.set_mask(rects)

    # ----- segments (the capture thread calls _on_segment) ----------------------------

    def _on_segment(self, manifest: Manifest) -> None:
        trim_heap()
        segment = SpoolSegment(
            manifest_name(manifest),
            manifest.utc_start_us,
            manifest.utc_end_us,
            list(manifest.call_ids),
        )
        try:
            with self._lock:
                if segment.add_ids(self.windows.claims(segment.start_us, segment.end_us)):
                    self._rewrite(segment)
                self.spool.add(segment)
        except Exception as exc:  # never break the capture loop over bookkeeping
            log.exception("segment %s could not be indexed", manifest.file)
            self._error("spool", f"segment {manifest.file}: {exc}")

    def _rewrite(self, segment: SpoolSegment) -> None:
        try:
            self.folder.rewrite(segment)
        except (OSError, ValueError, StorageFull) as exc:
            self._error("spool", f"cannot tag {segment.name} with its calls: {exc}")

    def _settle(self, *, everything: bool = False) -> None:
        with self._lock:
            keep, drop = self.spool.drain() if everything else self.spool.settle(utc_us())
            for segment in drop:
                try:
                    self.folder.discard(segment)
                except OSError as exc:
                    self._error("spool", f"cannot delete {segment.name}: {exc}")
            if keep and not self.uploads.accepts_screen():
                drop, keep = drop + keep, []  # the upload spool is full: screen gives way
            for segment in keep:
                try:
                    path, manifest = self.folder.release(segment)
                except (OSError, ValueError, StorageFull) as exc:
                    self._error("spool", f"cannot keep {segment.name}: {exc}")
                    continue
                self.kept += 1
                self.uploads.add_segment(path, manifest.to_json())
                self.emit(
                    "segment_done",
                    manifest=str(path),
                    call_ids=manifest.call_ids,
                    status=manifest.status,
                    utc_start_us=manifest.utc_start_us,
                    utc_end_us=manifest.utc_end_us,
                    bytes=manifest.bytes,
                )

    def _call_may_grow(self, call_id: str) -> bool:
        """Whether more segments of the call may still come (the uploader holds its record)."""
        settle_us = round((self.options.preroll_s + LATE_S + SETTLE_MARGIN_S) * 1e6)
        with self._lock:
            window = self.windows.get(call_id)
            if self.spool.lists(call_id):
                return True
        if window is None:
            return False
        return window.is_open or (window.closed_us or 0) > utc_us() - settle_us

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
        while not self._done.wait(0.1):
            now = time.monotonic()
            with self._lock:
                if any(w.recording_from_us is not None for w in self.windows.due(utc_us())):
                    self._apply(cut=True)
                self.windows.prune(utc_us())
            grabs = self.recorder.stats.grabs
            if grabs != last_grabs:
                last_grabs, last_progress = grabs, now
                self.capturing = True
            elif self.capturing and now - last_progress > STALL_S:
                self._fatal("stalled", f"no screen grab for {STALL_S:.0f} s", EXIT_ERROR)
                os._exit(EXIT_ERROR)  # the capture thread is stuck; recover() cleans up
            if self.titles.patterns and now >= next_titles:
                next_titles = now + self.options.title_poll_s
                self._poll_titles()
            self._settle()
            self._emit_state()

    def _poll_titles(self) -> None:
        try:
            found, failed = self.titles.poll(), False
        except TitleError as exc:
            found, failed = [], True
            if not self.mask_failed:
                self._error("titles", f"{exc}; masking the whole screen until it works again")
        with self._lock:
            if found != self.masked or failed != self.mask_failed:
                self.masked, self.mask_failed = found, failed
                self._apply_mask()

    def _read_commands(self, stdin: IO[str]) -> None:
        for line in stdin:
            if not line.strip():
                continue
            try:
                message = json.loads(line)
                if not isinstance(message, dict):
                    raise ValueError("a command is a JSON object")
            except ValueError as exc:
                self.emit("error", kind="bad_command", message=f"not a command: {exc}")
                continue
            self.handle(message)
            if self._done.is_set():
                return
        self._done.set()  # EOF: the desktop closed the pipe or died

    def run(self, stdin: IO[str]) -> int:
        capture = self.options.capture
        try:
            if capture:
                with self._lock:
                    for segment in self.folder.prepare(utc_us() + round(LEFTOVER_HOLD_S * 1e6)):
                        self.spool.add(segment)
            else:
                self.options.out_dir.mkdir(parents=True, exist_ok=True)
        except (OSError, StorageFull) as exc:
            self._fatal("storage", f"cannot use {self.options.out_dir}: {exc}", EXIT_STORAGE)
            return self.exit_code
        self.uploads.start()
        if capture and self.titles.patterns:
            self._poll_titles()  # masked from the very first frame
        self.emit(
            "ready",
            pid=os.getpid(),
            out_dir=str(self.options.out_dir),
            preroll_s=self.options.preroll_s,
            fps=self.options.fps,
            policy=self.windows.policy.to_json(),
            capture=capture,
        )
        self.emit("upload_status", **self.uploads.status())
        threads = [
            threading.Thread(target=self._capture, name="capture"),
            threading.Thread(target=self._housekeeping, name="housekeeping"),
        ]
        if not capture:
            threads = []
        for thread in threads:
            thread.start()
        threading.Thread(target=self._read_commands, args=(stdin,), daemon=True).start()
        while not self._done.wait(0.5):
            pass
        self.recorder.stop()
        for thread in threads:
            thread.join(30)
        if capture:
            self._settle(everything=True)
        self.uploads.stop()
        self.titles.close()
        self.emit("stopped", code=self.exit_code, segments=self.kept)
        return self.exit_code

    def request_stop(self) -> None:
        self._done.set()


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
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

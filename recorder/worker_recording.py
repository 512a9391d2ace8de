"""What the recorder worker records: the calls' windows over the screen recorder (which calls
a segment lists, short spool segments while none records), the spool's claims, and the pauses
and title masks with the call audio they silence. The commands of the pipe end up here."""

from __future__ import annotations

import logging
import re
import threading

from formats import pipe
from formats.clock import utc_us
from recorder.outbox.silences import SilenceJournal
from recorder.segments.config import RecorderConfig
from recorder.segments.pipeline import ScreenRecorder
from recorder.segments.windows import RecordingPolicy, RecordingWindows
from recorder.worker_masks import ScreenMasks
from recorder.worker_options import WorkerOptions
from recorder.worker_spool import Report, Spool

log = logging.getLogger("recorder.worker")


# A standby segment in which nothing changed after its key frame lasts this many times the
# standby length: each new one costs a key frame and a file, and a kept pre-roll that reaches
# further back shows only the picture its start already showed (recorder/README.md).
STILL_STANDBY_FACTOR = 6


class UnknownCall(LookupError):
    """A command named a call that has no open window (e.g. closed twice)."""


class Recording:
    """The windows, the recorder, the masks and the silences kept in step. Every method but
    :meth:`poll_titles` expects the caller to hold the worker's lock (``lock``)."""

    def __init__(
        self,
        options: WorkerOptions,
        *,
        windows: RecordingWindows,
        recorder: ScreenRecorder,
        masks: ScreenMasks,
        silences: SilenceJournal,
        spool: Spool,
        lock: threading.RLock,
        error: Report,
    ) -> None:
        self.options = options
        self.windows = windows
        self.recorder = recorder
        self.masks = masks
        self.silences = silences
        self.spool = spool
        self._lock = lock
        self._error = error
        # Pauses and masks silence the call audio that is uploaded (policy ``pause_audio``).
        self.pause_audio = True
        self._standby: bool | None = None
        self.segment_mode(standby=True)

    # ----- commands (callers hold the lock) ------------------------------------------

    def open_window(self, command: pipe.OpenWindow, at: int) -> None:
        call_id = command.call_id
        window = self.windows.open(call_id, at, queue=command.queue, agent=command.agent)
        if window.recording and window.recording_from_us is not None:
            self.spool.claim(call_id, window.recording_from_us)
        self.apply()

    def close_window(self, call_id: str, at: int) -> None:
        was = self.windows.active_ids()
        if self.windows.close(call_id, at, utc_us()) is None:
            raise UnknownCall(f"no open window for call {call_id}")
        if self.windows.active_ids() != was:
            self.apply(cut=True)  # the next segment no longer lists the call

    def consent(self, call_id: str, at: int) -> None:
        was = self.windows.active_ids()
        if self.windows.get(call_id) is None:
            raise UnknownCall(f"no open window for call {call_id}")
        self.windows.consent(call_id, at)
        if self.windows.active_ids() != was:
            # Cut first: the segment in progress holds the screen from before consent.
            self.apply(cut_first=True)

    def pause(self, reason: str, on: bool, at_us: int) -> bool:
        """The whole picture black (not dropped) from the next frame on while any reason
        holds; a reason ends only by its own resume (a field left does not end a manual
        pause). Whether the pause changed."""
        changed = self.masks.pause(reason, on)
        # The audio is silent from when the operator paused (the desktop's time, earlier)
        # until the picture comes back (now, later): never shorter than the black screen.
        self.masks_changed(at_us if on else None)
        return changed

    def set_policy(self, command: pipe.SetPolicy) -> None:
        """A new policy for windows opened from now on (those open keep their decision), and
        new title masks at once; a bad one changes nothing (ValueError: ``bad_command``)."""
        policy = RecordingPolicy.from_json(
            {
                "mode": command.mode,
                "sample_percent": command.sample_percent,
                "off_agents": list(command.off_agents),
                "off_queues": list(command.off_queues),
                "queues": command.queues,
            }
        )
        patterns = command.mask_titles
        if patterns is not None:
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"mask_titles: {pattern!r}: {exc}") from None
        self.windows.policy = policy
        self.pause_audio = command.pause_audio
        self.note_silence()
        if patterns is not None and list(patterns) != self.masks.patterns:
            self.masks.set_patterns(list(patterns))
            self.recorder.set_mask(self.masks.rects())
        log.info("policy: %s; title masks %s", policy.to_json(), self.masks.patterns)

    # ----- masks → recorder and silences ---------------------------------------------

    def masks_changed(self, at_us: int | None = None) -> None:
        """The recorder and the audio silences follow :attr:`masks`."""
        self.recorder.set_mask(self.masks.rects(), self.masks.reasons())
        self.note_silence(at_us)

    def note_silence(self, at_us: int | None = None) -> None:
        reasons = self.masks.reasons() if self.pause_audio else []
        try:
            self.silences.note(reasons, at_us)
        except OSError as exc:  # kept in memory: the uploader in this process still has it
            self._error("storage", f"audio silences not saved: {exc}")

    def poll_titles(self, *, if_changed: bool = False) -> bool:
        """Read the window titles (before the lock) and mask what they show; True if the
        masks changed. ``if_changed``: only if a window came, went, moved or was renamed
        since the last read; the capture thread asks so between each grab and its masking
        (the recorder's ``mask_check``)."""
        if not self.masks.polling:
            return False
        with self.masks.reading:
            answer = self.masks.read_titles(if_changed=if_changed)
            if answer is None:
                return False
            found, error = answer
            if error and not self.masks.failed:
                self._error("titles", f"{error}; masking the whole screen until it works again")
            with self._lock:
                if not self.masks.take(found, error):
                    return False
                self.masks_changed()
                return True

    # ----- windows → recorder --------------------------------------------------------

    def close_due(self) -> None:
        """Close the windows whose scheduled close has come; forget those long over."""
        if any(w.recording_from_us is not None for w in self.windows.due(utc_us())):
            self.apply(cut=True)
        self.windows.prune(utc_us())

    def apply(self, *, cut: bool = False, cut_first: bool = False) -> None:
        ids = self.windows.active_ids()
        if cut_first:
            self.recorder.cut()
        self.recorder.set_call_ids(ids)
        self.segment_mode(standby=not ids)
        if cut:
            self.recorder.cut()

    def segment_mode(self, *, standby: bool) -> None:
        """Short spool segments while no window records (a kept pre-roll is at most one of
        them longer than the pre-roll), the recorder's long ones while one does."""
        if standby == self._standby:
            return
        self._standby = standby
        config, opts = self.recorder.config, self.options
        # Read by the capture loop at every tick; each assignment is atomic.
        if standby:
            config.segment_s = opts.standby_segment_s
            config.segment_idle_s = STILL_STANDBY_FACTOR * opts.standby_segment_s
        else:
            config.segment_s = opts.segment_s
            config.segment_idle_s = RecorderConfig.segment_idle_s
        self.recorder.wake()  # a loop waiting on a still screen counts with the new lengths

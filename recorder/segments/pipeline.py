"""The recording loop: grab, mask, detect changes, convert, encode, cut segments.

Each tick (``fps`` per second, monotonic deadline; while the screen is still the loop sleeps
until X reports drawing or its next deadline instead, recorder/segments/still.py) grabs what
may have changed: the tiles X DAMAGE reported drawn on (recorder/capture/damage.py), or the
whole screen (at the start, after a mask or layout change, without damage, and every
``full_grab_s`` to check damage). It blacks out the
masked rectangles in the grabbed pixels (so a masked area is black in the video and changes
under it cost nothing), compares with the last encoded frame, converts only the changed
rectangles into the persistent I420 picture and encodes it. Unchanged ticks write nothing,
except a repeat frame when a fragment with frames would otherwise wait for the next change
(crash loss stays within ``fragment_s``). A segment ends at the first large change after
``segment_s`` (or after ``segment_s * segment_stretch``), when the monitor layout changes, and
at stop; its last frame is a repeat at its end time, so playback covers the whole period, and
the next segment starts at that same time with a key frame.

Thread safety: :meth:`ScreenRecorder.set_mask`, :meth:`~ScreenRecorder.set_call_ids`,
:meth:`~ScreenRecorder.cut` and :meth:`~ScreenRecorder.stop` may be called from any thread;
:meth:`~ScreenRecorder.run` runs the loop on the calling thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

from formats.clock import utc_us
from formats.manifest import PARTIAL, Manifest
from recorder.capture.changes import ChangeDetector
from recorder.capture.damage import DamageTracker
from recorder.capture.geometry import Rect, clip_all, rescale_all, scaled_size
from recorder.capture.grab import CaptureError, Frame, Pacer, Patches, ScreenGrabber
from recorder.segments.canvas import FULL_AREA_SHARE, BgraImage, I420Canvas
from recorder.segments.capture_step import CaptureStep
from recorder.segments.config import RecorderConfig
from recorder.segments.encoder import EncodeError
from recorder.segments.pacing import HeldChanges
from recorder.segments.stats import StageClock, StageStats
from recorder.segments.still import WakePipe, sleep_until
from recorder.segments.writer import SegmentWriter, recover

log = logging.getLogger(__name__)

PictureHook = Callable[[npt.NDArray[np.uint8], list[Rect], int], None]


class ScreenRecorder:
    """Records one display into segments in ``config.out_dir``; see the module docstring.

    ``on_segment`` is called (on the loop's thread) with each finished segment's manifest,
    complete or partial: the hook for an outbox/uploader. ``on_picture(bgra, changed, utc_us)``
    gets every tick's picture as recorded (masked, full size, to be read during the call) and
    its changed rectangles: the hook for the live screen (recorder/live/publisher.py).
    ``mask_check()`` is called after each grab, before its masking: it may :meth:`set_mask`
    what the grabbed picture needs hidden (a window that was just shown).
    """

    def __init__(
        self,
        config: RecorderConfig,
        on_segment: Callable[[Manifest], None] | None = None,
        on_picture: PictureHook | None = None,
        mask_check: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.on_segment = on_segment
        self.on_picture = on_picture
        self.mask_check = mask_check
        self.manifests: list[Manifest] = []
        self.stats = StageStats()
        self._stop = threading.Event()
        self._cut = threading.Event()
        self._lock = threading.Lock()
        self._mask_root: tuple[Rect, ...] = ()
        self._mask_reasons: tuple[str, ...] = ()
        self._call_ids: list[str] = list(config.call_ids)
        self._grabber = ScreenGrabber(config.display, config.monitor, config.layout_check_s)
        self._segment: SegmentWriter | None = None
        self._detector: ChangeDetector | None = None
        self._canvas: I420Canvas | None = None
        self._region: Rect | None = None
        self._layout_json: dict[str, object] = {}
        self._step = CaptureStep(
            self._grabber, None, self.stats, tile=config.tile, full_grab_s=0, failure_limit_s=0
        )  # replaced by run()
        self._held = HeldChanges(config.hold_small_s, config.hold_large_s)
        self._tick_mask: tuple[Rect, ...] = ()  # the mask of the previous tick
        self._wake = WakePipe()  # ends a wait on a still screen (recorder/segments/still.py)

    # ----- controls (any thread) -------------------------------------------------------

    def set_mask(self, rects: Iterable[Rect], reasons: Iterable[str] = ()) -> None:
        """Black out ``rects`` (root-window/virtual-desktop pixels) from the next frame on;
        ``reasons`` (why) go to the manifest's masked period."""
        with self._lock:
            self._mask_root = tuple(Rect(*r) for r in rects)
            self._mask_reasons = tuple(reasons)
        self._wake.set()

    def set_call_ids(self, call_ids: Iterable[str]) -> None:
        """The calls the recording belongs to from now on (added to the current segment)."""
        with self._lock:
            self._call_ids = list(call_ids)
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def cut(self) -> None:
        """End the segment in progress at the next grab and start a new one (a window closed)."""
        self._cut.set()
        self._wake.set()

    def wake(self) -> None:
        """Tick now even if the screen is still (the caller changed :attr:`config`, or wants
        a picture: a live watch begins)."""
        self._wake.set()

    # ----- the loop ------------------------------------------------------------------

    def run(self, seconds: float | None = None) -> list[Manifest]:
        """Record until :meth:`stop` or for ``seconds``; return the manifests written.

        Raises :class:`~recorder.capture.grab.CaptureError` (display gone) or
        :class:`~recorder.segments.writer.StorageFull` after finishing what was written.
        """
        out_dir = self.config.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        for manifest in recover(out_dir):
            log.warning("recovered segment %s from an earlier run", manifest.file)
        self._grabber.open()
        tracker = DamageTracker(self.config.display) if self.config.damage else None
        self._step = CaptureStep(
            self._grabber,
            tracker if tracker is not None and tracker.open() else None,
            self.stats,
            tile=self.config.tile,
            full_grab_s=self.config.full_grab_s,
            failure_limit_s=self.config.capture_failure_limit_s,
        )
        pacer = Pacer(self.config.fps)
        started = time.monotonic()
        end = None if seconds is None else started + seconds
        cpu_started = time.process_time()
        try:
            while pacer.wait(self._stop):
                if end is not None and time.monotonic() >= end:
                    break
                self._wake.clear()  # before the tick reads what it was woken for
                self._tick()
                if self._wait_while_still(pacer.period_ns / 1e9, end):
                    pacer.restart()
        except CaptureError:
            # The screen is gone, the segment is fine: finish it where the last grab saw it.
            self._finish_segment(self._step.last_grab_us or utc_us())
            raise
        except BaseException:
            self._abandon_segment()
            raise
        else:
            self._finish_segment(utc_us())
        finally:
            self._grabber.close()
            self._step.close()
            self._wake.clear()
            self.stats.dropped_ticks = pacer.dropped
            self.stats.cpu_s = time.process_time() - cpu_started
            self.stats.wall_s = time.monotonic() - started
        return self.manifests

    def _tick(self) -> None:
        clock = StageClock()
        with self._lock:
            mask_root, call_ids = self._mask_root, self._call_ids
            mask_reasons = self._mask_reasons
        shot = self._step.capture(mask_root, self._detector, self._region)
        if shot is None:
            return
        if self.mask_check is not None:
            self.mask_check()  # what the grab shows that must be hidden is masked in it
        grabbed_under = mask_root
        with self._lock:
            mask_root, mask_reasons = self._mask_root, self._mask_reasons
        if mask_root != grabbed_under and not isinstance(shot, Frame):
            # The mask changed during a grab of damaged tiles only (a pause came with the
            # drawing that woke the loop): masking those tiles would leave the rest of the
            # newly hidden area showing from the reference, so grab it all under the new mask.
            shot = self._step.capture(mask_root, self._detector, self._region)
            if shot is None:
                return
        clock.mark()
        layout_json = shot.layout.to_json()
        if self._segment is None or layout_json != self._layout_json:
            if self._segment is not None:
                log.info("screen layout changed; starting a new segment")
            self._finish_segment(shot.utc_us)
            self._start_segment(shot, layout_json)
        detector, canvas = self._detector, self._canvas
        assert detector is not None and canvas is not None
        mask = clip_all(mask_root, shot.region)
        clock.restart()
        if isinstance(shot, Frame):
            for x, y, w, h in mask:
                shot.bgra[y : y + h, x : x + w] = 0
            clock.mark()
            rects = detector.changed(shot.bgra)
            picture = shot.bgra
            self._step.check_damage(rects, shot.region)
        else:
            for rect, pixels in shot.parts:
                for hidden in mask:
                    x, y, w, h = hidden.intersect(rect).translate(-rect.x, -rect.y)
                    if w > 0 and h > 0:
                        pixels[y : y + h, x : x + w] = 0
            clock.mark()
            rects = [r for rect, pixels in shot.parts for r in detector.absorb(pixels, rect)]
            reference = detector.reference
            assert reference is not None
            picture = reference
        if self.on_picture is not None:
            self.on_picture(picture, rects, shot.utc_us)
        clock.mark()
        large = sum(r.area for r in rects) > FULL_AREA_SHARE * shot.region.area
        segment = self._segment
        assert segment is not None
        age_s = (shot.utc_us - segment.utc_start_us) / 1e6
        due = age_s >= self.config.segment_s and (large or age_s >= self._limit_s(segment))
        if due or (self._cut.is_set() and segment.encoder.frames > 0):
            self._cut.clear()
            self._finish_segment(shot.utc_us)
            segment = self._start_segment(shot, layout_json)
        segment.set_mask(self._to_video(mask), shot.utc_us, mask_reasons)
        if call_ids:
            segment.add_call_ids(call_ids)
        held, at_us = self._held, shot.utc_us
        mask_changed, self._tick_mask = mask_root != self._tick_mask, mask_root
        if segment.encoder.frames and rects:
            partial = not isinstance(shot, Frame)
            if held.hold(rects, at_us, partial=partial, large=large, mask_changed=mask_changed):
                if isinstance(shot, Frame):
                    detector.accept(shot.bgra)  # the reference is the latest picture seen
                self.stats.add("held large" if large else "held", clock)
                return
            rects += held.take()[0]
        elif not rects and (held.due(at_us) or segment.encoder.flush_due(at_us)):
            rects, newest_us = held.take()
            at_us = newest_us or at_us  # the held picture is what the screen showed then
        if not rects and segment.encoder.frames:
            if segment.encoder.flush_due(shot.utc_us):
                segment.write(canvas.buffer, shot.utc_us, filler=True)
                self.stats.fillers += 1
            self.stats.add("unchanged", clock)
            return
        clock.restart()
        self._convert(picture, rects)
        clock.mark()
        self._write(segment, at_us, clock, large=large)
        if isinstance(shot, Frame):
            detector.accept(shot.bgra)
        self.stats.add("large change" if large else "small change", clock)

    def _limit_s(self, segment: SegmentWriter) -> float:
        """How long ``segment`` may last without a large change."""
        limit_s = self.config.segment_s * self.config.segment_stretch
        if segment.encoder.real_frames <= 1:
            limit_s = max(limit_s, self.config.segment_idle_s)
        return limit_s

    def _wait_while_still(self, period_s: float, end: float | None) -> bool:
        """After a tick that left nothing to do, sleep until X reports drawing or a layout
        change, another thread wakes the loop, or the next deadline (segments/still.py)."""
        segment, fds = self._segment, self._step.event_fds()
        with self._lock:
            masked = self._mask_root != self._step.grabbed_mask  # the next grab is whole
        if segment is None or fds is None or masked or self._cut.is_set() or self._stop.is_set():
            return False
        end_us = segment.utc_start_us + round(
            max(self._limit_s(segment), self.config.segment_s) * 1e6
        )
        # A fragment is flushed within a tick of being due, as with ticks: a change that comes
        # meanwhile (a caret's next blink) flushes it instead of a repeat frame.
        flush_us = segment.encoder.flush_at_us
        flush_us = None if flush_us is None else flush_us + round(period_s * 1e6)
        deadlines_us = [end_us, flush_us, self._held.due_at_us()]
        fds.append(self._wake.fileno())
        return sleep_until(
            fds, [self._step.next_full_grab, end], deadlines_us, period_s, self.stats
        )

    def _convert(self, picture: BgraImage, rects: list[Rect]) -> None:
        canvas, region = self._canvas, self._region
        assert canvas is not None and region is not None
        if rects:
            if canvas.size == (region.w, region.h):
                canvas.update(picture, rects)
            else:
                canvas.fill(picture)

    def _write(
        self,
        segment: SegmentWriter,
        utc_us: int,
        clock: StageClock | None = None,
        *,
        large: bool = False,
    ) -> None:
        """Encode the canvas as the picture at ``utc_us`` (stages ``encode`` and ``mux``)."""
        assert self._canvas is not None
        encoder = segment.encoder
        cpu, wall = encoder.mux_cpu_ns, encoder.mux_wall_ns
        segment.write(self._canvas.buffer, utc_us)
        self._held.encoded(utc_us, large)
        if clock is not None:
            clock.mark()
            clock.carve(encoder.mux_cpu_ns - cpu, encoder.mux_wall_ns - wall)

    def _flush_held(self) -> None:
        """Encode held changes into the segment before it ends."""
        rects, newest_us = self._held.take()
        segment, detector = self._segment, self._detector
        if rects and newest_us is not None and segment is not None and detector is not None:
            picture = detector.reference
            if picture is not None and segment.encoder.frames:
                self._convert(picture, rects)
                self._write(segment, newest_us)

    def _to_video(self, rects: list[Rect]) -> list[Rect]:
        if self._canvas is None or self._region is None or not rects:
            return []
        return rescale_all(rects, (self._region.w, self._region.h), self._canvas.size)

    def _start_segment(
        self, frame: Frame | Patches, layout_json: dict[str, object]
    ) -> SegmentWriter:
        if frame.region != self._region or self._canvas is None:
            width, height = scaled_size(frame.region, self.config.scale_width)
            self._canvas = I420Canvas(width, height)
            self._detector = ChangeDetector(frame.region.w, frame.region.h, self.config.tile)
            self._region = frame.region
        with self._lock:
            call_ids = list(self._call_ids)
        self._layout_json = layout_json
        segment = SegmentWriter(
            self.config.out_dir,
            width=self._canvas.width,
            height=self._canvas.height,
            utc_start_us=frame.utc_us,
            fps=self.config.fps,
            layout=layout_json,
            call_ids=call_ids,
            settings=self.config.encoder,
        )
        self._segment = segment
        self.stats.segments += 1
        return segment

    def _finish_segment(self, utc_end_us: int) -> None:
        if self._segment is not None:
            self._flush_held()
        self._held.reset()
        segment, self._segment = self._segment, None
        if segment is None:
            return
        canvas = self._canvas.buffer if self._canvas is not None else None
        try:
            manifest = segment.finish(canvas, utc_end_us)
        except EncodeError:  # StorageFull included: finish() salvaged what it could
            self._record(segment.manifest if segment.manifest.status == PARTIAL else None)
            raise
        self._record(manifest)

    def _abandon_segment(self) -> None:
        segment, self._segment = self._segment, None
        if segment is not None:
            self._record(segment.fail())

    def _record(self, manifest: Manifest | None) -> None:
        if manifest is None:
            return
        self.manifests.append(manifest)
        self.stats.bytes += manifest.bytes
        log.info(
            "segment %s %s: %d frames, %.1f s, %d bytes",
            manifest.file,
            manifest.status,
            manifest.frames,
            (manifest.utc_end_us - manifest.utc_start_us) / 1e6,
            manifest.bytes,
        )
        if self.on_segment is not None:
            self.on_segment(manifest)

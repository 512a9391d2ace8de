"""H.264 (libx264 via PyAV) into one fragmented MP4 file, frame by frame, variable frame rate.

A frame goes in only when the screen changed; its timestamp is its capture time (UTC µs from
the single clock) relative to the file's start, in a 1/90000 time base, so time in the file is
the screen's time however irregular the frames are.

Crash safety: the file is fragmented MP4 (``empty_moov``: the header carries no samples;
``default_base_moof``: each fragment is self-describing), a fragment is cut at the first frame
at least ``fragment_s`` after the fragment began, and ``flush_packets`` pushes every completed
fragment to the OS at once. A file cut anywhere plays up to its last complete fragment. A
fragment with frames that waits for the next change is cut by :meth:`SegmentEncoder.flush_due`
and a repeat of the current picture (``filler``: a few dozen bytes; x264 codes it as skips).

libx264 runs without delay (``tune=zerolatency``: no look-ahead, no B-frames), so each frame's
packet is written by the call that encodes it. Rate control is a constant QP: every frame at
the same quality, so static areas stay skipped (CRF lowers the QP of "simple" frames, and a
frame with a small change is simple, so it re-codes the static screen). Key frames: the first
frame of a file, then only when ``keyint_s`` asks for them (a key frame of a 1080p CRM screen
costs 100-150 KB, a P-frame with typing ~200 bytes).
"""

from __future__ import annotations

import errno
import logging
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

import av
import av.error
import numpy as np
import numpy.typing as npt
from av.video.frame import PictureType, VideoFrame

log = logging.getLogger(__name__)

TIME_BASE = Fraction(1, 90000)
CODEC = "h264"

# AVCOL_* values of libavutil (pixfmt.h): BT.709 matrix and primaries, sRGB transfer (a
# screen's pixels are sRGB), limited range. They match what recorder.segments.canvas converts to.
_COLORSPACE_BT709 = 1
_PRIMARIES_BT709 = 1
_TRC_IEC61966_2_1 = 13
_RANGE_MPEG = 1

_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class EncodeError(RuntimeError):
    """Encoding or writing a segment failed."""


class StorageFull(EncodeError):
    """The disk (or quota) is full: nothing more can be written."""


# x264 choices for an operator's screen on top of ``preset=ultrafast`` (measured on a scripted
# 1080p CRM screen, see recorder/README.md): CABAC (-15 % bytes), 8x8 transform and intra 4x4/8x8
# partitions (text), and an uneven-multi-hexagon motion search reaching 256 px, so that a table
# or text scrolled by a few wheel notches between two grabs is predicted instead of re-coded
# (-20 % bytes against 48 px, +0.5 ms per changed frame; only changed macroblocks are searched).
SCREEN_PARAMS = "cabac=1:8x8dct=1:partitions=i8x8,i4x4:me=umh:merange=256"


@dataclass(frozen=True)
class EncoderSettings:
    """libx264 and fragmenting choices; the defaults are explained in recorder/README.md."""

    preset: str = "ultrafast"
    tune: str = "zerolatency"
    qp: int = 33  # constant QP; the key frame gets about qp - 3
    crf: float | None = None  # instead of ``qp``: constant quality (with qcomp=1, see below)
    keyint_s: float = 0.0  # 0: the first frame of each segment is the only key frame
    fragment_s: float = 1.0  # 0: one fragment per frame
    threads: int = 1
    x264_params: str = SCREEN_PARAMS  # appended to the fixed ones below

    def codec_options(self) -> dict[str, str]:
        params = [
            "keyint=infinite",
            "scenecut=0",
            "bframes=0",
            "rc-lookahead=0",
            "sync-lookahead=0",
            f"threads={self.threads}",
            "sliced-threads=0",
        ]
        options = {"preset": self.preset, "forced-idr": "1"}
        if self.crf is None:
            params.append(f"qp={self.qp}")
        else:
            # qcomp=1: the same quality for every frame. With the default 0.6 a frame with a
            # small change counts as "simple" and gets a lower QP, and x264 then re-codes the
            # whole static screen at that QP, frame after frame (bytes doubled, measured).
            options["crf"] = f"{self.crf:g}"
            params.append("qcomp=1")
        if self.x264_params:
            params.append(self.x264_params)
        options["x264-params"] = ":".join(params)
        if self.tune:
            options["tune"] = self.tune
        return options

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _raise_write_error(exc: Exception, path: Path, what: str) -> NoReturn:
    code = getattr(exc, "errno", None)
    if code in _STORAGE_ERRNOS:
        raise StorageFull(f"no space left for {path.name} ({what}): {exc}") from exc
    raise EncodeError(f"{what} failed for {path.name}: {exc}") from exc


class SegmentEncoder:
    """One fragmented MP4 file being written; see the module docstring.

    ``yuv`` arguments are I420 buffers of shape ``(height * 3 // 2, width)`` (see
    :class:`recorder.segments.canvas.I420Canvas`); they are read during the call only.
    """

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        utc_start_us: int,
        fps: float,
        settings: EncoderSettings | None = None,
    ) -> None:
        self.path = path
        self.width = width
        self.height = height
        self.utc_start_us = utc_start_us
        self.settings = settings or EncoderSettings()
        self.frames = 0  # frames encoded, fillers included
        self.real_frames = 0  # frames that were not fillers (repeats)
        self.key_frames = 0
        self.last_utc_us: int | None = None
        self._last_pts = -1
        self._last_key_utc_us: int | None = None
        self._fragment_start_us: int | None = None
        self._unflushed_since_us: int | None = None  # first real frame not yet on disk
        self._closed = False
        self.mux_cpu_ns = 0  # of the calling thread, spent writing packets (for the stats)
        self.mux_wall_ns = 0
        movflags = "empty_moov+default_base_moof"
        options = {"flush_packets": "1"}
        if self.settings.fragment_s > 0:
            options["frag_duration"] = str(int(self.settings.fragment_s * 1e6))
        else:
            movflags += "+frag_every_frame"
        options["movflags"] = movflags
        try:
            self._container: Any = av.open(str(path), "w", format="mp4", options=options)
            stream = self._container.add_stream("libx264")
            stream.width = width
            stream.height = height
            stream.pix_fmt = "yuv420p"
            stream.time_base = TIME_BASE
            context = stream.codec_context
            context.time_base = TIME_BASE
            context.framerate = Fraction(fps).limit_denominator(1000)
            context.colorspace = _COLORSPACE_BT709
            context.color_primaries = _PRIMARIES_BT709
            context.color_trc = _TRC_IEC61966_2_1
            context.color_range = _RANGE_MPEG
            context.options = self.settings.codec_options()
            self._stream = stream
        except (av.error.FFmpegError, OSError) as exc:
            self._abandon()
            _raise_write_error(exc, path, "opening")

    @property
    def unflushed_since_us(self) -> int | None:
        """Capture time of the oldest frame that a crash now would lose, if any."""
        return self._unflushed_since_us

    @property
    def flush_at_us(self) -> int | None:
        """When :meth:`flush_due` becomes true (None: nothing waits to be flushed)."""
        since = self._fragment_start_us
        if self._unflushed_since_us is None or since is None:
            return None
        return since + round(self.settings.fragment_s * 1e6)

    def _pts(self, utc_us: int) -> int:
        pts = (utc_us - self.utc_start_us) * 9 // 100
        return max(pts, self._last_pts + 1)

    def encode(
        self, yuv: npt.NDArray[np.uint8], utc_us: int, *, key: bool = False, filler: bool = False
    ) -> None:
        """Encode and write one picture captured at ``utc_us``."""
        if self._closed:
            raise EncodeError(f"{self.path.name} is closed")
        frame = VideoFrame.from_numpy_buffer(yuv, format="yuv420p")
        frame.pts = self._pts(utc_us)
        keyint_us = self.settings.keyint_s * 1e6
        if self.frames == 0 or key:
            key = True
        elif keyint_us > 0 and self._last_key_utc_us is not None:
            key = utc_us - self._last_key_utc_us >= keyint_us
        if key:
            frame.pict_type = PictureType.I
        fragment_us = self.settings.fragment_s * 1e6
        if self._fragment_start_us is None or utc_us - self._fragment_start_us >= fragment_us:
            # The muxer cuts a fragment before this packet: all earlier frames reach the file.
            self._fragment_start_us = utc_us
            self._unflushed_since_us = None
        try:
            packets = self._stream.encode(frame)
            cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
            self._container.mux(packets)
            self.mux_cpu_ns += time.thread_time_ns() - cpu
            self.mux_wall_ns += time.perf_counter_ns() - wall
        except (av.error.FFmpegError, OSError) as exc:
            _raise_write_error(exc, self.path, "writing")
        self._last_pts = frame.pts
        self.frames += 1
        self.real_frames += 0 if filler else 1
        self.last_utc_us = utc_us
        if key:
            self.key_frames += 1
            self._last_key_utc_us = utc_us
        if not filler and fragment_us > 0 and self._unflushed_since_us is None:
            self._unflushed_since_us = utc_us

    def flush_due(self, utc_us: int) -> bool:
        """Whether a fragment holding real frames is older than ``fragment_s`` at ``utc_us``."""
        since = self._fragment_start_us
        return (
            self._unflushed_since_us is not None
            and since is not None
            and utc_us - since >= self.settings.fragment_s * 1e6
        )

    def close(
        self, yuv: npt.NDArray[np.uint8] | None = None, utc_end_us: int | None = None
    ) -> None:
        """Finish the file: a closing repeat at ``utc_end_us`` (so playback lasts until then),
        drain the encoder, write the last fragment and close."""
        if self._closed:
            return
        try:
            if (
                yuv is not None
                and utc_end_us is not None
                and self.frames > 0
                and (utc_end_us - self.utc_start_us) * 9 // 100 > self._last_pts
            ):
                self.encode(yuv, utc_end_us, filler=True)
            self._container.mux(self._stream.encode(None))
            self._closed = True
            self._container.close()
        except (av.error.FFmpegError, OSError) as exc:
            self._abandon()
            _raise_write_error(exc, self.path, "closing")
        self._unflushed_since_us = None

    def _abandon(self) -> None:
        """Close without caring about errors (after a failure; the file may be cut short)."""
        self._closed = True
        container = getattr(self, "_container", None)
        if container is None:
            return
        try:
            container.close()
        except (av.error.FFmpegError, OSError) as exc:
            log.debug("closing %s after an error: %s", self.path.name, exc)

    def abort(self) -> None:
        """Stop writing this file now; what reached the disk stays as it is."""
        self._abandon()

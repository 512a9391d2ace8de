"""The picture being encoded, kept as one persistent I420 (yuv420p) buffer.

Only the rectangles that changed are converted from BGRA (libswscale through PyAV, one call per
rectangle, ~0.1 ms for a 64×64 tile against ~3 ms for a whole 1080p frame; numpy was 10–20×
slower). ``AREA`` interpolation makes chroma the mean of each 2×2 block, so a rectangle
converted alone matches the same pixels converted as part of the whole frame (±1), and
rectangles are grown to even coordinates so no chroma sample straddles an edge. Colours are
BT.709, limited range, as the encoder tags them.

The buffer is laid out as ``yuv420p`` expects (Y rows, then U, then V), so the encoder wraps
it without a copy (``VideoFrame.from_numpy_buffer``); libx264 copies the picture into its own
frame inside the encode call, so the buffer may change as soon as that call returns.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame
from av.video.reformatter import ColorRange, Colorspace, Interpolation, VideoReformatter

from recorder.capture.geometry import Rect

BgraImage = npt.NDArray[np.uint8]

# Above this share of the picture, or this many rectangles, one whole-frame conversion is cheaper.
FULL_AREA_SHARE = 0.4
FULL_RECT_COUNT = 48
# A swscale context is set up per size (~0.2 ms); keep one per recent rectangle size. Each
# converts on the calling thread: swscale's own threads (one per core by default) cost more CPU
# than they save on rectangles of a few tiles (64x64: 0.08-0.10 ms of CPU instead of 0.02-0.03)
# and no less on a whole frame; the recorder's goal is CPU, not the latency of a conversion.
_REFORMATTERS_KEPT = 32


class I420Canvas:
    """A ``width`` × ``height`` I420 picture updated from BGRA frames; see the module docstring."""

    def __init__(self, width: int, height: int) -> None:
        if width % 2 or height % 2 or width <= 0 or height <= 0:
            raise ValueError("width and height must be positive and even")
        self.width = width
        self.height = height
        self.buffer: npt.NDArray[np.uint8] = np.empty((height * 3 // 2, width), dtype=np.uint8)
        quarter = height // 4
        self.y = self.buffer[:height]
        self.u = self.buffer[height : height + quarter].reshape(height // 2, width // 2)
        self.v = self.buffer[height + quarter :].reshape(height // 2, width // 2)
        self._reformatters: OrderedDict[tuple[int, int, int, int], VideoReformatter] = OrderedDict()
        self.clear()

    def clear(self) -> None:
        """Black (Y 16, U/V 128 in limited range)."""
        self.y[:] = 16
        self.u[:] = 128
        self.v[:] = 128

    def _convert(self, bgra: BgraImage, width: int, height: int) -> VideoFrame:
        source = VideoFrame.from_numpy_buffer(bgra, format="bgra")
        key = (bgra.shape[1], bgra.shape[0], width, height)
        reformatter = self._reformatters.pop(key, None) or VideoReformatter()
        self._reformatters[key] = reformatter
        if len(self._reformatters) > _REFORMATTERS_KEPT:
            self._reformatters.popitem(last=False)
        return reformatter.reformat(
            source,
            width=width,
            height=height,
            format="yuv420p",
            interpolation=Interpolation.AREA,
            dst_colorspace=Colorspace.ITU709,
            dst_color_range=ColorRange.MPEG,
            threads=1,
        )

    def _store(self, picture: VideoFrame, rect: Rect) -> None:
        x, y, w, h = rect
        for index, plane in enumerate((self.y, self.u, self.v)):
            shift = 0 if index == 0 else 1
            src = picture.planes[index]
            rows = np.frombuffer(memoryview(src), dtype=np.uint8).reshape(-1, src.line_size)
            px, py, pw, ph = x >> shift, y >> shift, w >> shift, h >> shift
            plane[py : py + ph, px : px + pw] = rows[:ph, :pw]

    def fill(self, bgra: BgraImage) -> None:
        """Convert a whole frame (scaled to the canvas size when its size differs)."""
        self._store(self._convert(bgra, self.width, self.height), Rect(0, 0, *self.size))

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def update(self, bgra: BgraImage, rects: list[Rect]) -> None:
        """Convert only ``rects`` of a canvas-sized frame (or all of it when that is cheaper)."""
        if bgra.shape[:2] != (self.height, self.width):
            raise ValueError("update() needs a frame of the canvas size; use fill() to scale")
        bounds = Rect(0, 0, self.width, self.height)
        even = [r.even().intersect(bounds) for r in rects]
        even = [r for r in even if not r.empty]
        area = sum(r.area for r in even)
        if len(even) > FULL_RECT_COUNT or area > FULL_AREA_SHARE * bounds.area:
            self.fill(bgra)
            return
        for rect in even:
            x, y, w, h = rect
            self._store(self._convert(bgra[y : y + h, x : x + w], w, h), rect)

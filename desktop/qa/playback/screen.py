"""The operator's screen at any UTC moment, decoded with PyAV from the call's segments
(fragmented MP4, ``utc = segment start + pts``). Decoding moves forward frame by frame; a jump
back or into another segment reopens that segment (each starts with its key frame)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from desktop.qa.playback.timeline import MediaPart

Rgb = npt.NDArray[np.uint8]
Opener = Callable[[MediaPart], Any]  # a path or a seekable binary file for the segment


@dataclass
class ScreenFrame:
    utc_us: int
    rgb: Rgb  # (height, width, 3)


def segment_frames(source: Any, start_us: int) -> Generator[ScreenFrame]:
    """Every frame of one segment with its UTC time; container and source closed at the end."""
    try:
        with av.open(source, mode="r") as container:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                utc = start_us + round(float(frame.time or 0.0) * 1_000_000)
                yield ScreenFrame(utc, np.asarray(frame.to_ndarray(format="rgb24"), np.uint8))
    finally:
        if hasattr(source, "close"):
            source.close()


class ScreenTrack:
    """``frame_at(utc_us)``: the frame on screen at that moment, or None before the first."""

    def __init__(self, segments: list[MediaPart], opener: Opener) -> None:
        self.segments = sorted(segments, key=lambda p: p.start_us)
        self._open = opener
        self._segment: MediaPart | None = None
        self._frames: Generator[ScreenFrame] | None = None
        self._shown: ScreenFrame | None = None
        self._next: ScreenFrame | None = None

    def _segment_for(self, utc_us: int) -> MediaPart | None:
        found = None
        for part in self.segments:
            if part.start_us <= utc_us:
                found = part
        return found

    def _restart(self, part: MediaPart) -> None:
        self.close()
        self._segment = part
        self._frames = segment_frames(self._open(part), part.start_us)
        self._shown = None
        self._next = next(self._frames, None)

    def frame_at(self, utc_us: int) -> ScreenFrame | None:
        part = self._segment_for(utc_us)
        if part is None:
            return None
        if part is not self._segment or (self._shown is not None and utc_us < self._shown.utc_us):
            self._restart(part)
        while self._next is not None and self._next.utc_us <= utc_us:
            self._shown = self._next
            self._next = next(self._frames, None) if self._frames is not None else None
        return self._shown

    def close(self) -> None:
        if self._frames is not None:
            self._frames.close()
        self._frames = None

"""The screen track of an MP4 export: the call's screen segments, each placed on the call's
timeline by its UTC start and cut where the next begins.

Segments of one size are copied as they are (their H.264 packets, no re-encoding, no quality
lost). When their sizes differ (the operator changed monitors, or the resolution, mid-call) one
H.264 stream cannot hold them all as they are: every frame is then decoded, scaled to fit the
largest segment's size with its aspect kept, centred on black, and encoded again (libx264,
variable frame rate, each frame at its own time).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

TIME_BASE = Fraction(1, 90_000)
Screen = tuple[int, int | None, Path]  # UTC start, UTC end, file


def sizes(screens: list[Screen]) -> list[tuple[int, int]]:
    out = []
    for _start, _end, path in screens:
        with av.open(str(path)) as src:
            ctx = src.streams.video[0].codec_context
            out.append((ctx.width, ctx.height))
    return out


def canvas_size(found: list[tuple[int, int]]) -> tuple[int, int]:
    """The largest segment's size (by area), even in both directions for H.264's 4:2:0."""
    width, height = max(found, key=lambda s: (s[0] * s[1], s))
    return width - width % 2, height - height % 2


def fit(size: tuple[int, int], canvas: tuple[int, int]) -> tuple[int, int, int, int]:
    """(width, height, left, top) of a picture of `size` scaled into `canvas`, aspect kept,
    centred; even sizes and offsets."""
    scale = min(canvas[0] / size[0], canvas[1] / size[1])
    width = max(2, min(canvas[0], round(size[0] * scale / 2) * 2))
    height = max(2, min(canvas[1], round(size[1] * scale / 2) * 2))
    return width, height, (canvas[0] - width) // 4 * 2, (canvas[1] - height) // 4 * 2


def add_stream(dst: Any, screens: list[Screen]) -> tuple[Any, bool]:
    """The output's video stream, and whether its frames are scaled: a copy of the first
    segment's stream, or an encoder for the canvas when the segments' sizes differ."""
    found = sizes(screens)
    if len(set(found)) == 1:
        with av.open(str(screens[0][2])) as first:
            return dst.add_stream_from_template(first.streams.video[0]), False
    width, height = canvas_size(found)
    stream = dst.add_stream("libx264")
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.time_base = TIME_BASE
    context = stream.codec_context
    context.time_base = TIME_BASE
    context.options = {"preset": "veryfast", "crf": "23"}
    with av.open(str(screens[0][2])) as first:  # the recorder's colours (BT.709, limited)
        source = first.streams.video[0].codec_context
        for name in ("colorspace", "color_primaries", "color_trc", "color_range"):
            setattr(context, name, getattr(source, name))
    return stream, True


def _cuts(screens: list[Screen], zero: int) -> list[tuple[float, float | None, Path]]:
    """(start s, cut s or None, file) on the output's timeline: a segment ends where the
    next begins."""
    out = []
    for index, (start, _end, path) in enumerate(screens):
        cut = screens[index + 1][0] if index + 1 < len(screens) else None
        out.append(((start - zero) / 1e6, None if cut is None else (cut - zero) / 1e6, path))
    return out


def write_copied(dst: Any, stream: Any, screens: list[Screen], zero: int,
                 step: Callable[[], None]) -> None:  # fmt: skip
    """The segments' packets, each moved to its place; `step()` after each segment."""
    last_s = -1.0  # the last copied packet's decoding time on the output timeline
    for start_s, cut_s, path in _cuts(screens, zero):
        with av.open(str(path)) as src:
            source = src.streams.video[0]
            base = source.time_base
            assert base is not None
            offset = round(start_s / base)
            limit = None if cut_s is None else round(cut_s / base)
            for packet in src.demux(source):
                if packet.dts is None or packet.pts is None:
                    continue
                packet.pts += offset
                packet.dts += offset
                if limit is not None and packet.pts >= limit:
                    break  # the next segment shows the screen from here
                if float(packet.dts * base) <= last_s:
                    continue
                last_s = float(packet.dts * base)
                packet.stream = stream
                dst.mux(packet)
        step()


def _planes(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Y, U and V planes of a yuv420p frame."""
    width, height = frame.width, frame.height
    flat = frame.to_ndarray().ravel()
    luma, chroma = width * height, (width // 2) * (height // 2)
    return (
        flat[:luma].reshape(height, width),
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma : luma + 2 * chroma].reshape(height // 2, width // 2),
    )


def write_scaled(dst: Any, stream: Any, screens: list[Screen], zero: int,
                 step: Callable[[], None]) -> None:  # fmt: skip
    """Every frame scaled and centred on the canvas (black: Y 16, U and V 128), at its time;
    `step()` after each segment. A segment of the canvas's size goes in as it is decoded."""
    canvas_w, canvas_h = stream.width, stream.height
    planes = (
        np.full((canvas_h, canvas_w), 16, np.uint8),
        np.full((canvas_h // 2, canvas_w // 2), 128, np.uint8),
        np.full((canvas_h // 2, canvas_w // 2), 128, np.uint8),
    )
    last = -1
    for start_s, cut_s, path in _cuts(screens, zero):
        with av.open(str(path)) as src:
            source = src.streams.video[0]
            width, height, left, top = fit(
                (source.codec_context.width, source.codec_context.height), (canvas_w, canvas_h)
            )
            whole = (width, height) == (canvas_w, canvas_h)
            planes[0][:] = 16
            planes[1][:] = planes[2][:] = 128
            for frame in src.decode(source):
                if frame.time is None:
                    continue
                at_s = start_s + frame.time
                if cut_s is not None and at_s >= cut_s:
                    break  # the next segment shows the screen from here
                pts = round(at_s / TIME_BASE)
                if pts <= last:
                    continue
                last = pts
                picture = frame.reformat(width=width, height=height, format="yuv420p")
                if whole:
                    out = picture
                else:
                    for plane, part, scale in zip(planes, _planes(picture), (1, 2, 2), strict=True):
                        y, x = top // scale, left // scale
                        plane[y : y + part.shape[0], x : x + part.shape[1]] = part
                    stacked = np.concatenate([p.ravel() for p in planes])
                    out = av.VideoFrame.from_ndarray(
                        stacked.reshape(canvas_h * 3 // 2, canvas_w), format="yuv420p"
                    )
                out.pts, out.time_base = pts, TIME_BASE
                dst.mux(stream.encode(out))
        step()
    dst.mux(stream.encode(None))

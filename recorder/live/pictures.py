"""From the recorded picture to the parts of a live frame: changed tiles merged into a few
rectangles (one JPEG carries ~600 bytes of headers, a 32×32 tile alone would be mostly
header), each cut out of the picture and compressed as JPEG with libavcodec's encoder."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt

from formats.screen_live import LivePart
from recorder.capture.geometry import Rect

# JPEG quantiser (2 best .. 31 worst): 6 keeps small text readable at ~1 bit per pixel.
QUALITY = 6
# Rectangles closer than this (pixels) are merged: the pixels between cost less than a header.
MERGE_GAP = 48
MAX_PARTS = 24  # above this, one bounding rectangle


def _near(a: Rect, b: Rect, gap: int) -> bool:
    return not (
        a.x > b.right + gap or b.x > a.right + gap or a.y > b.bottom + gap or b.y > a.bottom + gap
    )


def _union(a: Rect, b: Rect) -> Rect:
    x, y = min(a.x, b.x), min(a.y, b.y)
    return Rect(x, y, max(a.right, b.right) - x, max(a.bottom, b.bottom) - y)


def merge(rects: list[Rect], gap: int = MERGE_GAP) -> list[Rect]:
    """Rectangles covering ``rects``: near ones joined into their bounding rectangle."""
    merged = [r for r in rects if not r.empty]
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                if _near(merged[i], merged[j], gap):
                    merged[i] = _union(merged[i], merged.pop(j))
                    changed = True
                    break
            if changed:
                break
    if len(merged) > MAX_PARTS:
        whole = merged[0]
        for r in merged[1:]:
            whole = _union(whole, r)
        merged = [whole]
    return merged


def jpeg(bgra: npt.NDArray[np.uint8], quality: int = QUALITY) -> bytes:
    """One JPEG of a BGRA picture (odd sides are padded by a repeated edge row or column)."""
    h, w = bgra.shape[:2]
    if h % 2 or w % 2:
        bgra = np.pad(bgra, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    context = av.CodecContext.create("mjpeg", "w")
    context.width, context.height = bgra.shape[1], bgra.shape[0]
    context.pix_fmt = "yuvj420p"
    context.time_base = Fraction(1, 25)
    context.options = {"qmin": str(quality), "qmax": str(quality)}
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(bgra), format="bgra")
    packets = context.encode(frame.reformat(format="yuvj420p")) + context.encode(None)
    return b"".join(bytes(p) for p in packets)  # a viewer paints only w×h of a padded one


def part(rect: Rect, crop: npt.NDArray[np.uint8]) -> LivePart:
    """The live frame's part for ``rect``, whose pixels are ``crop``."""
    return LivePart(rect.x, rect.y, rect.w, rect.h, jpeg(crop))

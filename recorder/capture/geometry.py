"""Rectangles in pixels, shared by capture, change detection, masking and manifests."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple


class Rect(NamedTuple):
    """``x, y, width, height`` in pixels; empty when either size is <= 0."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def area(self) -> int:
        return max(self.w, 0) * max(self.h, 0)

    @property
    def empty(self) -> bool:
        return self.w <= 0 or self.h <= 0

    def intersect(self, other: Rect) -> Rect:
        """The overlap of both (empty when they do not overlap)."""
        x, y = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        return Rect(x, y, max(right - x, 0), max(bottom - y, 0))

    def translate(self, dx: int, dy: int) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.w, self.h)

    def scale(self, sx: float, sy: float) -> Rect:
        """Scaled outwards to whole pixels (a scaled mask never shrinks)."""
        x, y = math.floor(self.x * sx), math.floor(self.y * sy)
        right, bottom = math.ceil(self.right * sx), math.ceil(self.bottom * sy)
        return Rect(x, y, right - x, bottom - y)

    def even(self) -> Rect:
        """Grown outwards to even coordinates and sizes (4:2:0 chroma covers 2×2 pixels)."""
        x, y = self.x & ~1, self.y & ~1
        right, bottom = (self.right + 1) & ~1, (self.bottom + 1) & ~1
        return Rect(x, y, right - x, bottom - y)

    def to_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    @classmethod
    def from_seq(cls, values: Iterable[int]) -> Rect:
        x, y, w, h = (int(v) for v in values)
        return cls(x, y, w, h)


def clip_all(rects: Iterable[Rect], bounds: Rect) -> list[Rect]:
    """Each rect clipped to ``bounds``, moved to coordinates relative to its top-left corner."""
    out = []
    for rect in rects:
        part = rect.intersect(bounds)
        if not part.empty:
            out.append(part.translate(-bounds.x, -bounds.y))
    return out


def scaled_size(region: Rect, width: int | None) -> tuple[int, int]:
    """The video size for ``region`` scaled down to ``width`` (keeping its aspect; None or
    wider: unscaled). Heights are multiples of 4: PyAV lays yuv420p out in buffers of
    height × 3/2 rows."""
    if not width or width >= region.w:
        return region.w, region.h
    height = max(4, round(region.h * width / region.w)) & ~3
    return max(2, width & ~1), height


def rescale_all(rects: list[Rect], source: tuple[int, int], target: tuple[int, int]) -> list[Rect]:
    """``rects`` in a ``source``-sized picture, in the ``target``-sized picture."""
    sx, sy = target[0] / source[0], target[1] / source[1]
    if sx == 1 and sy == 1:
        return rects
    return [r.scale(sx, sy) for r in rects]

"""Partial grabs without a display: damaged rectangles to tiles, and tiles compared in place."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from recorder.capture.changes import ChangeDetector, tile_rects
from recorder.capture.damage import MAX_PARTS, damaged_tiles
from recorder.capture.geometry import Rect

W, H = 320, 240  # 240 = 7 tiles of 32 + 16: the last row of tiles is short


def _frame(seed: int = 0) -> npt.NDArray[np.uint8]:
    return np.random.default_rng(seed).integers(0, 256, (H, W, 4), dtype=np.uint8)


# ----- damaged rectangles -> tiles to grab ----------------------------------------------------


def test_damage_is_grown_to_whole_tiles_of_the_region() -> None:
    region = Rect(100, 50, W, H)  # a monitor at (100, 50) of the root window
    # Root pixels: a caret of 1x16 at region (37, 70), and a rectangle crossing the edge.
    tiles = damaged_tiles([Rect(137, 120, 1, 16), Rect(400, 280, 40, 40)], region, 32)
    assert tiles == [Rect(32, 64, 32, 32), Rect(288, 224, 32, 16)]


def test_overlapping_damage_is_merged_and_outside_damage_dropped() -> None:
    region = Rect(0, 0, W, H)
    rects = [Rect(10, 10, 30, 10), Rect(35, 15, 30, 30), Rect(60, 40, 5, 5), Rect(500, 5, 9, 9)]
    assert damaged_tiles(rects, region, 32) == [Rect(0, 0, 96, 64)]
    assert damaged_tiles([], region, 32) == []


def test_too_many_rectangles_become_their_bounding_box() -> None:
    region = Rect(0, 0, 1920, 1080)
    scattered = [Rect(100 * i, 50 * i, 4, 4) for i in range(MAX_PARTS + 1)]
    assert len(damaged_tiles(scattered[:MAX_PARTS], region, 32)) == MAX_PARTS
    (box,) = damaged_tiles(scattered, region, 32)
    assert box == Rect(0, 0, 1216, 608)


def test_tile_grid_becomes_few_rectangles() -> None:
    grid = np.zeros((8, 10), dtype=np.bool_)
    grid[0:2, 3:5] = True  # a 2x2 block: one rectangle
    grid[5, 0] = grid[5, 9] = True  # two runs in a row
    grid[7, 9] = True  # the short last row
    assert tile_rects(grid, 32, Rect(0, 0, W, H)) == [
        Rect(96, 0, 64, 64),
        Rect(0, 160, 32, 32),
        Rect(288, 160, 32, 32),
        Rect(288, 224, 32, 16),
    ]


# ----- comparing and taking in a patch ----------------------------------------------------


@pytest.mark.parametrize(("y", "x"), [(0, 0), (70, 37), (239, 319), (230, 301)])
def test_a_changed_byte_in_a_patch_is_found_in_its_tile(y: int, x: int) -> None:
    detector = ChangeDetector(W, H, tile=32)
    screen = _frame()
    detector.accept(screen.copy())
    rect = Rect(x // 32 * 32, y // 32 * 32, 64, 64).intersect(Rect(0, 0, W, H))
    patch = screen[rect.y : rect.bottom, rect.x : rect.right].copy()
    patch[y - rect.y, x - rect.x, 2] ^= 0x10
    (tile,) = detector.absorb(patch, rect)
    assert tile == Rect(x // 32 * 32, y // 32 * 32, 32, min(32, H - y // 32 * 32))
    # The reference now holds the new pixel: the whole new frame is unchanged against it...
    screen[y, x, 2] ^= 0x10
    assert detector.changed(screen) == []
    reference = detector.reference
    assert reference is not None and np.array_equal(reference, screen)
    # ...and the same patch again changes nothing.
    assert detector.absorb(patch, rect) == []


def test_absorb_reports_several_tiles_as_merged_rectangles() -> None:
    detector = ChangeDetector(W, H, tile=32)
    screen = _frame()
    detector.accept(screen.copy())
    rect = Rect(64, 32, 128, 96)
    patch = screen[32:128, 64:192].copy()
    patch[0:40, 0:40] = 0  # tiles (64,32) (96,32) (64,64) (96,64)
    patch[90, 127] ^= 1  # tile (160, 96)
    assert detector.absorb(patch, rect) == [Rect(64, 32, 64, 64), Rect(160, 96, 32, 32)]


def test_absorb_refuses_what_it_cannot_compare() -> None:
    detector = ChangeDetector(W, H, tile=32)
    patch = np.zeros((32, 32, 4), dtype=np.uint8)
    with pytest.raises(ValueError, match="needs a reference"):
        detector.absorb(patch, Rect(0, 0, 32, 32))
    detector.accept(_frame())
    with pytest.raises(ValueError, match="not tile-aligned"):
        detector.absorb(patch, Rect(16, 0, 32, 32))
    with pytest.raises(ValueError, match="patch is"):
        detector.absorb(patch, Rect(0, 0, 64, 32))

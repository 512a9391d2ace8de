"""The store's MP4 export of a call whose screen changed size: how long `build_mp4` takes when
it must scale every frame onto one size, against copying segments of one size as they are.

Two screen segments of ``--minutes`` each (the recorder's own encoder, 5 fps, a changing
operator-like picture): 1920×1080 then 1280×1024 (scaled onto 1920×1080), and the same call
with both at 1920×1080 (copied). Prints seconds per minute of call and the real-time factor.

    .venv/bin/python -m bench.export_sizes [--minutes 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recorder.segments.encoder import SegmentEncoder  # noqa: E402
from store.exports import build_mp4  # noqa: E402

FPS = 5


def segment(path: Path, width: int, height: int, start_us: int, seconds: float) -> None:
    """A screen whose text-like rows change a little every frame (an operator typing)."""
    rng = np.random.default_rng(7)
    frame = np.full((height * 3 // 2, width), 128, np.uint8)
    frame[:height] = 235
    encoder = SegmentEncoder(path, width, height, start_us, FPS)
    step = 1_000_000 // FPS
    for i in range(int(seconds * FPS)):
        row = (i * 16) % (height - 16)
        frame[row : row + 12, 40 : width - 40] = rng.integers(16, 235, (12, width - 80))
        encoder.encode(frame, start_us + i * step)
    encoder.close(frame, start_us + int(seconds * 1e6))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="per segment (1)")
    args = parser.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = 1_700_000_000_000_000
        second = t0 + int(seconds * 1e6)
        segment(folder / "a.mp4", 1920, 1080, t0, seconds)
        segment(folder / "b.mp4", 1280, 1024, second, seconds)
        segment(folder / "c.mp4", 1920, 1080, second, seconds)
        first = (t0, second, folder / "a.mp4")
        calls = {
            "copied (1920×1080 twice)": [first, (second, None, folder / "c.mp4")],
            "scaled (1920×1080, 1280×1024)": [first, (second, None, folder / "b.mp4")],
        }
        for name, screens in calls.items():
            out = folder / "out.mp4"
            started = time.perf_counter()
            build_mp4(screens, None, out)
            took = time.perf_counter() - started
            call_s = 2 * seconds
            print(f"{name}: {took:.1f} s for {call_s:.0f} s of call "
                  f"({took / call_s * 60:.1f} s per minute, RTF {took / call_s:.3f}), "
                  f"{out.stat().st_size / 1e6:.1f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

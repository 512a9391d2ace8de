"""How faithful a screen recording is: SSIM of decoded frames against screenshots taken at
known UTC times, and how late the recording shows each tick of the on-screen clock.

Used by ``bench.record_vs_ffmpeg``; works on any recording whose frames can be mapped to UTC
(:class:`Clip`: our segments by their manifests, ffmpeg's file by the x11grab start time).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

MEDIA_SUFFIXES = (".mp4", ".m4s", ".ts", ".mkv", ".mov")


# --------------------------------------------------------------------------------------------
# Image quality


def _gaussian(sigma: float = 1.5, radius: int = 5) -> np.ndarray:
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-(x * x) / (2 * sigma * sigma))
    return k / k.sum()


_KERNEL = _gaussian()


def _filter_valid(img: np.ndarray) -> np.ndarray:
    """Separable Gaussian filter, 'valid' part only (no padding)."""
    k, n = _KERNEL, len(_KERNEL)
    rows = img.shape[0] - n + 1
    out = k[0] * img[:rows]
    for i in range(1, n):
        out += k[i] * img[i : i + rows]
    cols = img.shape[1] - n + 1
    res = k[0] * out[:, :cols]
    for i in range(1, n):
        res += k[i] * out[:, i : i + cols]
    return res


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two 8-bit grayscale images (Wang et al. 2004).

    11×11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, L 255, population covariances, no
    downsampling, averaged over the window positions that fit inside the image. This is what
    ``skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255)`` computes.
    """
    x = a.astype(np.float64)
    y = b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _filter_valid(x), _filter_valid(y)
    sxx = _filter_valid(x * x) - mx * mx
    syy = _filter_valid(y * y) - my * my
    sxy = _filter_valid(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float(np.mean(num / den))


def gray(pixels: np.ndarray, order: str) -> np.ndarray:
    """BT.601 luma (full range, 8 bit) of an RGB/BGR(A) image; the same formula for both sides."""
    r, g, b = (pixels[..., order.index(c)].astype(np.uint16) for c in "RGB")
    return ((77 * r + 150 * g + 29 * b + 128) >> 8).astype(np.uint8)


# --------------------------------------------------------------------------------------------
# Recordings: which frame is on screen when


@dataclass
class Clip:
    """One decodable file and how to turn its frame times into UTC µs."""

    path: Path
    utc_origin_us: int  # UTC of time 0 of the stream's timestamps
    end_utc_us: int | None = None  # the last frame stays on screen until then


def frames_utc(clip: Clip) -> Iterator[tuple[int, av.VideoFrame]]:
    """(UTC µs, frame) in presentation order."""
    with av.open(str(clip.path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.time is not None:
                yield clip.utc_origin_us + round(frame.time * 1e6), frame


def ffmpeg_clip(path: Path, stderr_text: str, seconds: float) -> Clip:
    """ffmpeg prints the input's start time; x11grab stamps packets with the wall clock and
    the output's timestamps start at 0 from it: UTC of a frame = start + pts."""
    match = re.search(r"Input #0, x11grab.*?start: (\d+\.\d+)", stderr_text, re.S)
    if not match:
        raise RuntimeError("ffmpeg did not print the x11grab start time")
    start_us = round(float(match.group(1)) * 1e6)
    if abs(start_us / 1e6 - time.time()) > 24 * 3600:
        raise RuntimeError(f"x11grab start {match.group(1)} is not a wall-clock time")
    return Clip(path, start_us, end_utc_us=start_us + int(seconds * 1e6))


def our_clips(out_dir: Path) -> tuple[list[Clip], list[dict[str, Any]]]:
    """Segments and manifests written by ``recorder.cli``, in time order. A frame's UTC is the
    manifest's ``utc_start_us`` plus its pts (recorder/segments/encoder.py: pts 0 is the
    segment start)."""
    manifests = []
    for path in sorted(out_dir.rglob("*.json")):
        with contextlib.suppress(ValueError, OSError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "utc_start_us" in data:
                manifests.append((path, data))
    clips = []
    for path, data in sorted(manifests, key=lambda item: item[1]["utc_start_us"]):
        media = _segment_of(path, data)
        if media is None:
            raise RuntimeError(f"no segment file found for manifest {path.name}")
        clips.append(
            Clip(
                media,
                int(data["utc_start_us"]),
                end_utc_us=int(data["utc_end_us"]) if data.get("utc_end_us") else None,
            )
        )
    return clips, [data for _, data in manifests]


def _segment_of(manifest: Path, data: dict[str, Any]) -> Path | None:
    for key in ("file", "path", "segment", "filename", "name", "media"):
        value = data.get(key)
        if isinstance(value, str):
            candidate = manifest.parent / Path(value).name
            if candidate.suffix in MEDIA_SUFFIXES and candidate.exists():
                return candidate
    for suffix in MEDIA_SUFFIXES:
        stem = manifest.name.removesuffix(".json").removesuffix(".manifest")
        candidate = manifest.with_name(stem + suffix)
        if candidate.exists():
            return candidate
    return None


@dataclass
class Quality:
    ssim_mean: float | None = None
    ssim_min: float | None = None
    samples: int = 0
    samples_outside: int = 0  # before the first frame or after the recording ended
    frames: int = 0
    # Diagnostics of the time mapping: samples that the frame before (after) the chosen one
    # matches clearly better. "Earlier" should be ~0; "later" happens when the screen changed
    # between the chosen frame's capture and the sample (a recording lags by up to 1/fps).
    earlier_closer: int = 0
    later_closer: int = 0
    scores: list[float] = field(default_factory=list)
    # The on-screen clock changes at known UTC times (the timeline): how long after each tick
    # the recording first shows a changed clock. In [0, 1/fps] when frame times are right.
    clock_lags_ms: list[float] = field(default_factory=list)
    ticks_missed: int = 0  # ticks inside the recording whose change never showed up

    def lag_ms(self, pick: Any) -> float | None:
        return pick(self.clock_lags_ms) if self.clock_lags_ms else None


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def _changed(a: np.ndarray, b: np.ndarray) -> bool:
    """Text changed (a digit of the clock), not just coding noise: 8+ pixels off by > 48."""
    return int(np.count_nonzero(np.abs(a.astype(np.int16) - b.astype(np.int16)) > 48)) >= 8


def _luma(frame: av.VideoFrame, rect: list[int]) -> np.ndarray:
    """The Y plane of ``rect`` (x, y, w, h), without converting the whole frame."""
    x, y, w, h = rect
    if frame.format.name.startswith(("yuv", "yuvj", "nv12")):
        plane = frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        return rows[y : y + h, x : x + w].copy()
    return frame.to_ndarray(format="gray")[y : y + h, x : x + w].copy()


def compare(
    clips: list[Clip], samples: list[tuple[int, np.ndarray]], timeline: list[dict[str, Any]]
) -> Quality:
    """SSIM of each screen sample against the frame the recording shows at that moment, and
    the lag of the recording behind the clock ticks logged in the operator screen's timeline."""
    quality = Quality()
    clock = timeline[0]["regions"]["clock"]
    starts: list[int] = []  # UTC µs each frame appears, over all clips in order
    ends: list[int] = []  # ... and until when it stays (the next frame, or the clip's end)
    clock_changes: list[int] = []  # UTC µs of frames whose clock differs from the frame before
    previous_clock: np.ndarray | None = None
    for clip in clips:
        times = []
        for utc_us, frame in frames_utc(clip):
            times.append(utc_us)
            crop = _luma(frame, clock)
            if previous_clock is not None and _changed(crop, previous_clock):
                clock_changes.append(utc_us)
            previous_clock = crop
        if times:
            starts += times
            ends += [*times[1:], clip.end_utc_us or times[-1]]
    quality.frames = len(starts)
    if starts:
        for tick in (d["utc_us"] for d in timeline if d["kind"] == "clock"):
            if not starts[0] < tick < ends[-1] - 300_000:
                continue
            at = bisect.bisect_left(clock_changes, tick - 500_000)
            if at < len(clock_changes) and clock_changes[at] < tick + 900_000:
                quality.clock_lags_ms.append((clock_changes[at] - tick) / 1000)
            else:
                quality.ticks_missed += 1
    pairs = []
    for sample_no, (sample_us, _) in enumerate(samples):
        index = bisect.bisect_right(starts, sample_us) - 1
        if index < 0 or sample_us > ends[index]:
            quality.samples_outside += 1
        else:
            pairs.append((sample_no, index))
    needed = {j for _, i in pairs for j in (i - 1, i, i + 1) if 0 <= j < len(starts)}
    grays: dict[int, np.ndarray] = {}
    number = 0
    for clip in clips:
        for _, frame in frames_utc(clip):
            if number in needed:
                grays[number] = gray(frame.to_ndarray(format="rgb24"), "RGB")
            number += 1
    for sample_no, index in pairs:
        sample = samples[sample_no][1]
        quality.scores.append(ssim(sample, grays[index]))
        here = _mad(sample, grays[index])
        if index - 1 in grays and _mad(sample, grays[index - 1]) < here - 0.02:
            quality.earlier_closer += 1
        if index + 1 in grays and _mad(sample, grays[index + 1]) < here - 0.02:
            quality.later_closer += 1
    quality.samples = len(quality.scores)
    if quality.scores:
        quality.ssim_mean = statistics.fmean(quality.scores)
        quality.ssim_min = min(quality.scores)
    return quality

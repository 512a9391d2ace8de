"""Our screen recorder against ffmpeg's x11grab on the same synthetic operator screen.

Starts Xvfb (1920x1080x24, a free display chosen by Xvfb itself, no TCP), then runs the two
recorders one after the other, A B A B by default (``--pairs``), each for ``--seconds``:

- ours: ``python -m recorder.cli --display :N --seconds S --fps F --out DIR``
- ffmpeg: ``ffmpeg -f x11grab -framerate F -video_size 1920x1080 -i :N -c:v libx264 -preset
  ultrafast -tune zerolatency -crf 28 -t S out.mp4``

Before every run a fresh ``bench.operator_screen`` with the same seed starts and the recorder
starts as soon as it is on screen, so every run records the same scripted minute. During a run
a sampler thread grabs the screen with mss every ``--sample-every`` seconds (stamped with
``time.time_ns()``). After the run, and before the next one, the recording is decoded, each
sample is paired with the frame the recording shows at that UTC time, and the SSIM of the two
(grayscale, Gaussian window, numpy) is taken.

Per run: CPU time (user+sys of the recorder and all its waited-for descendants, from
``os.wait4``), bytes written, peak RSS (the largest VmHWM of the tree's processes, and the peak
of the tree's summed RSS, polled from /proc), mean SSIM, and how late the recording shows each
tick of the on-screen clock (a check of the UTC mapping). Then medians, ratios ours/ffmpeg and
the goals of issue 3. Run from the repository root::

    .venv/bin/python -m bench.record_vs_ffmpeg [--seconds 60] [--pairs 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import hashlib
import json
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av
import mss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/record_vs_ffmpeg.py``
    sys.path.insert(0, str(ROOT))

from bench.operator_screen import read_timeline  # noqa: E402

WIDTH, HEIGHT = 1920, 1080
OUR_CLI = ROOT / "recorder" / "cli.py"
PACKAGES = ("recorder", "sip", "store", "desktop")  # first-party, as in pyproject.toml
MEDIA_SUFFIXES = (".mp4", ".m4s", ".ts", ".mkv", ".mov")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
GOALS = {"cpu_ratio": 0.5, "bytes_ratio": 0.25, "mb_per_hour": 25.0, "ssim": 0.97, "rss_mb": 150}


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
# Processes


class Xvfb:
    """A private Xvfb on a display number it picks itself (``-displayfd``), no TCP."""

    def __init__(self, size: str = f"{WIDTH}x{HEIGHT}x24") -> None:
        read_fd, write_fd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp"],
                pass_fds=(write_fd,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        number = b""
        deadline = time.monotonic() + 15
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while not number.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([pipe], [], [], remaining)[0]:
                    break
                chunk = pipe.read(16)
                if not chunk:  # Xvfb exited
                    break
                number += chunk
        if not number.strip().isdigit():
            self.stop()
            raise RuntimeError("Xvfb did not report a display number")
        self.display = f":{number.strip().decode()}"

    def stop(self) -> None:
        stop_process(self.proc)


def stop_process(proc: subprocess.Popen[Any], grace_s: float = 5.0) -> None:
    """SIGTERM to the process group we started, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace_s)


@dataclass
class Usage:
    cpu_s: float = 0.0  # user+sys of the process and its waited-for descendants (wait4)
    peak_rss_mb: float = 0.0  # the largest VmHWM (peak RSS) of any process of the tree
    tree_rss_peak_mb: float = 0.0  # peak of the summed RSS of the live tree (polled)
    tree_cpu_polled_s: float = 0.0  # cross-check: last polled user+sys per process, summed
    wall_s: float = 0.0
    exit_code: int | None = None


def _proc_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, utime+stime ticks, rss pages) for every process we can read."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                raw = stat.read().decode(errors="replace")
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21]))
    return table


def _peak_rss_mb(pid: int) -> float:
    """VmHWM of a live process. Not ru_maxrss: a child forked from this (big) harness inherits
    the harness's high-water mark at exec, so ru_maxrss would report ours, not its own."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return 0.0


def wait_measured(proc: subprocess.Popen[Any], timeout_s: float, poll_s: float = 0.1) -> Usage:
    """Waits for ``proc`` (killing its group after ``timeout_s``) and measures its tree.

    CPU comes from ``os.wait4`` (exact, includes every descendant the process waited for);
    RSS figures come from polling /proc every ``poll_s``. VmHWM is a high-water mark, so the
    polling only misses growth in the last ``poll_s`` of a process's life.
    """
    usage = Usage()
    start = time.monotonic()
    last_cpu: dict[int, int] = {}
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        table = _proc_table()
        tree, frontier = {proc.pid}, [proc.pid]
        while frontier:
            parent = frontier.pop()
            for child, (ppid, _, _) in table.items():
                if ppid == parent and child not in tree:
                    tree.add(child)
                    frontier.append(child)
        rss = sum(table[p][2] for p in tree if p in table) * PAGE_SIZE / 1e6
        usage.tree_rss_peak_mb = max(usage.tree_rss_peak_mb, rss)
        for p in tree:
            if p in table:
                last_cpu[p] = table[p][1]
                usage.peak_rss_mb = max(usage.peak_rss_mb, _peak_rss_mb(p))
        if time.monotonic() - start > timeout_s:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(poll_s)
    usage.wall_s = time.monotonic() - start
    usage.cpu_s = rusage.ru_utime + rusage.ru_stime
    usage.tree_cpu_polled_s = sum(last_cpu.values()) / CLOCK_TICKS
    usage.exit_code = os.waitstatus_to_exitcode(status)
    proc.returncode = usage.exit_code
    return usage


class OperatorScreen:
    """``bench.operator_screen`` on the display; returns once it is on screen."""

    def __init__(self, display: str, seed: int, duration_s: float, timeline: Path) -> None:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        cmd = [sys.executable, "-m", "bench.operator_screen", "--seed", str(seed)]
        cmd += ["--duration", str(duration_s), "--timeline", str(timeline)]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        ready: list[str] = []
        reader = threading.Thread(
            target=lambda: ready.append(self.proc.stdout.readline() if self.proc.stdout else ""),
            daemon=True,
        )
        reader.start()
        reader.join(30)
        if not ready or not ready[0].startswith("ready "):
            self.stop()
            raise RuntimeError("the operator screen did not come up within 30 s")
        self.start_utc_us = int(ready[0].split()[1])

    def stop(self) -> None:
        stop_process(self.proc)


class ScreenSampler(threading.Thread):
    """Grabs the whole screen every ``interval_s``; keeps (utc_us, 8-bit gray) pairs."""

    def __init__(self, display: str, interval_s: float, first_after_s: float) -> None:
        super().__init__(daemon=True)
        self.display = display
        self.interval_s = interval_s
        self.first_after_s = first_after_s
        self.samples: list[tuple[int, np.ndarray]] = []
        self.grab_ms: list[float] = []
        self._halt = threading.Event()

    def run(self) -> None:
        with mss.MSS(display=self.display) as screen:
            monitor = screen.monitors[1]
            deadline = time.monotonic() + self.first_after_s
            while not self._halt.wait(max(0.0, deadline - time.monotonic())):
                before = time.time_ns()
                shot = screen.grab(monitor)
                after = time.time_ns()
                self.grab_ms.append((after - before) / 1e6)
                pixels = np.frombuffer(shot.raw, np.uint8).reshape(shot.height, shot.width, 4)
                self.samples.append(((before + after) // 2000, gray(pixels, "BGR")))
                deadline += self.interval_s

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


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
    manifest's ``utc_start_us`` plus its pts (recorder/encoder.py: pts 0 is the segment start)."""
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


# --------------------------------------------------------------------------------------------
# Runs


@dataclass
class Run:
    number: int
    side: str  # "ours" or "ffmpeg"
    seconds: float
    usage: Usage = field(default_factory=Usage)
    bytes: int = 0
    files: int = 0
    quality: Quality = field(default_factory=Quality)
    start_offset_s: float = 0.0  # recorder start after the operator script's start
    sampler_grab_ms: float = 0.0
    xvfb_cpu_s: float = 0.0  # the X server's CPU during the run (it copies every grab)
    screen_cpu_s: float = 0.0  # the operator screen's CPU during the run
    notes: list[str] = field(default_factory=list)
    breakdown: list[str] = field(default_factory=list)  # our recorder's own cost lines
    source_digest: str = ""  # ours: SHA-256 of recorder/*.py when the run started

    @property
    def mb_per_hour(self) -> float:
        return self.bytes / self.seconds * 3600 / 1e6


def ffmpeg_command(display: str, fps: int, seconds: float, out: Path) -> list[str]:
    """The reference command of issue 3 (plus -t, -nostdin and a file name)."""
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-y",
        "-f", "x11grab", "-framerate", str(fps), "-video_size", f"{WIDTH}x{HEIGHT}",
        "-i", display,
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-crf", "28",
        "-t", f"{seconds:g}", str(out),
    ]  # fmt: skip


def our_command(
    display: str, fps: int, seconds: float, out: Path, module: str = "recorder.cli"
) -> list[str]:
    return [
        sys.executable, "-m", module,
        "--display", display, "--seconds", f"{seconds:g}", "--fps", str(fps), "--out", str(out),
    ]  # fmt: skip


def recorder_digest(root: Path) -> str:
    """SHA-256 over recorder/**/*.py under ``root``: tells whether the code changed."""
    digest = hashlib.sha256()
    for path in sorted((root / "recorder").rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def snapshot_sources(dest: Path) -> Path:
    """Copies our packages (recorder and what it imports) to ``dest``: every run of ours then
    uses the same code even if someone edits the tree during the bench. ``python -m`` puts the
    working folder first on sys.path, ahead of the editable install."""
    for package in PACKAGES:
        if (ROOT / package).is_dir():
            shutil.copytree(
                ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
            )
    return dest


def _cpu_s(pid: int) -> float:
    """utime+stime of one live process so far."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        raw = stat.read().decode(errors="replace")
    fields = raw[raw.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def record(run: Run, xvfb: Xvfb, fps: int, work: Path, args: argparse.Namespace) -> None:
    """One measured run: operator screen up, sampler and recorder started, wait, analyse."""
    display = xvfb.display
    run_dir = work / f"run{run.number}-{run.side}"
    out_dir = run_dir / "out"
    out_dir.mkdir(parents=True)
    screen = OperatorScreen(
        display, args.seed, run.seconds + args.screen_margin, run_dir / "timeline.jsonl"
    )
    try:
        if run.side == "ffmpeg":
            cmd = ffmpeg_command(display, fps, run.seconds, out_dir / "ffmpeg.mp4")
        else:
            cmd = our_command(display, fps, run.seconds, out_dir, args.ours_module)
            if args.ours_module == "recorder.cli":
                run.source_digest = recorder_digest(args.ours_cwd)
        (run_dir / "command.txt").write_text(" ".join(cmd) + "\n", encoding="utf-8")
        sampler = ScreenSampler(display, args.sample_every, first_after_s=args.sample_every / 2)
        with open(run_dir / "stdout.txt", "wb") as out, open(run_dir / "stderr.txt", "wb") as err:
            run.start_offset_s = (time.time_ns() // 1000 - screen.start_utc_us) / 1e6
            proc = subprocess.Popen(
                cmd,
                cwd=args.ours_cwd if run.side == "ours" else ROOT,
                env={**os.environ, "DISPLAY": display},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            sampler.start()
            xvfb_before, screen_before = _cpu_s(xvfb.proc.pid), _cpu_s(screen.proc.pid)
            try:
                run.usage = wait_measured(proc, timeout_s=run.seconds + args.grace)
            finally:
                sampler.stop()
                stop_process(proc)
            run.xvfb_cpu_s = _cpu_s(xvfb.proc.pid) - xvfb_before
            if screen.proc.poll() is None:
                run.screen_cpu_s = _cpu_s(screen.proc.pid) - screen_before
            else:
                run.notes.append("the operator screen exited during the run")
    finally:
        screen.stop()
    stderr_text = (run_dir / "stderr.txt").read_text(encoding="utf-8", errors="replace")
    if run.usage.exit_code != 0:
        tail = "\n".join(stderr_text.splitlines()[-15:])
        raise RuntimeError(f"{run.side} exited with {run.usage.exit_code}:\n{tail}")
    media = [p for p in out_dir.rglob("*") if p.is_file()]
    run.files = len(media)
    run.bytes = sum(p.stat().st_size for p in media if p.suffix in MEDIA_SUFFIXES)
    if run.side == "ffmpeg":
        clips = [ffmpeg_clip(out_dir / "ffmpeg.mp4", stderr_text, run.seconds)]
    else:
        clips, manifests = our_clips(out_dir)
        manifest_bytes = sum(int(m.get("bytes", 0)) for m in manifests)
        if manifest_bytes and manifest_bytes != run.bytes:
            run.notes.append(f"manifests say {manifest_bytes} bytes, files {run.bytes}")
        run.breakdown = [
            line
            for line in (run_dir / "stdout.txt").read_text(errors="replace").splitlines()
            + stderr_text.splitlines()
            if re.search(r"grab|convert|encode|change|per frame", line, re.I)
        ][-12:]
    run.sampler_grab_ms = statistics.median(sampler.grab_ms) if sampler.grab_ms else 0.0
    timeline = list(read_timeline(str(run_dir / "timeline.jsonl")))
    run.quality = compare(clips, sampler.samples, timeline)
    q = run.quality
    if q.ticks_missed > len(q.clock_lags_ms) // 10 or (
        q.clock_lags_ms and min(q.clock_lags_ms) < -20
    ):
        run.notes.append(
            "the recording shows clock ticks before they happened or not at all: frame times "
            "(manifest UTC + pts) look wrong, and so would the SSIM pairing"
        )
    if run.usage.tree_cpu_polled_s > run.usage.cpu_s * 1.05 + 0.2:
        run.notes.append(
            f"polled tree CPU {run.usage.tree_cpu_polled_s:.2f} s > wait4 "
            f"{run.usage.cpu_s:.2f} s: a descendant was not waited for"
        )
    if not args.keep_recordings:
        shutil.rmtree(out_dir, ignore_errors=True)


def _median(runs: list[Run], value: Any) -> float | None:
    values = [v for v in (value(r) for r in runs) if v is not None]
    return statistics.median(values) if values else None


def report(runs: list[Run], seconds: float) -> bool:
    """Prints the per-run table, the medians and ratios; True if every goal is met."""
    print()
    print(
        f"{'run':>3} {'side':<6} {'wall s':>6} {'CPU s':>6} {'CPU %':>6} {'bytes':>11} "
        f"{'MB/h':>7} {'peakRSS MB':>10} {'treeRSS MB':>10} {'frames':>6} {'SSIM mean':>9} "
        f"{'SSIM min':>8} {'n':>3} {'out':>3} {'e/l':>5} {'clock lag ms':>14} {'miss':>4} "
        f"{'Xvfb s':>6} {'screen s':>8}"
    )
    for r in runs:
        q = r.quality
        print(
            f"{r.number:>3} {r.side:<6} {r.usage.wall_s:6.1f} {r.usage.cpu_s:6.2f} "
            f"{100 * r.usage.cpu_s / r.usage.wall_s:6.1f} {r.bytes:11,d} {r.mb_per_hour:7.1f} "
            f"{r.usage.peak_rss_mb:10.1f} {r.usage.tree_rss_peak_mb:10.1f} {q.frames:6d} "
            f"{_fmt(q.ssim_mean, 4):>9} {_fmt(q.ssim_min, 4):>8} {q.samples:3d} "
            f"{q.samples_outside:3d} {q.earlier_closer:>2}/{q.later_closer:<2} "
            f"{_fmt(q.lag_ms(min), 0):>4}/{_fmt(q.lag_ms(statistics.median), 0):>4}/"
            f"{_fmt(q.lag_ms(max), 0):>4} {q.ticks_missed:4d} {r.xvfb_cpu_s:6.2f} "
            f"{r.screen_cpu_s:8.2f}"
        )
        for note in r.notes:
            print(f"    note: {note}")
    ours = [r for r in runs if r.side == "ours"]
    ref = [r for r in runs if r.side == "ffmpeg"]
    rows = [
        ("CPU s (user+sys)", lambda r: r.usage.cpu_s, "ratio", GOALS["cpu_ratio"], 2),
        ("bytes", lambda r: r.bytes, "ratio", GOALS["bytes_ratio"], 0),
        ("MB per hour", lambda r: r.mb_per_hour, "max", GOALS["mb_per_hour"], 1),
        ("SSIM mean", lambda r: r.quality.ssim_mean, "min", GOALS["ssim"], 4),
        ("peak RSS MB", lambda r: r.usage.peak_rss_mb, "max", GOALS["rss_mb"], 1),
        ("tree RSS MB", lambda r: r.usage.tree_rss_peak_mb, None, None, 1),
    ]
    print()
    print(f"medians of {len(ours)} + {len(ref)} runs of {seconds:g} s")
    print(f"{'':<18} {'ours':>12} {'ffmpeg':>12} {'ours/ffmpeg':>11}  goal")
    all_met = True
    for name, value, kind, goal, digits in rows:
        mine, theirs = _median(ours, value), _median(ref, value)
        ratio = mine / theirs if mine is not None and theirs else None
        verdict = ""
        if kind == "ratio" and goal is not None:
            met = ratio is not None and ratio <= goal
            verdict = f"ratio <= {goal:g}x: {'met' if met else 'NOT met'}"
        elif kind == "max" and goal is not None:
            met = mine is not None and mine <= goal
            verdict = f"ours <= {goal:g}: {'met' if met else 'NOT met'}"
        elif kind == "min" and goal is not None:
            met = mine is not None and mine >= goal
            verdict = f"ours >= {goal:g}: {'met' if met else 'NOT met'}"
        else:
            met = True
        all_met = all_met and met
        print(
            f"{name:<18} {_fmt(mine, digits, True):>12} {_fmt(theirs, digits, True):>12} "
            f"{_fmt(ratio, 3):>11}  {verdict}"
        )
    digests = sorted({r.source_digest for r in ours if r.source_digest})
    if len(digests) > 1:
        print()
        print(
            f"WARNING: recorder/ changed between our runs (sources {', '.join(digests)}): "
            "the medians mix versions; run again"
        )
        all_met = False
    breakdown = next((r.breakdown for r in reversed(ours) if r.breakdown), [])
    if breakdown:
        print()
        print("our recorder's own per-frame cost lines (last run that printed them):")
        for line in breakdown:
            print(f"    {line}")
    return all_met


def _fmt(value: float | None, digits: int, thousands: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if thousands else f"{value:.{digits}f}"


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="per run (default 60)")
    parser.add_argument("--pairs", type=int, default=2, help="A B pairs (default 2: A B A B)")
    parser.add_argument("--fps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7, help="operator screen script seed")
    parser.add_argument(
        "--sample-every", type=float, default=2.0, help="reference screenshot interval, s"
    )
    parser.add_argument("--sides", default="ours,ffmpeg", help="which recorders, in A B order")
    parser.add_argument("--keep", help="keep the work folder here (timelines, logs, results)")
    parser.add_argument(
        "--keep-recordings", action="store_true", help="with --keep: keep the videos too"
    )
    parser.add_argument("--grace", type=float, default=60.0, help="extra seconds before a kill")
    parser.add_argument("--screen-margin", type=float, default=30.0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-snapshot",
        action="store_true",
        help="run our recorder from the tree itself, not from a copy taken at the start",
    )
    # Another build of "ours" (a module on PYTHONPATH taking the same arguments as recorder.cli).
    parser.add_argument("--ours-module", default="recorder.cli", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    if not sides or set(sides) - {"ours", "ffmpeg"}:
        parser.error("--sides takes ours and/or ffmpeg")
    if "ours" in sides and args.ours_module == "recorder.cli" and not OUR_CLI.exists():
        parser.error("recorder/cli.py does not exist yet: run with --sides ffmpeg")
    for tool in ("Xvfb", "ffmpeg"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")

    def terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    work = (
        Path(args.keep).resolve()
        if args.keep
        else Path(tempfile.mkdtemp(prefix="record-vs-ffmpeg-"))
    )
    work.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    args.ours_cwd = ROOT
    if "ours" in sides and not args.no_snapshot:
        args.ours_cwd = snapshot_sources(work / "src")
    xvfb = Xvfb()
    try:
        print(f"Xvfb {xvfb.display} {WIDTH}x{HEIGHT}x24; work folder {work}")
        print(f"load average before: {_load()} ({os.cpu_count()} CPUs)")
        number = 0
        for _ in range(args.pairs):
            for side in sides:
                number += 1
                run = Run(number, side, args.seconds)
                print(f"run {number}: {side}, {args.seconds:g} s ...", flush=True)
                record(run, xvfb, args.fps, work, args)
                runs.append(run)
                print(
                    f"    CPU {run.usage.cpu_s:.2f} s, {run.bytes:,d} bytes, SSIM "
                    f"{_fmt(run.quality.ssim_mean, 4)}, peak RSS {run.usage.peak_rss_mb:.1f} MB"
                    + (f", recorder/ sources {run.source_digest}" if run.source_digest else ""),
                    flush=True,
                )
        print(f"load average after: {_load()}")
        met = report(runs, args.seconds)
        results = [{**asdict(r), "mb_per_hour": r.mb_per_hour} for r in runs]
        (work / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
        return 0 if met else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        xvfb.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

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
import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

import mss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/record_vs_ffmpeg.py``
    sys.path.insert(0, str(ROOT))

from bench.measured_process import Xvfb, cpu_s, stop_process, wait_measured  # noqa: E402
from bench.operator_script import read_timeline  # noqa: E402
from bench.record_report import Run, fmt, report, stage_table  # noqa: E402
from bench.recording_quality import (  # noqa: E402
    MEDIA_SUFFIXES,
    compare,
    ffmpeg_clip,
    gray,
    our_clips,
)

WIDTH, HEIGHT = 1920, 1080
OUR_CLI = ROOT / "recorder" / "cli.py"
PACKAGES = ("recorder", "sip", "store", "desktop")  # first-party, as in pyproject.toml


SCREENS = {"operator": "bench.operator_screen", "browser": "bench.browser_screen"}


class OperatorScreen:
    """A scripted screen (``bench.operator_screen`` or another module of :data:`SCREENS`) on
    the display; returns once it is on screen."""

    def __init__(
        self,
        display: str,
        seed: int,
        duration_s: float,
        timeline: Path,
        module: str = SCREENS["operator"],
    ) -> None:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        cmd = [sys.executable, "-m", module, "--seed", str(seed)]
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
# Runs


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


def record(run: Run, xvfb: Xvfb, fps: int, work: Path, args: argparse.Namespace) -> None:
    """One measured run: operator screen up, sampler and recorder started, wait, analyse."""
    display = xvfb.display
    run_dir = work / f"run{run.number}-{run.side}"
    out_dir = run_dir / "out"
    out_dir.mkdir(parents=True)
    screen = OperatorScreen(
        display,
        args.seed,
        run.seconds + args.screen_margin,
        run_dir / "timeline.jsonl",
        SCREENS[args.screen],
    )
    try:
        if run.side == "ffmpeg":
            cmd = ffmpeg_command(display, fps, run.seconds, out_dir / "ffmpeg.mp4")
        else:
            cmd = our_command(display, fps, run.seconds, out_dir, args.ours_module)
            cmd += [*args.ours_args.split(), "--stats-json", str(run_dir / "stats.json")]
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
            xvfb_before, screen_before = cpu_s(xvfb.proc.pid), cpu_s(screen.proc.pid)
            try:
                run.usage = wait_measured(proc, timeout_s=run.seconds + args.grace)
            finally:
                sampler.stop()
                stop_process(proc)
            run.xvfb_cpu_s = cpu_s(xvfb.proc.pid) - xvfb_before
            if screen.proc.poll() is None:
                run.screen_cpu_s = cpu_s(screen.proc.pid) - screen_before
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
        stats_path = run_dir / "stats.json"
        if stats_path.exists():
            run.stats = json.loads(stats_path.read_text(encoding="utf-8"))
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
    parser.add_argument(
        "--screen", choices=sorted(SCREENS), default="operator", help="the scripted screen"
    )
    parser.add_argument(
        "--stages", action="store_true", help="also print where our recorder's CPU goes"
    )
    parser.add_argument(
        "--ours-args", default="", help="extra arguments for our recorder, e.g. '--hold-small 0'"
    )
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
        print(f"screen: {SCREENS[args.screen]}; ours: recorder.cli {args.ours_args}".rstrip())
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
                    f"{fmt(run.quality.ssim_mean, 4)}, peak RSS {run.usage.peak_rss_mb:.1f} MB"
                    + (f", recorder/ sources {run.source_digest}" if run.source_digest else ""),
                    flush=True,
                )
        print(f"load average after: {_load()}")
        met = report(runs, args.seconds)
        if args.stages:
            stage_table(runs)
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

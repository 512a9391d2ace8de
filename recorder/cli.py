"""``agentdesk-record``: record an X display into screen segments (operations and benchmarks).

    agentdesk-record --display :1 --seconds 60 --fps 5 --out DIR [--call-id ID] [--monitor N]
                     [--scale WIDTH] [--no-damage]

Writes ``screen-*.mp4`` segments and their ``screen-*.json`` manifests into DIR, then prints
the totals and the per-frame cost of each stage on stderr. Without ``--seconds`` it records
until SIGINT/SIGTERM. Segments left ``recording`` by a recorder that died are finished first.

Exit status: 0 done; 2 bad arguments; 3 the display cannot be opened or went away; 4 the
output folder is not writable or the disk is full (what was written is kept and finished:
complete segments untouched, the one in progress cut after its last fragment); 1 anything else.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from recorder.capture.grab import CaptureError, DisplayUnavailable
from recorder.segments.config import RecorderConfig
from recorder.segments.encoder import SCREEN_PARAMS, EncodeError, EncoderSettings, StorageFull
from recorder.segments.heap import trim_heap
from recorder.segments.pipeline import ScreenRecorder

PROG = "agentdesk-record"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DISPLAY, EXIT_STORAGE = 0, 1, 2, 3, 4

log = logging.getLogger(PROG)


def _positive(kind: type[float] | type[int]) -> Callable[[str], float | int]:
    def parse(text: str) -> float | int:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    defaults = EncoderSettings()
    parser = argparse.ArgumentParser(
        prog=PROG, description="Record an X display into H.264 screen segments."
    )
    parser.add_argument("--display", help="X display, e.g. :1 (default: $DISPLAY)")
    parser.add_argument("--seconds", type=_positive(float), help="stop after this long")
    parser.add_argument("--fps", type=_positive(float), default=5.0, help="grabs per second")
    parser.add_argument("--out", type=Path, required=True, help="folder for segments")
    parser.add_argument(
        "--call-id", action="append", default=[], dest="call_ids", help="repeatable"
    )
    parser.add_argument(
        "--monitor", type=int, default=0, help="0: all monitors (default); n: monitor n"
    )
    parser.add_argument("--scale", type=_positive(int), help="scale to this width (pixels)")
    parser.add_argument(
        "--segment-seconds",
        type=_positive(float),
        default=RecorderConfig.segment_s,
        help=f"segment length (default {RecorderConfig.segment_s:g}; see recorder/README.md)",
    )
    parser.add_argument(
        "--fragment-seconds",
        type=float,
        default=defaults.fragment_s,
        help=f"crash loss bound; 0: a fragment per frame (default {defaults.fragment_s:g})",
    )
    parser.add_argument("--qp", type=int, default=defaults.qp, help=f"default {defaults.qp}")
    parser.add_argument("--crf", type=float, help="constant quality instead of --qp")
    parser.add_argument("--preset", default=defaults.preset, help=f"default {defaults.preset}")
    parser.add_argument("--tune", default=defaults.tune, help=f"default {defaults.tune}")
    parser.add_argument(
        "--keyint-seconds",
        type=float,
        default=defaults.keyint_s,
        help="extra key frames within a segment; 0: only its first frame (default)",
    )
    parser.add_argument("--x264-params", default="", help="extra key=value:... for libx264")
    parser.add_argument(
        "--no-damage",
        dest="damage",
        action="store_false",
        help="grab and compare the whole screen every tick instead of what X DAMAGE reports",
    )
    parser.add_argument(
        "--hold-small",
        type=float,
        default=RecorderConfig.hold_small_s,
        help="seconds a small change may wait for the next frame; 0: encode every change "
        f"at once (default {RecorderConfig.hold_small_s:g}; recorder/segments/pacing.py)",
    )
    parser.add_argument(
        "--hold-large",
        type=float,
        default=RecorderConfig.hold_large_s,
        help="during a burst of large changes (a scroll) encode at most every this many "
        f"seconds; 0: every one (default {RecorderConfig.hold_large_s:g})",
    )
    parser.add_argument(
        "--stats-json", type=Path, help="also write the totals and stage costs here (JSON)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every segment")
    return parser


def _check_out_dir(out: Path) -> str | None:
    """None when ``out`` is (now) a writable folder, else the reason why not."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        probe.unlink()
    except FileExistsError:
        return f"{out} exists and is not a folder"
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"no space left in {out}"
        return f"cannot write to {out}: {exc.strerror or exc}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format=f"{PROG}: %(message)s",
        stream=sys.stderr,
    )
    display = args.display or os.environ.get("DISPLAY")
    if not display:
        log.error("error: no X display: pass --display :N or set DISPLAY")
        return EXIT_DISPLAY
    problem = _check_out_dir(args.out)
    if problem:
        log.error("error: %s", problem)
        return EXIT_STORAGE
    settings = EncoderSettings(
        preset=args.preset,
        tune=args.tune,
        qp=args.qp,
        crf=args.crf,
        x264_params=":".join(p for p in (SCREEN_PARAMS, args.x264_params) if p),
        keyint_s=max(args.keyint_seconds, 0.0),
        fragment_s=max(args.fragment_seconds, 0.0),
    )
    config = RecorderConfig(
        out_dir=args.out,
        display=display,
        monitor=args.monitor,
        fps=args.fps,
        scale_width=args.scale,
        segment_s=args.segment_seconds,
        damage=args.damage,
        hold_small_s=max(args.hold_small, 0.0),
        hold_large_s=max(args.hold_large, 0.0),
        call_ids=list(args.call_ids),
        encoder=settings,
    )
    # Each segment frees a 1080p encoder: give its pages back (else glibc keeps them, ~+15 MB
    # of peak RSS after a few segments), as the worker does.
    recorder = ScreenRecorder(config, on_segment=lambda _manifest: trim_heap())

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.warning("%s: stopping", signal.Signals(signum).name)
        recorder.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    status = EXIT_OK
    try:
        recorder.run(args.seconds)
    except DisplayUnavailable as exc:
        log.error("error: %s", exc)
        status = EXIT_DISPLAY
    except StorageFull as exc:
        log.error("error: disk full, recording stopped: %s", exc)
        status = EXIT_STORAGE
    except CaptureError as exc:
        stopped = ", recording stopped" if recorder.stats.grabs else ""
        log.error("error: %s%s", exc, stopped)
        status = EXIT_DISPLAY
    except (EncodeError, OSError) as exc:
        log.error("error: recording stopped: %s", exc)
        status = EXIT_ERROR
    manifests = recorder.manifests
    partial = sum(1 for m in manifests if m.status != "complete")
    if status != EXIT_OK:
        log.error(
            "kept %d complete and %d partial segment(s) in %s",
            len(manifests) - partial,
            partial,
            args.out,
        )
    if recorder.stats.grabs:
        for line in recorder.stats.lines():
            print(f"{PROG}: {line}", file=sys.stderr)
    if args.stats_json:
        args.stats_json.write_text(json.dumps(recorder.stats.to_json()), encoding="utf-8")
    return status


if __name__ == "__main__":
    status = main()
    # Everything is written, closed and reported: leave without tearing down numpy, PyAV and
    # every other module one by one (~40 ms of CPU at every start of a recording; measured,
    # bench/README.md). ``agentdesk-record`` (the installed script) returns from main() instead.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(status)

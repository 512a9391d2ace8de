"""The recorder worker's options and command line (``python -m recorder.worker --help``)."""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from recorder.segments.pipeline import RecorderConfig
from recorder.segments.windows import MODES, RecordingPolicy


@dataclass
class WorkerOptions:
    """What the worker records and how (see :func:`build_parser` for each option)."""

    out_dir: Path
    display: str | None = None
    fps: float = 5.0
    preroll_s: float = 5.0
    monitor: int = 0
    scale_width: int | None = None
    segment_s: float = RecorderConfig.segment_s  # while a window records
    standby_s: float = 0.0  # spool segments while none does (0: the pre-roll, at least 2 s)
    mask_titles: list[str] = field(default_factory=list)
    title_poll_s: float = 0.25
    policy: RecordingPolicy = field(default_factory=RecordingPolicy)
    verbose: bool = False
    outbox_dir: Path | None = None  # None: OUT/outbox
    store_url: str = ""  # "" = journal only, upload nothing
    store_ca: str = ""
    quota_mb: float = 2000.0
    bandwidth_kbps: float = 0.0  # 0 = no cap
    upload_backoff_s: float = 300.0  # the longest wait between tries
    capture: bool = True  # False: upload only (no display to record)

    @property
    def outbox_path(self) -> Path:
        return self.outbox_dir or self.out_dir / "outbox"

    @property
    def standby_segment_s(self) -> float:
        return self.standby_s or max(self.preroll_s, 2.0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recorder.worker", description="The screen recorder worker (JSON pipe)."
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for kept segments")
    parser.add_argument("--display", help="X display, e.g. :1 (default: $DISPLAY)")
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--preroll", type=float, default=5.0, help="seconds before a window")
    parser.add_argument("--monitor", type=int, default=0, help="0: all monitors; n: monitor n")
    parser.add_argument("--scale", type=int, help="scale to this width (pixels)")
    parser.add_argument("--segment-seconds", type=float, default=RecorderConfig.segment_s)
    parser.add_argument("--standby-seconds", type=float, default=0.0)
    parser.add_argument("--mask-title", action="append", default=[], help="regex; repeatable")
    parser.add_argument("--title-poll", type=float, default=0.25, help="seconds")
    parser.add_argument("--policy", choices=MODES, default="all")
    parser.add_argument("--sample-percent", type=float, default=100.0)
    parser.add_argument("--off-agent", action="append", default=[])
    parser.add_argument("--off-queue", action="append", default=[])
    parser.add_argument("--outbox", type=Path, help="the upload outbox (default: OUT/outbox)")
    parser.add_argument(
        "--store-url",
        default="",
        help="the central store; its token comes from $AGENTDESK_STORE_TOKEN or the keyring",
    )
    parser.add_argument("--store-ca", default="", help="PEM file to verify the store with")
    parser.add_argument("--quota-mb", type=float, default=2000.0, help="upload spool quota")
    parser.add_argument("--bandwidth-kbps", type=float, default=0.0, help="0: no cap")
    parser.add_argument("--upload-backoff", type=float, default=300.0, help="longest wait, s")
    parser.add_argument(
        "--no-capture",
        action="store_true",
        help="upload only: record nothing (no display), drain the outbox to the store",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def parse_options(argv: list[str] | None) -> WorkerOptions:
    """Options from the command line; argparse exits 2 on a bad one."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        policy = RecordingPolicy(
            args.policy, args.sample_percent, frozenset(args.off_agent), frozenset(args.off_queue)
        )
        for pattern in args.mask_title:
            re.compile(pattern)
    except (ValueError, re.error) as exc:
        parser.error(str(exc))
    if args.store_url and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", args.store_url):
        parser.error(f"--store-url: {args.store_url!r} is not an http(s) URL")
    for name in ("quota_mb", "bandwidth_kbps"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    for name in ("fps", "preroll", "segment_seconds", "title_poll", "upload_backoff"):
        if getattr(args, name) < (0 if name == "preroll" else 1e-3):
            parser.error(f"--{name.replace('_', '-')} must be positive")
    return WorkerOptions(
        out_dir=args.out,
        display=args.display or os.environ.get("DISPLAY"),
        fps=args.fps,
        preroll_s=args.preroll,
        monitor=args.monitor,
        scale_width=args.scale,
        segment_s=args.segment_seconds,
        standby_s=args.standby_seconds,
        mask_titles=list(args.mask_title),
        title_poll_s=args.title_poll,
        policy=policy,
        verbose=args.verbose,
        outbox_dir=args.outbox,
        store_url=args.store_url,
        store_ca=args.store_ca,
        quota_mb=args.quota_mb,
        bandwidth_kbps=args.bandwidth_kbps,
        upload_backoff_s=args.upload_backoff,
        capture=not args.no_capture,
    )

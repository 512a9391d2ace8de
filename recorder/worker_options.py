"""The recorder worker's options, defined once: the desktop builds them from its settings and
writes them as the worker's command line (:meth:`WorkerOptions.to_argv`), the worker reads
them back (:meth:`WorkerOptions.from_argv`, ``python -m recorder.worker --help``).

The store's token is not an option: it comes in the worker's environment
(:data:`formats.pipe.STORE_TOKEN_ENV`) or from the keyring, never on a command line.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from formats.pipe import STORE_TOKEN_ENV
from recorder.segments.windows import MODES, QueueRule, RecordingPolicy

SEGMENT_S = 120.0  # while a window records (the recorder's own default, recorder/README.md)


@dataclass(frozen=True)
class WorkerOptions:
    """What the worker records and how (see :func:`build_parser` for each option)."""

    out_dir: Path
    display: str | None = None
    fps: float = 5.0
    preroll_s: float = 5.0
    monitor: int = 0
    scale_width: int | None = None
    segment_s: float = SEGMENT_S  # while a window records
    standby_s: float = 0.0  # spool segments while none does (0: the pre-roll, at least 2 s)
    mask_titles: tuple[str, ...] = ()
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

    def to_argv(self) -> list[str]:
        """The command line that :meth:`from_argv` reads back as these options."""
        argv = ["--out", str(self.out_dir)]
        if self.display:
            argv += ["--display", self.display]
        argv += ["--fps", _number(self.fps), "--preroll", _number(self.preroll_s)]
        argv += ["--monitor", str(self.monitor)]
        if self.scale_width is not None:
            argv += ["--scale", str(self.scale_width)]
        argv += ["--segment-seconds", _number(self.segment_s)]
        argv += ["--standby-seconds", _number(self.standby_s)]
        argv += ["--title-poll", _number(self.title_poll_s)]
        policy = self.policy
        argv += ["--policy", policy.mode, "--sample-percent", _number(policy.sample_percent)]
        for flag, values in (
            ("--mask-title", self.mask_titles),
            ("--off-agent", sorted(policy.off_agents)),
            ("--off-queue", sorted(policy.off_queues)),
        ):
            for value in values:
                argv += [flag, value]
        for rule in policy.queues:
            argv += ["--queue-policy", f"{rule.queue}={rule.mode}:{_number(rule.sample_percent)}"]
        if self.outbox_dir is not None:
            argv += ["--outbox", str(self.outbox_dir)]
        if self.store_url:
            argv += ["--store-url", self.store_url]
        if self.store_ca:
            argv += ["--store-ca", self.store_ca]
        argv += ["--quota-mb", _number(self.quota_mb)]
        argv += ["--bandwidth-kbps", _number(self.bandwidth_kbps)]
        argv += ["--upload-backoff", _number(self.upload_backoff_s)]
        if not self.capture:
            argv.append("--no-capture")
        if self.verbose:
            argv.append("--verbose")
        return argv

    @classmethod
    def from_argv(cls, argv: list[str] | None) -> WorkerOptions:
        """Options from the command line; argparse exits 2 on a bad one."""
        parser = build_parser()
        args = parser.parse_args(argv)
        try:
            policy = RecordingPolicy(
                args.policy,
                args.sample_percent,
                frozenset(args.off_agent),
                frozenset(args.off_queue),
                tuple(_queue_rule(text) for text in args.queue_policy),
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
        return cls(
            out_dir=args.out,
            display=args.display or os.environ.get("DISPLAY"),
            fps=args.fps,
            preroll_s=args.preroll,
            monitor=args.monitor,
            scale_width=args.scale,
            segment_s=args.segment_seconds,
            standby_s=args.standby_seconds,
            mask_titles=tuple(args.mask_title),
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


def _queue_rule(text: str) -> QueueRule:
    """``QUEUE=MODE[:PERCENT]`` of ``--queue-policy``."""
    queue, equals, rule = text.rpartition("=")
    mode, _, percent = rule.partition(":")
    if not equals or not queue:
        raise ValueError(f"--queue-policy: {text!r} is not QUEUE=MODE[:PERCENT]")
    try:
        return QueueRule(queue, mode, float(percent) if percent else 100.0)
    except ValueError as exc:
        raise ValueError(f"--queue-policy: {text!r}: {exc}") from None


def _number(value: float) -> str:
    """``4`` rather than ``4.0``, and never a rounded value (``:g`` keeps 6 digits)."""
    text = f"{value:g}"
    return text if float(text) == value else repr(float(value))


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
    parser.add_argument("--segment-seconds", type=float, default=SEGMENT_S)
    parser.add_argument("--standby-seconds", type=float, default=0.0)
    parser.add_argument("--mask-title", action="append", default=[], help="regex; repeatable")
    parser.add_argument("--title-poll", type=float, default=0.25, help="seconds")
    parser.add_argument("--policy", choices=MODES, default="all")
    parser.add_argument("--sample-percent", type=float, default=100.0)
    parser.add_argument("--off-agent", action="append", default=[])
    parser.add_argument("--off-queue", action="append", default=[])
    parser.add_argument(
        "--queue-policy",
        action="append",
        default=[],
        help="QUEUE=MODE[:PERCENT]: that queue's calls follow this rule; repeatable",
    )
    parser.add_argument("--outbox", type=Path, help="the upload outbox (default: OUT/outbox)")
    parser.add_argument(
        "--store-url",
        default="",
        help=f"the central store; its token comes from ${STORE_TOKEN_ENV} or the keyring",
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

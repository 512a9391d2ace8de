"""The figures of ``bench.record_vs_ffmpeg``: one :class:`Run` per recording, the per-run
table, the medians (with their spread) and ratios ours/ffmpeg against the goals of issue 3."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.measured_process import Usage
from bench.recording_quality import Quality

# Issue 23 (CPU and MB/h tightened from issue 3's 0.5 and 25).
GOALS = {"cpu_ratio": 0.35, "bytes_ratio": 0.25, "mb_per_hour": 15.0, "ssim": 0.97, "rss_mb": 150}


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
    stats: dict[str, Any] = field(default_factory=dict)  # ours: agentdesk-record --stats-json

    @property
    def mb_per_hour(self) -> float:
        return self.bytes / self.seconds * 3600 / 1e6


def _median(runs: list[Run], value: Any) -> float | None:
    values = [v for v in (value(r) for r in runs) if v is not None]
    return statistics.median(values) if values else None


def report(runs: list[Run], seconds: float) -> bool:
    """Prints the per-run table, the medians and ratios, their spread; True if every goal is
    met."""
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
            f"{fmt(q.ssim_mean, 4):>9} {fmt(q.ssim_min, 4):>8} {q.samples:3d} "
            f"{q.samples_outside:3d} {q.earlier_closer:>2}/{q.later_closer:<2} "
            f"{fmt(q.lag_ms(min), 0):>4}/{fmt(q.lag_ms(statistics.median), 0):>4}/"
            f"{fmt(q.lag_ms(max), 0):>4} {q.ticks_missed:4d} {r.xvfb_cpu_s:6.2f} "
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
            f"{name:<18} {fmt(mine, digits, True):>12} {fmt(theirs, digits, True):>12} "
            f"{fmt(ratio, 3):>11}  {verdict}"
        )
    print()
    for name, value in (("CPU s", lambda r: r.usage.cpu_s), ("MB per hour", _mb_per_hour)):
        print(_spread(name, ours, ref, value))
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


def stage_table(runs: list[Run]) -> None:
    """Where our recorder's CPU went, per run: each stage of the loop (all kinds of tick
    added up), the loop's own rest, and start-up plus exit (the process's CPU from wait4
    minus the loop's); then the median share of each."""
    ours = [r for r in runs if r.side == "ours" and r.stats.get("kinds")]
    if not ours:
        return
    stages: list[str] = list(ours[0].stats["stages"])
    columns = [*stages, "loop rest", "start+exit", "total"]
    print()
    print("where our recorder's CPU goes, CPU s per stage (tick kinds: count)")
    print(f"{'run':>3} " + "".join(f"{c:>11}" for c in columns) + "  ticks")
    shares: dict[str, list[float]] = {c: [] for c in columns}
    for r in ours:
        kinds = r.stats["kinds"]
        per_stage = [sum(k["cpu_s"][i] for k in kinds.values()) for i in range(len(stages))]
        loop = float(r.stats["cpu_s"])
        values = [*per_stage, loop - sum(per_stage), r.usage.cpu_s - loop, r.usage.cpu_s]
        for column, value in zip(columns, values, strict=True):
            shares[column].append(value / r.usage.cpu_s if r.usage.cpu_s else 0.0)
        ticks = ", ".join(f"{name} {k['count']}" for name, k in kinds.items())
        print(f"{r.number:>3} " + "".join(f"{v:11.3f}" for v in values) + f"  {ticks}")
    print("med " + "".join(f"{100 * statistics.median(shares[c]):10.1f}%" for c in columns))


def _mb_per_hour(run: Run) -> float:
    return run.mb_per_hour


def _spread(name: str, ours: list[Run], ref: list[Run], value: Any) -> str:
    """The spread behind a median: each side's min-max, and the ratio of each A B pair."""
    mine = [value(r) for r in ours]
    theirs = [value(r) for r in ref]
    pairs = [a / b for a, b in zip(mine, theirs, strict=False) if b]
    sides = "; ".join(
        f"{side} {min(values):.2f}-{max(values):.2f}"
        for side, values in (("ours", mine), ("ffmpeg", theirs))
        if values
    )
    ratios = " ".join(f"{r:.3f}" for r in pairs)
    return f"spread of {name}: {sides}; ours/ffmpeg by pair: {ratios or '-'}"


def fmt(value: float | None, digits: int, thousands: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if thousands else f"{value:.{digits}f}"

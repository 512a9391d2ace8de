"""Per-frame cost accounting of the recording loop (what ``agentdesk-record`` prints).

Each stage is timed twice: CPU time of the recording thread (``time.thread_time_ns``: what
the recorder costs the PC; libx264 and swscale run on this thread) and wall time (what it
adds to the frame's latency; for a grab it includes the X server's copy). Stages: ``grab``
(the damage query, the layout check and mss), ``mask`` (blacking out masked pixels),
``change`` (comparison with the reference), ``convert`` (BGRA to I420), ``encode`` (libx264)
and ``mux`` (fragmented MP4 written to the file). Kinds of tick: ``held`` is a small change
kept for the next frame, ``held large`` a large one in a burst (recorder/segments/pacing.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

STAGES = ("grab", "mask", "change", "convert", "encode", "mux")
KINDS = ("unchanged", "held", "held large", "small change", "large change")
NOT_ENCODED = ("unchanged", "held", "held large")


@dataclass
class _Kind:
    count: int = 0
    cpu_ns: list[int] = field(default_factory=lambda: [0] * len(STAGES))
    wall_ns: list[int] = field(default_factory=lambda: [0] * len(STAGES))


class StageClock:
    """Marks stage boundaries of one tick: ``mark()`` after each stage."""

    def __init__(self) -> None:
        self.cpu: list[int] = []
        self.wall: list[int] = []
        self._cpu0 = time.thread_time_ns()
        self._wall0 = time.perf_counter_ns()

    def mark(self) -> None:
        cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
        self.cpu.append(cpu - self._cpu0)
        self.wall.append(wall - self._wall0)
        self._cpu0, self._wall0 = cpu, wall

    def skip(self) -> None:
        """A stage that did not run (zero cost)."""
        self.cpu.append(0)
        self.wall.append(0)

    def carve(self, cpu_ns: int, wall_ns: int) -> None:
        """Split the last stage: its final ``cpu_ns``/``wall_ns`` become a stage of their own
        (timed inside a call, e.g. muxing inside the encoder's write)."""
        cpu_ns, wall_ns = min(cpu_ns, self.cpu[-1]), min(wall_ns, self.wall[-1])
        self.cpu[-1] -= cpu_ns
        self.wall[-1] -= wall_ns
        self.cpu.append(cpu_ns)
        self.wall.append(wall_ns)

    def restart(self) -> None:
        """Do not count the time since the last mark (work that is no stage of a frame)."""
        self._cpu0, self._wall0 = time.thread_time_ns(), time.perf_counter_ns()


@dataclass
class StageStats:
    """Totals of a recording and stage costs by kind of tick (see :data:`KINDS`)."""

    grabs: int = 0
    partial_grabs: int = 0  # of the damaged tiles only (recorder/capture/damage.py)
    damage_events: int = 0
    damage_misses: int = 0  # whole grabs that found a change damage had not reported
    fillers: int = 0
    segments: int = 0
    bytes: int = 0
    capture_errors: int = 0
    dropped_ticks: int = 0
    still_waits: int = 0  # sleeps on a still screen (recorder/segments/still.py)
    still_wait_s: float = 0.0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    kinds: dict[str, _Kind] = field(default_factory=dict)

    def add(self, kind: str, clock: StageClock) -> None:
        entry = self.kinds.setdefault(kind, _Kind())
        entry.count += 1
        for index in range(len(STAGES)):
            entry.cpu_ns[index] += clock.cpu[index] if index < len(clock.cpu) else 0
            entry.wall_ns[index] += clock.wall[index] if index < len(clock.wall) else 0

    @property
    def encoded(self) -> int:
        return sum(k.count for name, k in self.kinds.items() if name not in NOT_ENCODED)

    def to_json(self) -> dict[str, object]:
        """Totals and, per kind of tick, its count and each stage's CPU and wall seconds."""
        out: dict[str, object] = {
            name: getattr(self, name)
            for name in (
                "grabs", "partial_grabs", "damage_events", "damage_misses", "fillers",
                "segments", "bytes", "capture_errors", "dropped_ticks", "still_waits",
                "still_wait_s", "cpu_s", "wall_s",
            )
        }  # fmt: skip
        out["stages"] = list(STAGES)
        out["kinds"] = {
            name: {
                "count": kind.count,
                "cpu_s": [ns / 1e9 for ns in kind.cpu_ns],
                "wall_s": [ns / 1e9 for ns in kind.wall_ns],
            }
            for name, kind in self.kinds.items()
        }
        return out

    def lines(self) -> list[str]:
        """A short report: totals, then per stage the mean CPU ms (wall ms) for each kind."""
        minutes = self.wall_s / 60 if self.wall_s else 0.0
        per_minute = f", {self.bytes / minutes / 1e6:.2f} MB/min" if minutes else ""
        cpu = f", CPU {self.cpu_s:.2f} s in {self.wall_s:.1f} s" if self.wall_s else ""
        dropped = f", {self.dropped_ticks} late ticks dropped" if self.dropped_ticks else ""
        if self.still_waits:
            dropped += f", still screen waited out {self.still_waits}x ({self.still_wait_s:.1f} s)"
        damage = ""
        if self.partial_grabs or self.damage_events:
            damage = (
                f"{self.partial_grabs} of them of damaged tiles only ({self.damage_events} "
                f"damage events, {self.damage_misses} changes missed by damage)"
            )
        out = [
            f"{self.grabs} grabs, {self.encoded} frames encoded (+{self.fillers} repeats), "
            f"{self.segments} segments, {self.bytes} bytes{per_minute}{cpu}{dropped}",
            *([damage] if damage else []),
            "per frame, mean CPU ms (wall ms):".ljust(30)
            + "".join(f"{stage:>15}" for stage in STAGES),
        ]
        for name in KINDS:
            entry = self.kinds.get(name)
            if entry is None or not entry.count:
                continue
            cells = [
                f"{cpu / entry.count / 1e6:.2f} ({wall / entry.count / 1e6:.2f})"
                for cpu, wall in zip(entry.cpu_ns, entry.wall_ns, strict=True)
            ]
            out.append(f"  {name} x{entry.count}:".ljust(30) + "".join(f"{c:>15}" for c in cells))
        return out

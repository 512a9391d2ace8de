"""A shift's screen stays in sync with its calls' audio: 8 hours with an NTP step of the wall
clock and a suspend of the PC, in simulated time.

The PC's clocks are simulated (wall, monotonic, boot time); each process of the agent loads its
own copy of ``formats.clock`` while they run, as a real process would at its start. The desktop
starts first, then the softphone engine and the recorder worker; after the NTP step and after
the resume a worker, and then an engine, are started again (a crash or a new policy can do that
at any time). For a call near the start, in
the middle and near the end of the shift: the engine stamps the audio's first sample
(``sip.media``'s ``utc_us()``), the worker stamps its grabs as ``recorder.capture.grab`` does
(``utc_us_at_monotonic(time.monotonic_ns())``) and writes them with the real segment writer; a
marker appears on screen at the same instant as a sound one second into the call. The frame that
first shows the marker, read back from the MP4 and its manifest, must be within ±40 ms of the
sound's place in the audio (first sample + samples / rate).
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import av
import numpy as np
import pytest

import formats.clock
from recorder.segments.writer import SegmentWriter

EPOCH_NS = 1_790_000_000 * 10**9  # the PC booted at this UTC time
HOUR_NS = 3600 * 10**9
SECOND_NS = 10**9
TICK_NS = 200_000_000  # 5 fps
RATE = 16000  # the engine's clock rate: one sample every 62.5 µs of monotonic time
SYNC_LIMIT_US = 40_000


@dataclass
class SimulatedPC:
    """Real time since boot, a wall clock off by ``wall_error_ns`` until NTP steps it, and the
    monotonic clock, which stands still while the PC is suspended (Linux's CLOCK_MONOTONIC)."""

    real_ns: int = 0
    wall_error_ns: int = -1_700_000_000  # 1.7 s slow at boot
    suspended_ns: int = 0

    def time_ns(self) -> int:
        return EPOCH_NS + self.real_ns + self.wall_error_ns

    def monotonic_ns(self) -> int:
        return self.real_ns - self.suspended_ns

    def clock_gettime_ns(self, clock: int) -> int:
        assert clock == time.CLOCK_BOOTTIME
        return self.real_ns

    def run(self, ns: int) -> None:
        self.real_ns += ns

    def suspend(self, ns: int) -> None:
        self.real_ns += ns
        self.suspended_ns += ns


def start_process(name: str) -> ModuleType:
    """A process of the agent starting now: its own reading of ``formats.clock``."""
    spec = importlib.util.spec_from_file_location(f"clock_of_{name}", formats.clock.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record_call(pc: SimulatedPC, engine: ModuleType, worker: ModuleType, folder: Path) -> float:
    """One call: audio from the engine, 3 s of screen from the worker (the marker appears 1 s
    in, with the sound). Returns the marker's frame time minus the sound's time, in µs."""
    first_sample_utc_us = engine.utc_us()  # sip.media.start_recording
    start_real_ns = pc.real_ns
    sound_sample = RATE  # one second of samples later
    black = np.full((48 * 3 // 2, 64), 16, np.uint8)
    white = black.copy()
    white[:48] = 235
    writer: SegmentWriter | None = None
    shown_at = 0
    while pc.real_ns - start_real_ns <= 3 * SECOND_NS:
        stamp = worker.utc_us_at_monotonic(time.monotonic_ns())  # recorder.capture.grab
        picture = white if pc.real_ns - start_real_ns >= SECOND_NS else black
        if writer is None:
            writer = SegmentWriter(
                folder, width=64, height=48, utc_start_us=stamp, fps=5, layout={}
            )
        writer.write(picture, stamp)
        shown_at = shown_at or (stamp if picture is white else 0)
        pc.run(TICK_NS)
    assert writer is not None
    manifest = writer.finish(white, worker.utc_us())
    with av.open(str(folder / manifest.file)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.to_ndarray()[:48].mean() > 128:
                assert frame.pts is not None and stream.time_base is not None
                at = manifest.utc_start_us + round(frame.pts * Fraction(stream.time_base) * 10**6)
                break
        else:
            pytest.fail("the marker is not in the recording")
    assert abs(at - shown_at) <= 1, "the file's frame time is not the grab's stamp"
    sound_utc_us = first_sample_utc_us + sound_sample * 10**6 // RATE
    return at - sound_utc_us


def test_screen_and_audio_stay_in_sync_over_a_shift_with_an_ntp_step_and_a_suspend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pc = SimulatedPC()
    monkeypatch.setattr(time, "time_ns", pc.time_ns)
    monkeypatch.setattr(time, "monotonic_ns", pc.monotonic_ns)
    monkeypatch.setattr(time, "clock_gettime_ns", pc.clock_gettime_ns)
    monkeypatch.delenv(formats.clock.CLOCK_BASE_ENV, raising=False)
    pc.run(90 * SECOND_NS)
    desktop = start_process("desktop")
    pc.run(2 * SECOND_NS)
    engine = start_process("engine")
    pc.run(1 * SECOND_NS)
    worker = start_process("worker")

    offsets = {}
    pc.run(10 * 60 * SECOND_NS)
    offsets["start"] = record_call(pc, engine, worker, tmp_path)
    pc.run(4 * HOUR_NS - pc.real_ns)
    pc.wall_error_ns += 1_700_000_000  # NTP steps the wall clock to the right time
    restarted = start_process("worker after the NTP step")  # and one more worker starts
    pc.run(5 * 60 * SECOND_NS)
    offsets["middle"] = record_call(pc, engine, worker, tmp_path)
    offsets["middle, worker started after the step"] = record_call(pc, engine, restarted, tmp_path)
    pc.run(6 * HOUR_NS - pc.real_ns)
    pc.suspend(40 * 60 * SECOND_NS)  # the lid closed for 40 minutes
    pc.run(20 * SECOND_NS)
    worker = start_process("worker after the resume")
    pc.run(8 * HOUR_NS - 10 * 60 * SECOND_NS - pc.real_ns)
    offsets["end"] = record_call(pc, engine, worker, tmp_path)
    engine = start_process("engine after the resume")
    offsets["end, engine started after the resume"] = record_call(pc, engine, worker, tmp_path)

    assert pc.real_ns > 8 * HOUR_NS - 11 * 60 * SECOND_NS
    assert all(abs(offset) <= SYNC_LIMIT_US for offset in offsets.values()), offsets
    # Every process of the agent reads one clock: the wall clock as the desktop found it at its
    # start (1.7 s slow then) advanced by the real time since, the suspended 40 minutes included.
    true_utc_us = (EPOCH_NS + pc.real_ns) // 1000
    assert desktop.utc_us() == engine.utc_us() == worker.utc_us() == true_utc_us - 1_700_000

"""sip.audio and sip.devices without sound hardware: jitter buffer, re-framing, levels,
device choice."""

from __future__ import annotations

import sys
import threading
import time
import types
from typing import Any

import numpy as np
import pytest

from sip import devices as audio
from sip.audio import FrameFifo, PcmReframer, level_dbfs
from sip.devices import AudioDevice, find_device

FRAME = 320  # 10 ms of 16 kHz mono int16


def frame(n: int) -> bytes:
    return bytes([n % 256]) * FRAME


# --- FrameFifo --------------------------------------------------------------------------------


def test_pop_gives_silence_until_prefill_frames_are_queued() -> None:
    fifo = FrameFifo(FRAME, prefill=3, capacity=12)
    assert fifo.pop() == bytes(FRAME)
    fifo.push(frame(1))
    fifo.push(frame(2))
    assert fifo.pop() == bytes(FRAME)  # 2 < prefill: still silence, nothing consumed
    assert len(fifo) == 2
    fifo.push(frame(3))
    assert [fifo.pop() for _ in range(3)] == [frame(1), frame(2), frame(3)]
    assert fifo.underruns == 0  # silence while priming is not an underrun


def test_once_primed_frames_flow_below_the_prefill_level() -> None:
    fifo = FrameFifo(FRAME, prefill=2)
    fifo.push(frame(1))
    fifo.push(frame(2))
    assert fifo.pop() == frame(1)
    fifo.push(frame(3))  # only 2 queued again, 1 of them new: keep flowing
    assert fifo.pop() == frame(2)
    assert fifo.pop() == frame(3)


def test_running_dry_counts_an_underrun_and_waits_for_prefill_again() -> None:
    fifo = FrameFifo(FRAME, prefill=2)
    fifo.push(frame(1))
    fifo.push(frame(2))
    fifo.pop()
    fifo.pop()
    assert fifo.pop() == bytes(FRAME)
    assert fifo.underruns == 1
    assert fifo.pop() == bytes(FRAME)
    assert fifo.underruns == 1  # one dry spell, one underrun
    fifo.push(frame(3))
    assert fifo.pop() == bytes(FRAME)  # re-priming
    fifo.push(frame(4))
    assert fifo.pop() == frame(3)
    assert fifo.pop() == frame(4)
    assert fifo.pop() == bytes(FRAME)
    assert fifo.underruns == 2


def test_a_full_buffer_drops_the_oldest_frame_and_counts_an_overrun() -> None:
    fifo = FrameFifo(FRAME, prefill=1, capacity=4)
    for i in range(1, 5):
        fifo.push(frame(i))
    assert fifo.overruns == 0
    assert len(fifo) == 4
    fifo.push(frame(5))
    fifo.push(frame(6))
    assert fifo.overruns == 2
    assert len(fifo) == 4
    assert [fifo.pop() for _ in range(4)] == [frame(3), frame(4), frame(5), frame(6)]


def test_silence_has_the_frame_size() -> None:
    assert FrameFifo(640).pop() == bytes(640)


def test_concurrent_push_and_pop_keep_every_frame_in_order() -> None:
    fifo = FrameFifo(4, prefill=1, capacity=10_000)
    n = 5000
    got: list[int] = []

    def producer() -> None:
        for i in range(1, n + 1):  # never all-zero bytes, so a frame is never mistaken for silence
            fifo.push(i.to_bytes(4, "little"))

    t = threading.Thread(target=producer)
    t.start()
    deadline = time.monotonic() + 5
    while len(got) < n and time.monotonic() < deadline:
        data = fifo.pop()
        if data != bytes(4):
            got.append(int.from_bytes(data, "little"))
    t.join(timeout=5)
    assert got == list(range(1, n + 1))
    assert fifo.overruns == 0


# --- PcmReframer ------------------------------------------------------------------------------


def test_reframer_cuts_a_stream_into_fixed_frames_in_order() -> None:
    stream = bytes(range(256)) * 10
    reframer = PcmReframer(100)
    out: list[bytes] = []
    pos = 0
    for size in (1, 99, 150, 0, 37, 500, 3, 1000, 770):
        out += reframer.feed(stream[pos : pos + size])
        pos += size
    assert pos == len(stream)
    assert all(len(f) == 100 for f in out)
    assert b"".join(out) == stream[: len(out) * 100]
    assert len(out) == 25  # 60 bytes stay pending


def test_reframer_holds_a_partial_frame_until_it_is_complete() -> None:
    reframer = PcmReframer(4)
    assert reframer.feed(b"ab") == []
    assert reframer.feed(b"c") == []
    assert reframer.feed(b"defghij") == [b"abcd", b"efgh"]
    assert reframer.feed(b"k") == []
    assert reframer.feed(b"l") == [b"ijkl"]


def test_reframer_returns_bytes_frames() -> None:
    frames = PcmReframer(2).feed(bytearray(b"abcd"))
    assert frames == [b"ab", b"cd"]
    assert all(type(f) is bytes for f in frames)


# --- level_dbfs -------------------------------------------------------------------------------


def test_full_scale_sine_is_about_minus_3_dbfs() -> None:
    t = np.arange(16000) / 16000
    pcm = np.round(32767 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    assert level_dbfs(pcm) == pytest.approx(-3.01, abs=0.05)


def test_half_scale_sine_is_6_db_lower() -> None:
    t = np.arange(16000) / 16000
    full = np.round(32767 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    half = np.round(16384 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    assert level_dbfs(full) - level_dbfs(half) == pytest.approx(6.02, abs=0.05)


def test_full_scale_square_is_0_dbfs_without_int16_overflow() -> None:
    pcm = np.array([-32768, -32768, -32768, -32768], dtype=np.int16)
    assert level_dbfs(pcm) == pytest.approx(0.0, abs=1e-9)


def test_silence_and_empty_input_are_minus_120() -> None:
    assert level_dbfs(np.zeros(320, dtype=np.int16)) == -120.0
    assert level_dbfs(np.zeros(0, dtype=np.int16)) == -120.0


def test_quietest_nonzero_signal_is_above_minus_120() -> None:
    assert -120.0 < level_dbfs(np.array([1], dtype=np.int16)) < -90.0


# --- list_devices / find_device ---------------------------------------------------------------

DEVICES = [
    AudioDevice(0, "Built-in Microphone", 2, 0, 48000.0, "ALSA"),
    AudioDevice(1, "Built-in Output", 0, 2, 48000.0, "ALSA"),
    AudioDevice(2, "USB Headset Mic", 1, 0, 16000.0, "ALSA"),
    AudioDevice(3, "USB Headset", 1, 2, 16000.0, "ALSA"),
    AudioDevice(4, "pulse", 32, 32, 44100.0, "ALSA"),
]


def fake_sounddevice(default: Any) -> types.ModuleType:
    module = types.ModuleType("sounddevice")
    module.default = types.SimpleNamespace(device=default)  # type: ignore[attr-defined]
    return module


@pytest.fixture
def devices(monkeypatch: pytest.MonkeyPatch) -> list[AudioDevice]:
    monkeypatch.setattr(audio, "list_devices", lambda: list(DEVICES))
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice([-1, -1]))
    return DEVICES


def test_find_device_prefers_an_exact_name_over_a_substring(devices: list[AudioDevice]) -> None:
    # "USB Headset" is also contained in "USB Headset Mic", which is listed first.
    assert find_device("USB Headset", output=False) == 3
    assert find_device("USB Headset Mic", output=False) == 2


def test_find_device_matches_a_substring_case_insensitively(devices: list[AudioDevice]) -> None:
    assert find_device("headset mic", output=False) == 2
    assert find_device("headset", output=True) == 3
    assert find_device("BUILT-IN", output=True) == 1
    assert find_device("built-in", output=False) == 0


def test_find_device_only_considers_the_right_direction(devices: list[AudioDevice]) -> None:
    assert find_device("Built-in Microphone", output=True) is None
    assert find_device("Built-in Output", output=False) is None
    assert find_device("Headset Mic", output=True) is None


def test_find_device_returns_none_for_an_unknown_name(devices: list[AudioDevice]) -> None:
    assert find_device("Bluetooth", output=True) is None


def test_empty_name_uses_the_portaudio_default(
    devices: list[AudioDevice], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice([3, 4]))
    assert find_device("", output=False) == 3
    assert find_device("", output=True) == 4


def test_empty_name_without_a_default_takes_the_first_capable_device(
    devices: list[AudioDevice],
) -> None:
    assert find_device("", output=False) == 0
    assert find_device("", output=True) == 1


def test_empty_name_survives_a_broken_sounddevice(
    devices: list[AudioDevice], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import raises ImportError
    assert find_device("", output=True) == 1


def test_no_devices_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio, "list_devices", lambda: [])
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    assert find_device("", output=False) is None
    assert find_device("USB", output=True) is None


def test_list_devices_is_empty_when_portaudio_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    assert audio.list_devices() == []


def test_list_devices_reads_portaudio_device_info(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("sounddevice")
    module.query_hostapis = lambda: [{"name": "ALSA"}, {"name": "JACK"}]  # type: ignore[attr-defined]
    module.query_devices = lambda: [  # type: ignore[attr-defined]
        {
            "name": "hw:0",
            "max_input_channels": 2,
            "max_output_channels": 0,
            "default_samplerate": 44100,
            "hostapi": 1,
        },
        {
            "name": "USB",
            "max_input_channels": 1,
            "max_output_channels": 2,
            "default_samplerate": 16000.0,
            "hostapi": 0,
        },
    ]
    monkeypatch.setitem(sys.modules, "sounddevice", module)
    assert audio.list_devices() == [
        AudioDevice(0, "hw:0", 2, 0, 44100.0, "JACK"),
        AudioDevice(1, "USB", 1, 2, 16000.0, "ALSA"),
    ]

"""QA playback on a real sound device: a call's audio played through PortAudio into a
PulseAudio null sink at 1.5× keeps its pitch, the balance silences the customer, and the
device drives the playback clock at that speed."""

from __future__ import annotations

import json
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.servers.baresip import dominant_frequency
from tests.servers.pulse import PulseServer, pulse_available, pulse_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not pulse_available(), reason="pulseaudio/libasound2-plugins missing"),
]
RATE = 16_000

# Plays the WAV (argv[1]) from its second 1 for 2.5 s at 1.5×, operator only, through the
# player's own clock; prints how far the clock moved and in how long.
PLAY = """
import json, sys, time
from desktop.qa.playback.audio import AudioTrack
from desktop.qa.playback.clock import make_clock
track = AudioTrack(sys.argv[1], 0)
assert track.wait(timeout=5) and track.error is None, track.error
clock, why = make_clock(track, 1_000_000)
assert clock.sound, why
clock.speed, clock.balance = 1.5, -1.0
clock.play()
time.sleep(0.3)  # the device's buffers fill
t0, p0 = time.monotonic(), clock.position_us()
time.sleep(2.5)
t1, p1 = time.monotonic(), clock.position_us()
clock.close()
print(json.dumps({"moved_us": p1 - p0, "wall_s": t1 - t0}))
"""


@pytest.fixture(scope="module")
def pulse() -> Iterator[PulseServer]:
    yield from pulse_server()


def _call_wav(path: Path) -> Path:
    """10 s of a call: the operator (left) at 440 Hz, the customer (right) at 700 Hz."""
    t = np.arange(10 * RATE) / RATE
    pcm = np.stack([0.4 * np.sin(2 * np.pi * 440 * t), 0.4 * np.sin(2 * np.pi * 700 * t)], 1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((pcm * 32767).astype("<i2").tobytes())
    return path


def test_faster_playback_on_a_sound_device_keeps_pitch_and_clock(
    pulse: PulseServer, tmp_path: Path
) -> None:
    wav = _call_wav(tmp_path / "call.wav")
    with pulse.start_recording(RATE) as recording:
        played = json.loads(pulse.run_python(PLAY, str(wav), timeout=20))
        time.sleep(0.2)
        heard = recording.stop()
    loud = np.flatnonzero(np.abs(heard) > 0.05)
    assert len(loud) > RATE, f"the sink heard {len(loud)} loud samples"
    middle = heard[loud[0] : loud[-1]][RATE // 2 : RATE // 2 + RATE]  # one second, settled
    # Resampling to 1.5× would sound at 660 Hz; the customer's 700 Hz is balanced away.
    assert dominant_frequency(middle, RATE) == pytest.approx(440, abs=4)
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
    freqs = np.fft.rfftfreq(len(middle), 1 / RATE)
    assert spectrum[np.abs(freqs - 700) < 10].max() < 0.01 * spectrum.max()
    assert played["moved_us"] / 1e6 / played["wall_s"] == pytest.approx(1.5, abs=0.1)

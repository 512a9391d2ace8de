"""The PulseAudio fixture: PortAudio (via sounddevice in a child) plays into and records from it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest

from tests.servers.pulse import PulseServer, pulse_available, pulse_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not pulse_available(), reason="pulseaudio/libasound2-plugins missing"),
]

CHILD_TIMEOUT = 8.0

# Each child imports sounddevice (Pa_Initialize) with the fixture's env already in place.
LIST_DEVICES = """
import json
import sounddevice as sd
out = {
    "hostapis": [api["name"] for api in sd.query_hostapis()],
    "devices": [dict(d) for d in sd.query_devices()],
    "default_input": sd.query_devices(kind="input")["name"],
    "default_output": sd.query_devices(kind="output")["name"],
}
print(json.dumps(out))
"""

PLAY_TONE = """
import numpy as np
import sounddevice as sd
rate = 48000
t = np.arange(int(rate * 1.5)) / rate
sd.play((0.5 * np.sin(2 * np.pi * 700.0 * t)).astype(np.float32), rate, blocking=True)
print("played")
"""

RECORD_TONE = """
import json
import numpy as np
import sounddevice as sd
rate = 16000
x = sd.rec(rate, samplerate=rate, channels=1, dtype="float32", blocking=True)[:, 0]
spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
freqs = np.fft.rfftfreq(len(x), 1 / rate)
rms = float(np.sqrt(np.mean(x**2)))
print(json.dumps({"freq": float(freqs[spectrum.argmax()]), "rms": rms, "n": len(x)}))
"""


@pytest.fixture(scope="module")
def pulse() -> Iterator[PulseServer]:
    """One server for the module."""
    yield from pulse_server()


def dominant_frequency(x: npt.NDArray[np.float32], rate: int) -> float:
    """Frequency (Hz) of the largest FFT bin after a Hann window."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[spectrum.argmax()])


def rms(x: npt.NDArray[np.float32]) -> float:
    """Root mean square (0 for an empty array)."""
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def test_portaudio_default_devices_are_the_pulse_server(pulse: PulseServer) -> None:
    info = json.loads(pulse.run_python(LIST_DEVICES, timeout=CHILD_TIMEOUT))
    names = [d["name"] for d in info["devices"]]
    assert "ALSA" in info["hostapis"]
    assert {"default", "pulse"} <= set(names)
    assert info["default_input"] == info["default_output"] == "default"
    default = info["devices"][names.index("default")]
    assert default["max_input_channels"] > 0
    assert default["max_output_channels"] > 0
    assert f"Default Source: {pulse.source_name}" in pulse.pactl("info")


def test_sounddevice_output_reaches_null_sink(pulse: PulseServer) -> None:
    rate = 16000
    with pulse.start_recording(rate) as rec:
        assert pulse.run_python(PLAY_TONE, timeout=CHILD_TIMEOUT) == "played"
        audio = rec.stop()
    assert len(audio) > 1.5 * rate, f"only {len(audio) / rate:.2f}s captured"
    # The tone is the part above a silence threshold; the null sink is digitally silent otherwise.
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    assert len(loud), f"nothing but silence captured (peak {np.abs(audio).max():.4f})"
    tone = audio[loud[0] : loud[-1] + 1]
    assert 1.3 * rate <= len(tone) <= 1.7 * rate, f"tone lasted {len(tone) / rate:.2f}s"
    assert abs(dominant_frequency(tone, rate) - 700.0) <= 20.0
    assert rms(tone) > 0.25  # a 0.5-amplitude sine has RMS 0.354
    # Before the tone (less its first 10 ms, whose rising edge sits under the threshold).
    assert rms(audio[: max(0, loud[0] - rate // 100)]) < 1e-3


def test_tone_fed_into_source_is_read_by_sounddevice(pulse: PulseServer) -> None:
    rate = 48000
    t = np.arange(6 * rate) / rate
    with pulse.play_into_source(0.5 * np.sin(2 * np.pi * 500.0 * t), rate) as feed:
        result = json.loads(pulse.run_python(RECORD_TONE, timeout=CHILD_TIMEOUT))
        assert feed.running, "the feed ended before the child finished reading"
    assert result["n"] == 16000
    assert abs(result["freq"] - 500.0) <= 20.0, result
    assert result["rms"] > 0.2, result

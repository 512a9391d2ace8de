"""The ring signal on its own device (a headset operator often wants the ring on the
loudspeaker). Runs its own PortAudio stream on a small thread of its own, so opening a sound
device never stalls the SIP thread; call audio is not involved.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import numpy as np

from sip.devices import find_device, portaudio_problem

log = logging.getLogger(__name__)

RATE = 16000
RAMP_S = 0.01  # fade in/out so the cadence does not click
# (frequencies, on seconds, period seconds, level)
PATTERNS: dict[str, tuple[tuple[float, ...], float, float, float]] = {
    "ring": ((440.0, 480.0), 1.0, 3.0, 0.25),
    "waiting": ((440.0,), 0.2, 3.0, 0.12),  # a short, soft beep while already on a call
}


def render(pattern: str, start: int, frames: int, rate: int = RATE) -> np.ndarray:
    """Samples ``start .. start+frames`` of a pattern's cadence as float32 in [-1, 1]."""
    freqs, on_s, period_s, level = PATTERNS[pattern]
    n = np.arange(start, start + frames)
    t = n / rate
    phase = np.mod(t, period_s)
    tone = sum(np.sin(2 * np.pi * f * t) for f in freqs) / len(freqs)
    ramp = np.clip(np.minimum(phase, on_s - phase) / RAMP_S, 0.0, 1.0)
    gate = np.where(phase < on_s, ramp, 0.0)
    return (tone * gate * level).astype(np.float32)


class Ringer:
    """Start/stop the ring on a device by name ('' = default output). Thread-safe."""

    def __init__(self) -> None:
        self._commands: queue.SimpleQueue[tuple[str, str] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ringer", daemon=True)
        self._thread.start()
        self.pattern: str | None = None
        self.problem = ""

    def set(self, pattern: str | None, device: str = "") -> None:
        """Ring with ``pattern`` ('ring', 'waiting') or stop with None."""
        if pattern == self.pattern:
            return
        self.pattern = pattern
        self._commands.put(("stop", "") if pattern is None else (pattern, device))

    def close(self) -> None:
        self._commands.put(None)
        self._thread.join(3)

    def _run(self) -> None:
        stream: Any = None
        position = 0
        current = "ring"

        def callback(out: Any, frames: int, _time: Any, _status: Any) -> None:
            nonlocal position
            out[:, 0] = render(current, position, frames)
            position += frames

        while True:
            cmd = self._commands.get()
            if stream is not None:
                stream.stop()
                stream.close()
                stream = None
            if cmd is None:
                return
            pattern, device = cmd
            if pattern == "stop":
                continue
            current, position = pattern, 0
            try:
                stream = self._open(device, callback)
                self.problem = ""
            except Exception as exc:  # no device: the UI still shows the call ringing
                self.problem = f"cannot ring on {device or 'the default device'}: {exc}"
                log.warning("%s", self.problem)

    @staticmethod
    def _open(device: str, callback: Any) -> Any:
        if portaudio_problem():
            raise RuntimeError(portaudio_problem())
        import sounddevice as sd

        index = find_device(device, output=True)
        if index is None:
            raise RuntimeError("no output device")
        stream = sd.OutputStream(
            samplerate=RATE,
            channels=1,
            dtype="float32",
            device=index,
            blocksize=RATE // 50,
            callback=callback,
        )
        stream.start()
        return stream

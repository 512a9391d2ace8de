"""The OS sound devices PortAudio sees, and choosing one by name.

``sounddevice`` is imported inside these functions on purpose: importing it initialises
PortAudio, which lists devices, and a broken ALSA configuration aborts the process right
there. :func:`portaudio_problem` first checks that in a child process.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioDevice:
    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: float
    host_api: str


_probe: str | None = None


def portaudio_problem() -> str:
    """Why PortAudio cannot be used here ('' = it can). Checked once, in a child process:
    a broken ALSA configuration makes alsa-lib abort the whole process while PortAudio lists
    devices, and the softphone must not die with it."""
    global _probe
    if _probe is None:
        code = "import sounddevice as s; s.query_devices()"
        try:
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, timeout=15
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            _probe = f"the sound system did not answer ({exc})"
        else:
            if done.returncode == 0:
                _probe = ""
            else:
                tail = (done.stderr.strip().splitlines() or [""])[-1][:200]
                _probe = f"the sound system failed while listing devices (exit {done.returncode}"
                _probe += f": {tail})" if tail else ")"
    return _probe


def list_devices() -> list[AudioDevice]:
    """Sound devices PortAudio sees ([] when PortAudio or hardware is missing)."""
    if portaudio_problem():
        return []
    try:
        import sounddevice as sd

        apis = sd.query_hostapis()
        return [
            AudioDevice(
                index=i,
                name=str(d["name"]),
                inputs=int(d["max_input_channels"]),
                outputs=int(d["max_output_channels"]),
                default_rate=float(d["default_samplerate"]),
                host_api=str(apis[d["hostapi"]]["name"]),
            )
            for i, d in enumerate(sd.query_devices())
        ]
    except Exception as exc:  # OSError when libportaudio is missing, PortAudioError
        log.info("no PortAudio devices: %s", exc)
        return []


def find_device(name: str, *, output: bool) -> int | None:
    """Index of the device whose name is or contains ``name`` ('' = system default)."""
    devices = [d for d in list_devices() if (d.outputs if output else d.inputs) > 0]
    if not name:
        if portaudio_problem():
            return None
        try:
            import sounddevice as sd

            idx = sd.default.device[1 if output else 0]
            if idx is not None and idx >= 0:
                return int(idx)
        except Exception:
            pass
        return devices[0].index if devices else None
    for exact in (True, False):
        for d in devices:
            if (d.name == name) if exact else (name.lower() in d.name.lower()):
                return d.index
    return None

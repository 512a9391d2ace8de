"""Call audio to and from the OS sound devices.

The pjsua2-python wheel has no sound devices of its own (only a null device), so a
:class:`PortAudioBridge` (an ``AudioMediaPort``) joins the conference bridge and exchanges
20 ms frames with PortAudio streams (``sounddevice``) through small jitter buffers. The null
device keeps clocking the conference; the buffers absorb the drift between the two clocks.
Without audio hardware (servers, CI) the engine stays on the null device and says so; calls
then use the null device's own conference slot, and no port of ours written in Python is on the
bridge: pjmedia calls every port without a source into Python on each tick (a "heart-beat"
frame), which was most of an idle engine's CPU (bench/README.md, agent_cpu.py). The streams
and the bridge port exist only while a call or the levels need them: :class:`sip.sound.SoundSetup`.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from typing import Any

import numpy as np
import pjsua2 as pj

from sip.devices import AudioDevice, find_device, list_devices, portaudio_problem

# The device queries moved to sip.devices; these names stay importable from here.
__all__ = [
    "AudioDevice",
    "FrameFifo",
    "Levels",
    "PcmReframer",
    "PortAudioBridge",
    "find_device",
    "level_dbfs",
    "list_devices",
    "portaudio_problem",
]

log = logging.getLogger(__name__)

FRAME_MS = 20


def level_dbfs(pcm: np.ndarray) -> float:
    """RMS level of int16 samples in dBFS (-120 for silence)."""
    if pcm.size == 0:
        return -120.0
    rms = math.sqrt(float(np.mean(np.square(pcm, dtype=np.float64))))
    return 20 * math.log10(rms / 32768.0) if rms > 0 else -120.0


def l16_format(clock_rate: int) -> Any:
    """The media format of the engine's own ports: mono 16-bit PCM in FRAME_MS frames."""
    fmt = pj.MediaFormatAudio()
    fmt.type = pj.PJMEDIA_TYPE_AUDIO
    fmt.id = pj.PJMEDIA_FORMAT_L16
    fmt.clockRate = clock_rate
    fmt.channelCount = 1
    fmt.bitsPerSample = 16
    fmt.frameTimeUsec = FRAME_MS * 1000
    fmt.avgBps = fmt.maxBps = clock_rate * 16
    return fmt


class FrameFifo:
    """A jitter buffer of fixed-size PCM frames between two clocks.

    ``pop`` returns silence until ``prefill`` frames are queued (and again after running dry);
    ``push`` drops the oldest frame once ``capacity`` is reached. Counters say how often each
    happened, so clicks can be traced to under- or overruns.
    """

    def __init__(self, frame_bytes: int, prefill: int = 3, capacity: int = 12) -> None:
        self.frame_bytes = frame_bytes
        self.prefill = prefill
        self._frames: deque[bytes] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._primed = False
        self._silence = bytes(frame_bytes)
        self.underruns = 0
        self.overruns = 0

    def push(self, frame: bytes) -> None:
        with self._lock:
            if len(self._frames) == self._frames.maxlen:
                self.overruns += 1
            self._frames.append(frame)
            if len(self._frames) >= self.prefill:
                self._primed = True

    def pop(self) -> bytes:
        with self._lock:
            if self._primed and self._frames:
                return self._frames.popleft()
            if self._primed:
                self.underruns += 1
                self._primed = False
            return self._silence

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)


class PcmReframer:
    """Cuts a stream of PCM blocks of any size into fixed frames."""

    def __init__(self, frame_bytes: int) -> None:
        self.frame_bytes = frame_bytes
        self._pending = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._pending += data
        out = []
        while len(self._pending) >= self.frame_bytes:
            out.append(bytes(self._pending[: self.frame_bytes]))
            del self._pending[: self.frame_bytes]
        return out


class Levels:
    """Latest mic and speaker levels in dBFS, written by audio threads, read by the UI."""

    def __init__(self) -> None:
        self.mic = -120.0
        self.speaker = -120.0


class PortAudioBridge(pj.AudioMediaPort):
    """Conference-bridge port: frames requested = microphone, received = speaker.

    Its callbacks run on pjsua2's media thread; PortAudio's on its own thread; the
    FIFOs are the only state they share.
    """

    def __init__(self, clock_rate: int, levels: Levels) -> None:
        super().__init__()
        self.clock_rate = clock_rate
        self.samples = clock_rate * FRAME_MS // 1000
        self.frame_bytes = self.samples * 2
        self.mic = FrameFifo(self.frame_bytes)
        self.speaker = FrameFifo(self.frame_bytes)
        self.levels = levels
        self._mic_reframer = PcmReframer(self.frame_bytes)
        self._spk_pending = bytearray()
        self._streams: list[Any] = []

    @property
    def streaming(self) -> bool:
        return bool(self._streams)

    def create(self) -> None:
        self.createPort("agentdesk-sound", l16_format(self.clock_rate))

    # --- pjsua2 media thread ---
    def onFrameRequested(self, frame: Any) -> None:
        try:
            data = self.mic.pop()
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
            frame.buf = pj.ByteVector(data)
            frame.size = len(data)
        except Exception:
            log.exception("microphone frame")

    def onFrameReceived(self, frame: Any) -> None:
        try:
            if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO or frame.size == 0:
                return
            data = bytes(frame.buf)
            self.speaker.push(data)
        except Exception:
            log.exception("speaker frame")

    # --- PortAudio threads ---
    def _on_input(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        pcm = np.frombuffer(bytes(indata), dtype=np.int16)
        self.levels.mic = level_dbfs(pcm)
        for chunk in self._mic_reframer.feed(pcm.tobytes()):
            self.mic.push(chunk)

    def _on_output(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        need = frames * 2
        while len(self._spk_pending) < need:
            self._spk_pending += self.speaker.pop()
        chunk = bytes(self._spk_pending[:need])
        del self._spk_pending[:need]
        outdata[:] = chunk
        self.levels.speaker = level_dbfs(np.frombuffer(chunk, dtype=np.int16))

    def open_streams(self, mic: int | None, speaker: int | None) -> None:
        import sounddevice as sd

        self.close_streams()
        # One format for both directions: mono 16-bit at the bridge's rate, one frame a block.
        same = {"samplerate": self.clock_rate, "blocksize": self.samples, "channels": 1,
                "dtype": "int16", "latency": "low"}  # fmt: skip
        try:
            if mic is not None:
                self._streams.append(sd.RawInputStream(device=mic, callback=self._on_input, **same))
            if speaker is not None:
                self._streams.append(
                    sd.RawOutputStream(device=speaker, callback=self._on_output, **same)
                )
            for s in self._streams:
                s.start()
        except Exception:
            self.close_streams()
            raise

    def close_streams(self) -> None:
        for s in self._streams:
            try:
                s.stop()
                s.close()
            except Exception as exc:
                log.warning("closing a sound stream: %s", exc)
        self._streams.clear()
        self.levels.mic = self.levels.speaker = -120.0

    def stats(self) -> dict[str, int]:
        return {
            "mic_underruns": self.mic.underruns,
            "mic_overruns": self.mic.overruns,
            "speaker_underruns": self.speaker.underruns,
            "speaker_overruns": self.speaker.overruns,
        }

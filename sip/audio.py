"""Call audio to and from the OS sound devices.

The pjsua2-python wheel has no sound devices of its own (only a null device), so a
:class:`PortAudioBridge` (an ``AudioMediaPort``) joins the conference bridge and exchanges
20 ms frames with PortAudio streams (``sounddevice``) through small jitter buffers. The null
device keeps clocking the conference; the buffers absorb the drift between the two clocks.
Without audio hardware (servers, CI) the engine stays on the null device and says so; calls
then use the null device's own conference slot, and no port of ours written in Python is on the
bridge: pjmedia calls every port without a source into Python on each tick (a "heart-beat"
frame), which was most of an idle engine's CPU (bench/README.md, agent_cpu.py).
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
from sip.events import AudioDevicesChanged
from sip.ringer import Ringer

# The device queries moved to sip.devices; these names stay importable from here.
__all__ = [
    "AudioDevice",
    "FrameFifo",
    "Levels",
    "PcmReframer",
    "PortAudioBridge",
    "SoundSetup",
    "find_device",
    "level_dbfs",
    "list_devices",
    "portaudio_problem",
]

log = logging.getLogger(__name__)

FRAME_MS = 20


_RETIRED: list[Any] = []  # bridge ports kept until the process ends (see SoundSetup.close)


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
        if mic is not None:
            self._streams.append(sd.RawInputStream(device=mic, callback=self._on_input, **same))
        if speaker is not None:
            self._streams.append(
                sd.RawOutputStream(device=speaker, callback=self._on_output, **same)
            )
        for s in self._streams:
            s.start()

    def close_streams(self) -> None:
        for s in self._streams:
            try:
                s.stop()
                s.close()
            except Exception as exc:
                log.warning("closing a sound stream: %s", exc)
        self._streams.clear()

    def stats(self) -> dict[str, int]:
        return {
            "mic_underruns": self.mic.underruns,
            "mic_overruns": self.mic.overruns,
            "speaker_underruns": self.speaker.underruns,
            "speaker_overruns": self.speaker.overruns,
        }


def silence_source(clock_rate: int) -> Any:
    """A conference source that never sounds (pjmedia's tone generator with nothing to play).

    Each call's two recorders listen to it: pjmedia hands a port with at least one source a
    frame on every tick, silence when no source had any, so the WAVs stay continuous in time
    while nothing else reaches them (hold, mute, a media restart). Native, so a tick does not
    call into Python for it, and it has no listener while no call records.
    """
    tone = pj.ToneGenerator()
    tone.createToneGenerator(clock_rate, 1)
    return tone


class SoundSetup:
    """The engine's sound: one bridge port on the conference, PortAudio streams when there
    is hardware, the null device otherwise. Created and changed on the SIP thread.
    """

    def __init__(self, ep: Any, config: Any) -> None:
        self.levels = Levels()
        self.clock_rate = config.clock_rate
        self.bridge: PortAudioBridge | None = None  # joins the conference with a sound device
        # The null device's slot (one object for both, so links compare by identity).
        self.null_device: Any = ep.audDevManager().getPlaybackDevMedia()
        self.mic: Any = self.null_device
        self.speaker: Any = self.null_device
        self.silence: Any = silence_source(config.clock_rate)
        self.closed = False
        self.mode, self.detail = "null", "audio off by configuration"
        self.mic_name = self.speaker_name = self.ring_name = ""
        self.ringer: Any = None
        if config.audio != "null":
            self.select(config.mic_device, config.speaker_device, config.ring_device)

    def select(self, mic: str, speaker: str, ring: str = "") -> None:
        """Open the named devices (PortAudio), else stay on the null device. Calls use
        ``mic``/``speaker`` after it: the bridge port once a device was opened (it then stays
        on the conference, its streams closed while on the null device again)."""
        if self.closed:
            return
        if self.bridge is not None:
            self.bridge.close_streams()
        problem = portaudio_problem()
        if problem:
            self.mode, self.detail = "null", f"{problem}: calls run on the null device (no audio)"
            self.mic_name = self.speaker_name = ""
            return
        mic_idx = find_device(mic, output=False)
        spk_idx = find_device(speaker, output=True)
        self.ring_name = ring
        if mic_idx is None and spk_idx is None:
            self.mode = "null"
            self.detail = "no sound device found: calls run on the null device (no audio)"
            self.mic_name = self.speaker_name = ""
            return
        bridge = self._bridge()
        try:
            bridge.open_streams(mic_idx, spk_idx)
        except Exception as exc:
            bridge.close_streams()
            self.mode = "null"
            self.detail = f"sound device failed ({exc}): calls run on the null device"
            return
        devices = {d.index: d.name for d in list_devices()}
        self.mic_name = devices.get(mic_idx, "") if mic_idx is not None else ""
        self.speaker_name = devices.get(spk_idx, "") if spk_idx is not None else ""
        self.mode = "portaudio"
        self.detail = (
            f"microphone: {self.mic_name or 'none'}; speaker: {self.speaker_name or 'none'}"
        )

    def _bridge(self) -> PortAudioBridge:
        if self.bridge is None:
            self.bridge = PortAudioBridge(self.clock_rate, self.levels)
            self.bridge.create()
            self.mic = self.speaker = self.bridge
        return self.bridge

    def set_ringing(self, pattern: str | None) -> None:
        """Ring ('ring'), beep for a waiting call ('waiting') or be quiet (None)."""
        if self.mode != "portaudio" and pattern is not None:
            return
        if self.ringer is None:
            if pattern is None:
                return
            self.ringer = Ringer()
        self.ringer.set(pattern, self.ring_name)

    def devices_event(self) -> AudioDevicesChanged:
        return AudioDevicesChanged(
            mode=self.mode,
            detail=self.detail,
            mic=self.mic_name,
            speaker=self.speaker_name,
            ring=self.ring_name,
        )

    def close(self) -> None:
        """Stop the sound streams. The bridge port itself is retired, not destroyed: its
        C++ destructor frees the port at once while the conference removes it only on a
        later tick (a use-after-free seen as crashes at exit), and after libDestroy it
        asserts. The conference goes away with libDestroy; the port object is left to the OS.
        """
        if self.ringer is not None:
            self.ringer.close()
            self.ringer = None
        if self.bridge is not None:
            self.bridge.close_streams()
            self.bridge.thisown = False
            _RETIRED.append(self.bridge)
        if self.silence is not None:
            self.silence.thisown = False
            _RETIRED.append(self.silence)
        self.bridge = self.mic = self.speaker = self.silence = self.null_device = None
        self.closed = True

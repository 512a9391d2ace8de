"""The playback clock. With a sound device, the audio output drives it: the position is the
sample the device is playing, so the screen follows the sound. Without one (or without
audio) a wall clock runs at the chosen speed, and playback still works, silently.

Speed (0.5–2×) keeps the voices' pitch (desktop/qa/playback/stretch.py). Balance weighs the
operator (left) against the customer (right)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from desktop.qa.playback.audio import AudioTrack
from desktop.qa.playback.stretch import Renderer

log = logging.getLogger(__name__)
SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
BLOCK = 512


class Clock(Protocol):
    start_us: int
    speed: float
    balance: float
    sound: bool

    @property
    def playing(self) -> bool: ...
    def position_us(self) -> int: ...
    def play(self) -> None: ...
    def pause(self) -> None: ...
    def seek(self, utc_us: int) -> None: ...
    def close(self) -> None: ...


class WallClock:
    """A clock for machines without sound: monotonic time × speed."""

    sound = False

    def __init__(self, start_us: int) -> None:
        self.start_us = start_us
        self.balance = 0.0
        self._speed = 1.0
        self._base_us = start_us
        self._since: int | None = None  # monotonic ns when play started
        self._lock = threading.Lock()

    @property
    def playing(self) -> bool:
        return self._since is not None

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        with self._lock:
            self._base_us = self._position_locked()
            if self._since is not None:
                self._since = time.monotonic_ns()
            self._speed = max(SPEEDS[0], min(SPEEDS[-1], value))

    def _position_locked(self) -> int:
        if self._since is None:
            return self._base_us
        return self._base_us + int((time.monotonic_ns() - self._since) / 1000 * self._speed)

    def position_us(self) -> int:
        with self._lock:
            return self._position_locked()

    def play(self) -> None:
        with self._lock:
            if self._since is None:
                self._since = time.monotonic_ns()

    def pause(self) -> None:
        with self._lock:
            self._base_us = self._position_locked()
            self._since = None

    def seek(self, utc_us: int) -> None:
        with self._lock:
            self._base_us = utc_us
            if self._since is not None:
                self._since = time.monotonic_ns()

    def close(self) -> None:
        self.pause()


class AudioClock:
    """The sound device plays the track; its position is the clock (PortAudio, sounddevice)."""

    sound = True

    def __init__(self, track: AudioTrack, start_us: int, device: Any = None) -> None:
        import sounddevice

        self.track = track
        self.start_us = start_us
        self.speed = 1.0
        self.balance = 0.0
        self._renderer = Renderer(track, float(track.frame_at(start_us)))
        self._playing = False
        self._lock = threading.Lock()
        self._stream = sounddevice.OutputStream(
            samplerate=track.rate,
            channels=2,
            dtype="float32",
            blocksize=BLOCK,
            device=device,
            callback=self._fill,
        )
        self._latency_s = float(self._stream.latency)
        self._stream.start()

    def _fill(self, outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        with self._lock:
            if not self._playing:
                outdata.fill(0)
                return
            outdata[:] = self._renderer.render(frames, self.speed, self.balance)

    @property
    def playing(self) -> bool:
        return self._playing

    def position_us(self) -> int:
        with self._lock:
            heard = self._renderer.position - (
                self._latency_s * self.track.rate * self.speed if self._playing else 0
            )
        return self.track.utc_of(int(heard))

    def play(self) -> None:
        self._playing = True

    def pause(self) -> None:
        self._playing = False

    def seek(self, utc_us: int) -> None:
        with self._lock:
            self._renderer.seek(float(self.track.frame_at(utc_us)))

    def close(self) -> None:
        self._playing = False
        self._stream.close()


def make_clock(track: AudioTrack | None, start_us: int, sound: bool = True) -> tuple[Clock, str]:
    """The audio-driven clock when a device opens, else a wall clock; and why not, if not."""
    if track is None:
        return WallClock(start_us), "the call has no audio"
    if not sound:
        return WallClock(start_us), "sound output is off"
    try:
        return AudioClock(track, start_us), ""
    except Exception as exc:  # PortAudio missing, no device, device busy: play silently
        log.info("no sound output, playing silently: %s", exc)
        return WallClock(start_us), f"no sound device: {exc}"

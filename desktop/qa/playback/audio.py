"""The call's stereo audio (left operator, right customer), decoded with PyAV on a background
thread into float32 samples as its bytes arrive, so playback can start at once. WAV and Ogg
(Opus) both work: PyAV picks the demuxer from the bytes."""

from __future__ import annotations

import logging
import threading
from typing import Any

import av
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)
Samples = npt.NDArray[np.float32]


class AudioTrack:
    """Decoded stereo samples of one medium whose first sample is at ``start_us`` (UTC)."""

    def __init__(self, source: Any, start_us: int, name: str = "audio") -> None:
        """``source``: a path or a seekable binary file (e.g. a :class:`RangeReader`)."""
        self.start_us = start_us
        self.name = name
        self.error: str | None = None
        self._source = source
        self._buf: Samples = np.zeros((0, 2), np.float32)
        self._frames = 0
        self._lock = threading.Condition()
        self._finished = False
        self._stop = False
        self._container = av.open(source, mode="r")
        stream = self._container.streams.audio[0]
        self.rate = int(stream.codec_context.sample_rate or stream.rate or 8000)
        self._thread = threading.Thread(target=self._decode, name=f"decode-{name}", daemon=True)
        self._thread.start()

    # --- decoding thread -------------------------------------------------------------------
    def _decode(self) -> None:
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=self.rate)
        try:
            for frame in self._container.decode(audio=0):
                if self._stop:
                    break
                for out in resampler.resample(frame):
                    self._append(np.asarray(out.to_ndarray(), np.float32).reshape(-1, 2))
            for out in resampler.resample(None):
                self._append(np.asarray(out.to_ndarray(), np.float32).reshape(-1, 2))
        except (av.FFmpegError, OSError, ValueError) as exc:
            self.error = f"{self.name}: cannot decode the audio: {exc}"
            log.warning("%s", self.error)
        finally:
            self._container.close()
            with self._lock:
                self._finished = True
                self._lock.notify_all()

    def _append(self, samples: Samples) -> None:
        with self._lock:
            need = self._frames + len(samples)
            if need > len(self._buf):
                grown = np.zeros((max(need, 2 * len(self._buf), 4096), 2), np.float32)
                grown[: self._frames] = self._buf[: self._frames]
                self._buf = grown
            self._buf[self._frames : need] = samples
            self._frames = need
            self._lock.notify_all()

    # --- readers ---------------------------------------------------------------------------
    @property
    def frames(self) -> int:
        """Samples per channel decoded so far."""
        return self._frames

    @property
    def finished(self) -> bool:
        return self._finished

    def wait(self, frames: int | None = None, timeout: float = 10.0) -> bool:
        """Wait until ``frames`` samples (None: all) are decoded; False on timeout."""
        with self._lock:
            return self._lock.wait_for(
                lambda: self._finished or (frames is not None and self._frames >= frames),
                timeout,
            )

    def frame_at(self, utc_us: int) -> int:
        return (utc_us - self.start_us) * self.rate // 1_000_000

    def utc_of(self, frame: int) -> int:
        return self.start_us + frame * 1_000_000 // self.rate

    @property
    def end_us(self) -> int:
        return self.utc_of(self._frames)

    def read(self, first: int, count: int) -> Samples:
        """``count`` stereo samples from sample ``first`` (may be negative); silence where
        nothing is (yet) decoded."""
        out = np.zeros((count, 2), np.float32)
        with self._lock:
            a, b = max(first, 0), min(first + count, self._frames)
            if b > a:
                out[a - first : b - first] = self._buf[a:b]
        return out

    def samples(self) -> Samples:
        """Everything decoded so far (a copy)."""
        with self._lock:
            return self._buf[: self._frames].copy()

    def close(self) -> None:
        self._stop = True
        self._thread.join(10)

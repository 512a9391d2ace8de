"""A call's uploaded audio (Ogg Opus or WAV, operator left, customer right) decoded to two
16 kHz mono float channels, the sample rate Whisper takes."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np

RATE = 16_000


@dataclass
class CallAudio:
    operator: np.ndarray  # float32, RATE Hz
    customer: np.ndarray
    first_sample_utc_us: int | None  # from the Ogg comments, if the packer wrote it

    @property
    def duration_us(self) -> int:
        return max(len(self.operator), len(self.customer)) * 1_000_000 // RATE


def decode(data: bytes) -> CallAudio:
    """Both channels at RATE; a mono recording is the operator's alone. ValueError if the
    bytes are no audio PyAV can read."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise ValueError("no audio stream")
            stream = container.streams.audio[0]
            tags = {k.upper(): v for k, v in {**container.metadata, **stream.metadata}.items()}
            channels = stream.codec_context.channels or 1
            layout = "stereo" if channels >= 2 else "mono"
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=RATE)
            parts: list[np.ndarray] = []
            for frame in container.decode(stream):
                parts.extend(f.to_ndarray() for f in resampler.resample(frame))
            parts.extend(f.to_ndarray() for f in resampler.resample(None))
    except (av.FFmpegError, OSError) as exc:
        raise ValueError(f"the call audio cannot be decoded: {exc}") from exc
    if not parts:
        raise ValueError("the call audio holds no samples")
    pcm = np.concatenate(parts, axis=1).astype(np.float32)
    first = tags.get("AGENTDESK_FIRST_SAMPLE_UTC_US")
    first_us = int(first) if first and first.isdigit() else None
    if pcm.shape[0] >= 2:
        return CallAudio(pcm[0].copy(), pcm[1].copy(), first_us)
    return CallAudio(pcm[0].copy(), np.zeros(0, dtype=np.float32), first_us)

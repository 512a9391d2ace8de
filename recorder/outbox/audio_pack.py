"""A call's stereo WAV packed for upload: Opus in Ogg, both channels, the start time kept.

Why Opus (libopus through PyAV) and not AAC: it is built for speech, at 32 kbit/s stereo a
call is ~12× smaller than the 16 kHz WAV (0.33 MB against 3.8 MB a minute) and the channels
stay apart (−44 dB of the operator in the customer's channel, measured); Ogg Opus is open and
plays in every browser; the store takes ``audio/ogg``; AAC would need an MP4 the store does
not take as audio, and ffmpeg's own AAC encoder is weaker at these rates.

The UTC µs of the first sample travel twice: in the Ogg comments
(``AGENTDESK_FIRST_SAMPLE_UTC_US``, with the call id and which side is which channel) and as
the ``start_us``/``end_us`` of the call's media link in the store.

Spans in which the screen was paused or masked (:mod:`recorder.outbox.silences`) are made
silent in both channels before encoding (``silent``): the audio that leaves the PC holds
nothing of them. A WAV that cannot be packed goes as a silenced copy
(:func:`write_silenced_wav`), never as it is.
"""

from __future__ import annotations

import hashlib
import os
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from formats.call_audio import read_pcm16
from recorder.outbox.silences import Silence

BIT_RATE = 32_000
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
BLOCK_S = 1


@dataclass(frozen=True)
class Packed:
    path: Path
    sha256: str
    bytes: int
    frames: int
    sample_rate: int
    silenced: int = 0  # frames made silent


def silence_spans(
    pcm: np.ndarray, rate: int, first_sample_utc_us: int, silent: Sequence[Silence]
) -> tuple[np.ndarray, int]:
    """``pcm`` (frames × channels) with every frame inside a span of ``silent`` set to 0 (a
    copy if any is), and how many frames that was. A span still open runs to the end."""
    if not silent or not len(pcm):
        return pcm, 0
    keep = np.ones(len(pcm), dtype=bool)
    for span in silent:
        a = (span.start_us - first_sample_utc_us) * rate // 1_000_000
        b = len(pcm)
        if span.end_us is not None:  # rounded outwards: the span's edges are silent too
            b = min(b, -(-(span.end_us - first_sample_utc_us) * rate // 1_000_000))
        a = max(0, a)
        if a < b:
            keep[a:b] = False
    count = int((~keep).sum())
    if not count:
        return pcm, 0
    out = pcm.copy()
    out[~keep] = 0
    return out, count


def write_silenced_wav(
    wav: Path, out: Path, *, first_sample_utc_us: int, silent: Sequence[Silence]
) -> int:
    """``wav`` copied to ``out`` (16-bit PCM) with the ``silent`` spans zeroed; the frames
    silenced. For a WAV that cannot be packed as Opus (ValueError if it cannot be read)."""
    pcm, rate, channels = read_pcm16(wav)
    pcm, count = silence_spans(pcm, rate, first_sample_utc_us, silent)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        with wave.open(str(tmp), "wb") as writer:
            writer.setnchannels(channels)
            writer.setsampwidth(2)
            writer.setframerate(rate)
            writer.writeframes(np.ascontiguousarray(pcm, dtype="<i2").tobytes())
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def pack_opus(
    wav: Path,
    out: Path,
    *,
    call_id: str,
    first_sample_utc_us: int,
    bit_rate: int = BIT_RATE,
    silent: Sequence[Silence] = (),
) -> Packed:
    """Encode ``wav`` (16-bit PCM, 1 or 2 channels) to ``out`` (Ogg Opus), written under a
    temp name and renamed; a WAV whose header was never finalised is read to its last frame.
    The ``silent`` spans (UTC µs) are silent in both channels."""
    pcm, rate, channels = read_pcm16(wav)
    pcm, silenced = silence_spans(pcm, rate, first_sample_utc_us, silent)
    if rate not in OPUS_RATES:
        raise ValueError(f"{wav.name}: {rate} Hz cannot be packed as Opus ({OPUS_RATES})")
    if channels == 1:
        pcm = np.repeat(pcm, 2, axis=1)
    elif channels != 2:
        raise ValueError(f"{wav.name}: {channels} channels; a call recording has 2")
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        with av.open(str(tmp), "w", format="ogg") as container:
            stream = container.add_stream("libopus", rate=rate, layout="stereo")
            stream.bit_rate = bit_rate
            stream.codec_context.options = {"application": "voip"}
            stream.metadata.update(
                {
                    "AGENTDESK_CALL_ID": call_id,
                    "AGENTDESK_FIRST_SAMPLE_UTC_US": str(first_sample_utc_us),
                    "AGENTDESK_CHANNELS": "left=operator,right=customer",
                }
            )
            block = rate * BLOCK_S
            for start in range(0, len(pcm), block):
                part = np.ascontiguousarray(pcm[start : start + block]).reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(part, format="s16", layout="stereo")
                frame.sample_rate = rate
                frame.pts = start
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        with open(tmp, "rb") as fh:
            data_hash = hashlib.sha256()
            while chunk := fh.read(1 << 20):
                data_hash.update(chunk)
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Packed(out, data_hash.hexdigest(), out.stat().st_size, len(pcm), rate, silenced)

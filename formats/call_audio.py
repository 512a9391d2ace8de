"""WAV reading that survives a crash, and the stereo merge of a call's two sides."""

from __future__ import annotations

import os
import struct
import time
import wave
from collections.abc import Iterable
from pathlib import Path

import numpy as np

CHUNK_FRAMES = 16000 * 10


def read_pcm16(path: str | os.PathLike[str]) -> tuple[np.ndarray, int, int]:
    """(samples int16 [frames, channels], sample rate, channels) of a PCM16 WAV.

    A file whose header sizes were never written (the process died while recording) is read
    up to its last whole frame instead of being rejected.
    """
    data = Path(path).read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    pos, rate, channels, bits = 12, 0, 0, 0
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            if body + 16 > len(data):
                raise ValueError(f"{path}: WAV header is truncated (fmt chunk)")
            _fmt, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, body)
        elif cid == b"data":
            if size == 0 or body + size > len(data):
                size = len(data) - body  # header not finalised: take what is there
            if not rate or bits != 16 or not channels:
                raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
            usable = size - size % (2 * channels)
            pcm = np.frombuffer(data, dtype="<i2", count=usable // 2, offset=body)
            return pcm.reshape(-1, channels), rate, channels
        pos = body + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def wav_finalised(path: str | os.PathLike[str]) -> bool:
    """True once the writer has closed the WAV: its RIFF size matches the file size.

    pjmedia's WAV writer buffers (and stdio buffers again) and writes the sizes only when the
    port is destroyed, which the conference bridge defers to its next clock tick.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(12)
        size = os.path.getsize(path)
    except OSError:
        return False
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    return struct.unpack_from("<I", head, 4)[0] + 8 == size


def wait_finalised(paths: Iterable[Path], timeout: float = 2.0) -> bool:
    """Wait (bounded) until every WAV in ``paths`` is finalised; False on timeout."""
    pending = list(paths)
    deadline = time.monotonic() + timeout
    while True:
        pending = [p for p in pending if not wav_finalised(p)]
        if not pending:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def merge_stereo(left: Path, right: Path, out: Path) -> int:
    """Write ``out`` as a stereo WAV (left, right); the shorter side is padded with silence.

    Returns the number of frames written. Written to a temp name and renamed, so a crash
    never leaves a half file under the final name.
    """
    lpcm, lrate, _ = read_pcm16(left)
    rpcm, rrate, _ = read_pcm16(right)
    if lrate != rrate:
        raise ValueError(f"sample rates differ: {left.name} {lrate} Hz, {right.name} {rrate} Hz")
    frames = max(len(lpcm), len(rpcm))
    tmp = out.with_suffix(".wav.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(lrate)
        for start in range(0, frames, CHUNK_FRAMES):
            stop = min(frames, start + CHUNK_FRAMES)
            block = np.zeros((stop - start, 2), dtype="<i2")
            lpart, rpart = lpcm[start:stop, 0], rpcm[start:stop, 0]
            block[: len(lpart), 0] = lpart
            block[: len(rpart), 1] = rpart
            w.writeframes(block.tobytes())
    os.replace(tmp, out)
    return frames

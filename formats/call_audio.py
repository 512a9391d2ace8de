"""A call's audio: the WAV files the softphone records and the JSON note beside them.

The softphone records each side of a call to its own mono WAV (``<call>.operator.wav``,
``<call>.customer.wav``) and merges them into ``<call>.wav`` (operator left, customer right)
when the call ends. Beside it, ``<call>.json`` (:class:`CallAudioNote`) says which call it is
and the UTC µs of its first sample: enough to recover and align the audio after a crash. The
softphone writes the note (:func:`write_note`), the outbox reads it (:func:`read_note`).
Reading a WAV survives a crash (:func:`read_pcm16`).
"""

from __future__ import annotations

import json
import os
import struct
import time
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


class NoteError(ValueError):
    """A call-audio note that cannot be read: the text names the file and the field."""


@dataclass(frozen=True)
class CallAudioNote:
    """The JSON note beside a call's stereo WAV (see the module docstring)."""

    call_id: str
    first_sample_utc_us: int
    sample_rate: int
    operator_wav: str  # file names, in the note's folder
    customer_wav: str
    stereo_wav: str
    finished: bool = False  # the sides are merged into ``stereo_wav``
    frames: int = 0  # of the stereo WAV, once finished

    def to_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "first_sample_utc_us": self.first_sample_utc_us,
            "sample_rate": self.sample_rate,
            "channels": {"left": "operator", "right": "customer"},
            "operator_wav": self.operator_wav,
            "customer_wav": self.customer_wav,
            "stereo_wav": self.stereo_wav,
            "finished": self.finished,
            "frames": self.frames,
        }


_NOTE_FIELDS: dict[str, type] = {
    "call_id": str,
    "first_sample_utc_us": int,
    "sample_rate": int,
    "operator_wav": str,
    "customer_wav": str,
    "stereo_wav": str,
    "finished": bool,
    "frames": int,
}


def note_path(stereo_wav: Path) -> Path:
    """Where the note of the call recorded to ``stereo_wav`` is."""
    return stereo_wav.with_suffix(".json")


def write_note(note: CallAudioNote, folder: Path) -> Path:
    """Write ``note`` beside its WAV in ``folder`` (temp file, rename); returns its path."""
    path = note_path(folder / note.stereo_wav)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(note.to_json(), indent=1))
    os.replace(tmp, path)
    return path


def read_note(path: Path) -> CallAudioNote:
    """The note in ``path``; OSError if it cannot be read, :class:`NoteError` if it is not
    a call-audio note (the message names the file and the field)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise NoteError(f"{path.name}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise NoteError(f"{path.name}: a call-audio note is a JSON object")
    values: dict[str, Any] = {}
    for name, kind in _NOTE_FIELDS.items():
        if name not in data:
            if name in ("finished", "frames"):
                continue
            raise NoteError(f"{path.name}: missing field {name!r}")
        value = data[name]
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
            raise NoteError(f"{path.name}: field {name!r} has the wrong type: {value!r}")
        values[name] = value
    return CallAudioNote(**values)

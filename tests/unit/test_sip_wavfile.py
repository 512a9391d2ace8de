"""formats.call_audio: reading recordings (also after a crash) and merging a call's two sides."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from formats import call_audio as wavfile
from formats.call_audio import merge_stereo, read_pcm16


def write_wav(path: Path, pcm: np.ndarray, rate: int = 16000, width: int = 2) -> Path:
    if pcm.ndim == 1:
        pcm = pcm.reshape(-1, 1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2" if width == 2 else "u1").tobytes())
    return path


def raw_wav(
    pcm_bytes: bytes,
    *,
    channels: int = 1,
    rate: int = 8000,
    bits: int = 16,
    riff_size: int | None = None,
    data_size: int | None = None,
    extra_chunks: bytes = b"",
) -> bytes:
    """A WAV file built by hand, with header sizes of our choosing."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    size = len(pcm_bytes) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + extra_chunks
    body += b"data" + struct.pack("<I", size) + pcm_bytes
    riff = len(body) if riff_size is None else riff_size
    return b"RIFF" + struct.pack("<I", riff) + body


def sine(freq: float, seconds: float, rate: int, amplitude: float = 12000.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return np.round(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


# --- read_pcm16 -------------------------------------------------------------------------------


def test_reads_a_mono_wav_written_by_the_wave_module(tmp_path: Path) -> None:
    pcm = np.array([0, 1, -1, 32767, -32768, 1234], dtype=np.int16)
    samples, rate, channels = read_pcm16(write_wav(tmp_path / "m.wav", pcm, rate=8000))
    assert (rate, channels) == (8000, 1)
    assert samples.dtype == np.int16
    assert samples.shape == (6, 1)
    assert samples[:, 0].tolist() == pcm.tolist()


def test_reads_a_stereo_wav_as_frames_by_channels(tmp_path: Path) -> None:
    pcm = np.array([[1, -1], [2, -2], [3, -3]], dtype=np.int16)
    samples, rate, channels = read_pcm16(write_wav(tmp_path / "s.wav", pcm, rate=48000))
    assert (rate, channels) == (48000, 2)
    assert samples.tolist() == pcm.tolist()


def test_accepts_a_str_path(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "p.wav", np.array([5, 6], dtype=np.int16))
    assert read_pcm16(str(path))[0][:, 0].tolist() == [5, 6]


def test_an_empty_recording_gives_zero_frames(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "e.wav", np.zeros(0, dtype=np.int16))
    samples, rate, channels = read_pcm16(path)
    assert samples.shape == (0, 1)
    assert (rate, channels) == (16000, 1)


def test_header_sizes_of_zero_read_up_to_the_last_whole_frame(tmp_path: Path) -> None:
    # The recorder died before finalising the header: both sizes are still 0, and the last
    # frame is only half written.
    pcm = np.arange(1, 11, dtype="<i2").reshape(5, 2)
    data = raw_wav(pcm.tobytes() + b"\x07\x00\x08", channels=2, riff_size=0, data_size=0)
    path = tmp_path / "crash0.wav"
    path.write_bytes(data)
    samples, rate, channels = read_pcm16(path)
    assert (rate, channels) == (8000, 2)
    assert samples.tolist() == pcm.tolist()


def test_header_sizes_larger_than_the_file_read_what_is_there(tmp_path: Path) -> None:
    pcm = np.arange(-50, 50, dtype="<i2")
    data = raw_wav(pcm.tobytes() + b"\x01", riff_size=0xFFFFFFFF, data_size=0xFFFFFFFF)
    path = tmp_path / "crash_big.wav"
    path.write_bytes(data)
    samples, _, channels = read_pcm16(path)
    assert channels == 1
    assert samples[:, 0].tolist() == pcm.tolist()


def test_a_file_cut_short_mid_data_reads_its_whole_frames(tmp_path: Path) -> None:
    pcm = sine(440, 0.1, 16000)
    full = write_wav(tmp_path / "full.wav", pcm).read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full[: len(full) - 101])  # 50 whole samples and a half are missing
    samples, _, _ = read_pcm16(cut)
    assert samples[:, 0].tolist() == pcm[: len(pcm) - 51].tolist()


def test_chunks_before_data_are_skipped_including_odd_sized_ones(tmp_path: Path) -> None:
    # An odd-sized chunk is followed by a pad byte that is not part of its size.
    extra = b"LIST" + struct.pack("<I", 3) + b"abc" + b"\x00"
    extra += b"fact" + struct.pack("<I", 4) + struct.pack("<I", 3)
    pcm = np.array([7, -7, 9], dtype="<i2")
    path = tmp_path / "extra.wav"
    path.write_bytes(raw_wav(pcm.tobytes(), extra_chunks=extra))
    assert read_pcm16(path)[0][:, 0].tolist() == [7, -7, 9]


def test_only_the_data_chunk_is_read_when_sizes_are_correct(tmp_path: Path) -> None:
    pcm = np.array([1, 2, 3], dtype="<i2")
    data = raw_wav(pcm.tobytes()) + b"LIST" + struct.pack("<I", 4) + b"\xff\x7f\xff\x7f"
    path = tmp_path / "trailer.wav"
    path.write_bytes(data)
    assert read_pcm16(path)[0][:, 0].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "content",
    [b"", b"RIFF", b"RIFF\x00\x00\x00\x00WAVX", b"ID3\x03" + bytes(100), b"OggS" + bytes(100)],
)
def test_rejects_files_that_are_not_wav(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not.wav"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a WAV file") as info:
        read_pcm16(path)
    assert str(path) in str(info.value)


def test_rejects_8_bit_wav_with_a_clear_message(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "u8.wav", np.array([128, 130, 126]), width=1)
    with pytest.raises(ValueError, match="only 16-bit PCM WAV is supported"):
        read_pcm16(path)


def test_rejects_a_wav_without_a_data_chunk(tmp_path: Path) -> None:
    full = raw_wav(b"")
    path = tmp_path / "nodata.wav"
    path.write_bytes(full[: full.index(b"data")])
    with pytest.raises(ValueError, match="no data chunk"):
        read_pcm16(path)


def test_rejects_a_data_chunk_without_a_format_chunk(tmp_path: Path) -> None:
    path = tmp_path / "nofmt.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 14) + b"WAVEdata" + struct.pack("<I", 2) + b"\0\0")
    with pytest.raises(ValueError, match="16-bit PCM"):
        read_pcm16(path)


def test_a_header_cut_inside_the_format_chunk_is_a_clear_value_error(tmp_path: Path) -> None:
    full = raw_wav(np.zeros(4, dtype="<i2").tobytes())
    path = tmp_path / "cut_header.wav"
    path.write_bytes(full[:30])  # the process died while the header was being written
    with pytest.raises(ValueError, match="truncated") as info:
        read_pcm16(path)
    assert str(path) in str(info.value)


# --- merge_stereo -----------------------------------------------------------------------------


def test_merge_keeps_left_and_right_apart(tmp_path: Path) -> None:
    rate = 16000
    left = write_wav(tmp_path / "operator.wav", sine(440, 0.5, rate), rate)
    right = write_wav(tmp_path / "customer.wav", sine(880, 0.5, rate), rate)
    out = tmp_path / "call.wav"
    frames = merge_stereo(left, right, out)
    assert frames == rate // 2
    with wave.open(str(out), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, rate)
        assert w.getnframes() == frames
    samples, _, channels = read_pcm16(out)
    assert channels == 2
    assert peak_hz(samples[:, 0], rate) == pytest.approx(440, abs=2)
    assert peak_hz(samples[:, 1], rate) == pytest.approx(880, abs=2)
    # Each side holds its own signal only, sample for sample.
    assert samples[:, 0].tolist() == sine(440, 0.5, rate).tolist()
    assert samples[:, 1].tolist() == sine(880, 0.5, rate).tolist()


@pytest.mark.parametrize(("left_n", "right_n"), [(100, 250), (250, 100)])
def test_merge_pads_the_shorter_side_with_silence(
    tmp_path: Path, left_n: int, right_n: int
) -> None:
    left = write_wav(tmp_path / "l.wav", np.full(left_n, 1000, dtype=np.int16))
    right = write_wav(tmp_path / "r.wav", np.full(right_n, -2000, dtype=np.int16))
    out = tmp_path / "m.wav"
    assert merge_stereo(left, right, out) == 250
    samples, _, _ = read_pcm16(out)
    assert samples.shape == (250, 2)
    assert samples[:left_n, 0].tolist() == [1000] * left_n
    assert samples[left_n:, 0].tolist() == [0] * (250 - left_n)
    assert samples[:right_n, 1].tolist() == [-2000] * right_n
    assert samples[right_n:, 1].tolist() == [0] * (250 - right_n)


def test_merge_crosses_chunk_boundaries_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wavfile, "CHUNK_FRAMES", 7)
    lpcm = np.arange(0, 40, dtype=np.int16)
    rpcm = -np.arange(0, 23, dtype=np.int16)
    out = tmp_path / "m.wav"
    left, right = write_wav(tmp_path / "l.wav", lpcm), write_wav(tmp_path / "r.wav", rpcm)
    assert merge_stereo(left, right, out) == 40
    samples, _, _ = read_pcm16(out)
    assert samples[:, 0].tolist() == lpcm.tolist()
    assert samples[:, 1].tolist() == [*rpcm.tolist(), *([0] * 17)]


def test_merge_reads_a_crashed_side(tmp_path: Path) -> None:
    left = write_wav(tmp_path / "l.wav", np.array([1, 2, 3, 4], dtype=np.int16), rate=8000)
    right = tmp_path / "r.wav"
    right.write_bytes(raw_wav(np.array([9, 8], dtype="<i2").tobytes(), riff_size=0, data_size=0))
    out = tmp_path / "m.wav"
    assert merge_stereo(left, right, out) == 4
    assert read_pcm16(out)[0].tolist() == [[1, 9], [2, 8], [3, 0], [4, 0]]


def test_merge_of_two_empty_sides_writes_an_empty_stereo_file(tmp_path: Path) -> None:
    empty = np.zeros(0, dtype=np.int16)
    out = tmp_path / "m.wav"
    left, right = write_wav(tmp_path / "l.wav", empty), write_wav(tmp_path / "r.wav", empty)
    assert merge_stereo(left, right, out) == 0
    samples, rate, channels = read_pcm16(out)
    assert samples.shape == (0, 2)
    assert (rate, channels) == (16000, 2)


def test_merge_refuses_different_sample_rates_and_writes_nothing(tmp_path: Path) -> None:
    left = write_wav(tmp_path / "op.wav", sine(440, 0.01, 16000), 16000)
    right = write_wav(tmp_path / "cu.wav", sine(440, 0.01, 8000), 8000)
    out = tmp_path / "m.wav"
    with pytest.raises(ValueError, match="sample rates differ") as info:
        merge_stereo(left, right, out)
    assert "16000" in str(info.value) and "8000" in str(info.value)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cu.wav", "op.wav"]


def test_merge_replaces_an_existing_output_and_leaves_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "m.wav"
    out.write_bytes(b"old")
    left = write_wav(tmp_path / "l.wav", np.array([1], dtype=np.int16))
    right = write_wav(tmp_path / "r.wav", np.array([2], dtype=np.int16))
    merge_stereo(left, right, out)
    assert read_pcm16(out)[0].tolist() == [[1, 2]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.wav", "m.wav", "r.wav"]

"""The recorder's cores without a display: change detection, I420 canvas, segments, salvage."""

from __future__ import annotations

import errno
import hashlib
import json
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from formats import manifest as manifest_format
from formats.manifest import COMPLETE, PARTIAL, RECORDING, Manifest, read_manifest
from recorder.capture import changes
from recorder.capture.changes import ChangeDetector
from recorder.capture.geometry import Rect, clip_all
from recorder.segments.canvas import I420Canvas
from recorder.segments.encoder import EncoderSettings, StorageFull
from recorder.segments.writer import (
    SegmentWriter,
    complete_prefix,
    recover,
    salvage,
    save_manifest,
)

W, H = 320, 240


def _frame(seed: int = 0, width: int = W, height: int = H) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 4), dtype=np.uint8)


# ----- geometry ------------------------------------------------------------------------------


def test_rect_helpers() -> None:
    assert Rect(3, 5, 4, 4).even() == Rect(2, 4, 6, 6)
    assert Rect(0, 0, 10, 10).intersect(Rect(5, 5, 10, 10)) == Rect(5, 5, 5, 5)
    assert Rect(0, 0, 10, 10).intersect(Rect(20, 20, 1, 1)).empty
    assert Rect(1, 1, 3, 3).scale(0.5, 0.5) == Rect(0, 0, 2, 2)
    assert clip_all([Rect(90, 90, 20, 20), Rect(0, 0, 5, 5)], Rect(100, 100, 50, 50)) == [
        Rect(0, 0, 10, 10)
    ]


# ----- change detection -------------------------------------------------------------------


def test_first_frame_is_all_changed_then_nothing() -> None:
    detector = ChangeDetector(W, H, tile=32)
    frame = _frame()
    assert detector.changed(frame) == [Rect(0, 0, W, H)]
    detector.accept(frame)
    assert detector.changed(frame.copy()) == []


@pytest.mark.parametrize("memcmp", [True, False], ids=["memcmp", "numpy"])
@pytest.mark.parametrize(("y", "x"), [(0, 0), (17, 100), (239, 319), (224, 300), (100, 31)])
def test_one_changed_byte_is_found_in_its_tile(
    y: int, x: int, memcmp: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not memcmp:
        monkeypatch.setattr(changes, "_MEMCMP", None)
    detector = ChangeDetector(W, H, tile=32)
    frame = _frame()
    detector.accept(frame)
    changed = frame.copy()
    changed[y, x, 1] ^= 1
    (rect,) = detector.changed(changed)
    assert rect == Rect(x // 32 * 32, y // 32 * 32, 32, min(32, H - y // 32 * 32))


def test_changed_tiles_merge_into_few_rects() -> None:
    detector = ChangeDetector(W, H, tile=32)
    frame = _frame()
    detector.accept(frame)
    changed = frame.copy()
    changed[40:130, 70:140] ^= 1  # tiles x 64..160, y 32..160: one rect
    changed[200, 5] ^= 1
    assert detector.changed(changed) == [Rect(64, 32, 96, 128), Rect(0, 192, 32, 32)]


def test_detector_rejects_a_frame_of_another_size() -> None:
    detector = ChangeDetector(W, H)
    with pytest.raises(ValueError, match="frame is"):
        detector.changed(_frame(width=W + 2))


# ----- canvas --------------------------------------------------------------------------------


def test_canvas_updates_only_rects_and_matches_a_full_conversion() -> None:
    frame = _frame(1)
    canvas = I420Canvas(W, H)
    canvas.fill(frame)
    changed = frame.copy()
    changed[50:70, 90:130] = _frame(2)[50:70, 90:130]
    canvas.update(changed, [Rect(64, 32, 96, 64)])
    reference = I420Canvas(W, H)
    reference.fill(changed)
    assert np.abs(canvas.buffer.astype(int) - reference.buffer).max() <= 1
    outside = canvas.y[120:, :]
    assert np.array_equal(outside, reference.y[120:, :])


def test_canvas_colours_are_bt709_limited_range() -> None:
    canvas = I420Canvas(16, 16)
    black = np.zeros((16, 16, 4), np.uint8)
    canvas.fill(black)
    assert (canvas.y[0, 0], canvas.u[0, 0], canvas.v[0, 0]) == (16, 128, 128)
    red = black.copy()
    red[..., 2] = 255  # BGRA
    canvas.fill(red)
    assert (canvas.y[0, 0], canvas.u[0, 0], canvas.v[0, 0]) == (63, 102, 240)


def test_canvas_scales_a_bigger_frame() -> None:
    canvas = I420Canvas(W // 2, H // 2)
    canvas.fill(_frame(3))
    assert canvas.buffer.shape == (H // 2 * 3 // 2, W // 2)


# ----- segments ------------------------------------------------------------------------------

T0 = 1_700_000_000_000_000


def _write_segment(
    tmp_path: Path, times_s: list[float], fragment_s: float = 1.0
) -> tuple[SegmentWriter, I420Canvas]:
    writer = SegmentWriter(
        tmp_path,
        width=W,
        height=H,
        utc_start_us=T0,
        fps=5.0,
        layout={"region": [0, 0, W, H]},
        call_ids=["a", "b", "a"],
        settings=EncoderSettings(fragment_s=fragment_s),
    )
    canvas = I420Canvas(W, H)
    for index, t in enumerate(times_s):
        canvas.fill(_frame(index))
        writer.write(canvas.buffer, T0 + int(t * 1e6))
    return writer, canvas


def _decode_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [round(float(f.time or 0.0), 3) for f in container.decode(video=0)]


def test_segment_timestamps_are_capture_times_and_the_end_is_covered(tmp_path: Path) -> None:
    writer, canvas = _write_segment(tmp_path, [0.0, 0.2, 0.4, 3.0, 7.25])
    manifest = writer.finish(canvas.buffer, T0 + 9_000_000)
    assert manifest is not None and manifest.status == COMPLETE
    assert _decode_times(writer.media_path) == [0.0, 0.2, 0.4, 3.0, 7.25, 9.0]
    assert manifest.frames == 6 and manifest.key_frames == 1
    assert manifest.utc_end_us - manifest.utc_start_us == 9_000_000
    assert manifest.call_ids == ["a", "b"]
    data = writer.media_path.read_bytes()
    assert manifest.bytes == len(data)
    assert manifest.sha256 == hashlib.sha256(data).hexdigest()
    on_disk = json.loads(writer.manifest_path.read_text())
    assert on_disk["status"] == "complete" and on_disk["file"] == writer.media_path.name
    assert read_manifest(writer.manifest_path) == manifest


def test_masked_periods_are_recorded_and_closed(tmp_path: Path) -> None:
    writer, canvas = _write_segment(tmp_path, [0.0])
    writer.set_mask([Rect(10, 10, 20, 20)], T0 + 1_000_000, ["masked_title"])
    writer.set_mask([Rect(10, 10, 20, 20)], T0 + 1_500_000, ["masked_title"])  # unchanged
    writer.set_mask([], T0 + 2_000_000)
    writer.set_mask([Rect(0, 0, 8, 8)], T0 + 3_000_000, ["manual"])
    writer.set_mask([Rect(0, 0, 8, 8)], T0 + 3_500_000, ["manual", "sensitive_field"])
    manifest = writer.finish(canvas.buffer, T0 + 4_000_000)
    assert manifest is not None
    periods = [p.to_json() for p in manifest.masked_periods]
    box, whole = [[10, 10, 20, 20]], [[0, 0, 8, 8]]
    assert periods == [
        {"start_us": T0 + 1_000_000, "end_us": T0 + 2_000_000, "rects": box,
         "reasons": ["masked_title"]},
        {"start_us": T0 + 3_000_000, "end_us": T0 + 3_500_000, "rects": whole,
         "reasons": ["manual"]},
        {"start_us": T0 + 3_500_000, "end_us": T0 + 4_000_000, "rects": whole,
         "reasons": ["manual", "sensitive_field"]},
    ]  # fmt: skip
    assert read_manifest(writer.manifest_path).masked_periods == manifest.masked_periods


def test_a_file_cut_anywhere_is_salvaged_up_to_its_last_fragment(tmp_path: Path) -> None:
    times = [i * 0.4 for i in range(15)]  # fragments of 1 s: about 6 of them
    writer, canvas = _write_segment(tmp_path, times)
    writer.finish(canvas.buffer, T0 + 6_000_000)
    whole = writer.media_path.read_bytes()
    manifest_text = writer.manifest_path.read_text()
    kept_frames = []
    for cut in range(0, len(whole), max(1, len(whole) // 37)):
        writer.media_path.write_bytes(whole[:cut])
        manifest = read_manifest(writer.manifest_path)
        manifest.status = RECORDING
        result = salvage(writer.media_path, manifest, writer.manifest_path)
        if result is None:
            assert not writer.media_path.exists() and not writer.manifest_path.exists()
            writer.manifest_path.write_text(manifest_text)
            continue
        assert result.status == PARTIAL
        assert writer.media_path.stat().st_size == complete_prefix(writer.media_path) <= cut
        times_kept = _decode_times(writer.media_path)
        assert len(times_kept) == result.frames
        assert times_kept == [round(t, 3) for t in [*times, 6.0]][: len(times_kept)]
        assert result.utc_end_us == T0 + int(times_kept[-1] * 1e6)
        kept_frames.append(result.frames)
    assert kept_frames == sorted(kept_frames)
    assert min(kept_frames) >= 1 and max(kept_frames) >= 12


def test_recover_finishes_what_a_dead_writer_left(tmp_path: Path) -> None:
    writer, _canvas = _write_segment(tmp_path, [0.0, 0.5, 1.2, 2.5])
    writer.encoder.abort()  # as if the process died here
    raw = json.loads(writer.manifest_path.read_text())
    raw["pid"] = 2**22 + 12345  # a pid that does not exist
    writer.manifest_path.write_text(json.dumps(raw))
    (tmp_path / ".leftover.json.1.tmp").write_text("{")
    (manifest,) = recover(tmp_path)
    assert manifest.status == PARTIAL and manifest.frames >= 2
    assert not list(tmp_path.glob(".*.tmp"))
    assert recover(tmp_path) == []  # nothing left to do


def test_a_manifest_is_rewritten_in_place_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.json"
    manifest = Manifest("id", "m.mp4", RECORDING, 1, 1, 64, 48, 5.0, {})
    save_manifest(path, manifest)

    def no_space(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(manifest_format.os, "replace", no_space)
    manifest.status = COMPLETE
    save_manifest(path, manifest)
    assert json.loads(path.read_text())["status"] == "complete"
    assert read_manifest(path) == manifest
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(StorageFull):
        save_manifest(tmp_path / "new.json", manifest)

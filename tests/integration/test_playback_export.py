"""The MP4 export against a real store and real recorder segments from a real Xvfb: the
screen and both audio channels arrive, aligned by UTC, with the watermark, and the export is
in the store's audit trail. WAV (as recorded) and Ogg Opus (as the uploader sends) audio."""

from __future__ import annotations

import json
import time
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from desktop.qa.playback.export import export_mp4
from formats.clock import utc_us
from recorder.segments.config import RecorderConfig
from tests.integration.playback_kit import (
    RootMarker,
    decode_mp4,
    marker_onsets,
    sqlite_store,
    tone_onsets,
    upload_call_as_the_uploader_will,
)
from tests.integration.recorder_kit import RecordingThread, require_xvfb, wait_until
from tests.integration.store_kit import Store
from tests.servers.baresip import dominant_frequency
from tests.servers.xvfb import XvfbServer

pytestmark = pytest.mark.integration
__all__ = ["sqlite_store"]

RATE = 16000
FPS = 25.0
MARKER = (255, 0, 0)
BACKGROUND = (0, 0, 255)


@pytest.fixture(scope="module")
def small_screen() -> Iterator[XvfbServer]:
    require_xvfb()
    with XvfbServer(640, 360) as server:
        yield server


def write_wav(path: Path, pcm: np.ndarray) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())


def to_ogg_opus(wav: Path, out: Path) -> None:
    with av.open(str(wav)) as src, av.open(str(out), "w", format="ogg") as dst:
        stream = dst.add_stream("libopus", rate=48000)
        stream.layout = "stereo"
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=48000)
        for frame in src.decode(audio=0):
            for part in resampler.resample(frame):
                dst.mux(stream.encode(part))
        for part in resampler.resample(None):
            dst.mux(stream.encode(part))
        dst.mux(stream.encode(None))


@pytest.fixture(scope="module")
def recorded_call(small_screen: XvfbServer, tmp_path_factory: pytest.TempPathFactory):
    """3.6 s of screen with three red markers, and a stereo WAV whose left (operator) side
    beeps 1000 Hz exactly when each marker was painted; the right side hums 600 Hz."""
    out = tmp_path_factory.mktemp("segments")
    call_id = uuid.uuid4().hex
    marker = RootMarker(small_screen)
    marker.paint(BACKGROUND)
    config = RecorderConfig(
        out_dir=out, display=small_screen.display, fps=FPS, segment_s=1.5, call_ids=[call_id]
    )
    recording = RecordingThread(config, seconds=3.6)
    start = time.monotonic()
    painted = []
    for at in (0.6, 1.6, 2.6):
        wait_until(start + at)
        painted.append(utc_us())
        marker.paint(MARKER)
        wait_until(start + at + 0.3)
        marker.paint(BACKGROUND)
    recording.join()
    marker.close()
    audio_start = painted[0] - 400_000  # audio begins after the screen: padded in the MP4
    t = np.arange(int(3.0 * RATE)) / RATE
    pcm = np.zeros((len(t), 2))
    pcm[:, 1] = 0.2 * np.sin(2 * np.pi * 600 * t)
    for at in painted:
        a = (at - audio_start) * RATE // 1_000_000
        pcm[a : a + int(0.25 * RATE), 0] = 0.5 * np.sin(2 * np.pi * 1000 * t[: int(0.25 * RATE)])
    wav = out / "call.wav"
    write_wav(wav, pcm)
    return call_id, out, wav, audio_start, painted


def call_doc(agent: str, started_us: int) -> dict:
    return {
        "agent": agent,
        "direction": "inbound",
        "started_us": started_us,
        "answered_us": started_us + 200_000,
        "ended_us": started_us + 2_500_000,
        "remote_number": "+79125550102",
    }


@pytest.mark.parametrize("audio_type", ["audio/wav", "audio/ogg"])
def test_export_carries_screen_both_channels_watermark_in_sync(
    sqlite_store: Store, recorded_call, tmp_path: Path, audio_type: str
) -> None:
    call_id, seg_dir, wav, audio_start, painted = recorded_call
    call_id = f"{call_id}-{audio_type[6:]}"
    for path in seg_dir.glob("screen-*.json"):  # the same segments for this test's call
        manifest = json.loads(path.read_text())
        manifest["call_ids"] = [call_id]
        path.write_text(json.dumps(manifest))
    audio = wav
    if audio_type == "audio/ogg":
        audio = tmp_path / "call.ogg"
        to_ogg_opus(wav, audio)
    upload_call_as_the_uploader_will(
        sqlite_store.alice,
        call_id,
        call_doc("alice", painted[0] - 300_000),
        seg_dir,
        audio,
        audio_type,
        audio_start,
    )
    out = tmp_path / "dispute.mp4"
    result = export_mp4(sqlite_store.quinn, call_id, out, exported_by="quinn")

    frames, pcm, rate, audio_t0 = decode_mp4(out)
    assert pcm.shape[1] == 2 and audio_t0 == pytest.approx(0.0, abs=0.001)
    # Both channels: the operator's beeps on the left, the customer's hum on the right.
    beep = int((painted[0] - result.origin_us) / 1e6 * rate)
    left = pcm[beep + rate // 20 : beep + rate // 5, 0]
    right = pcm[beep : beep + rate // 2, 1]
    assert abs(dominant_frequency(left, rate) - 1000) < 30
    assert abs(dominant_frequency(right, rate) - 600) < 30

    # The screen: blue with red markers in the middle of the picture.
    def red(p: np.ndarray) -> bool:
        return bool(p[0] > 200 and p[1] < 60 and p[2] < 60)

    middle = (320, 180)
    video_marks = marker_onsets(frames, red, middle)
    tones = tone_onsets(pcm[:, 0], rate)
    assert len(video_marks) == 3 and len(tones) == 3, (video_marks, tones)
    offsets_ms = [(v - a) * 1000 for v, a in zip(video_marks, tones, strict=True)]
    # Each marker is first seen by the next grab (every 40 ms at 25 fps), never before it
    # was painted, i.e. before its beep.
    assert all(-5 <= o <= 1000 / FPS + 40 for o in offsets_ms), offsets_ms

    # The watermark: bright text pixels in the bottom-left corner, nowhere near the middle.
    last = frames[-1][1]
    corner = last[-40:, :200].reshape(-1, 3)
    assert (corner.min(axis=1) > 200).sum() > 30, "no white watermark text in the corner"
    assert result.watermark.startswith("Exported by quinn ")
    assert not red(last[180, 320]) and last[180, 320][2] > 200  # the screen itself shows

    rows = sqlite_store.ada.audit(action="call.export_mp4", target=call_id)
    assert len(rows) == 1 and rows[0]["actor"] == "quinn"
    assert result.sha256 in rows[0]["detail"]

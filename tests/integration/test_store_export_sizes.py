"""The store's MP4 export of a call whose screen segments differ in size (the operator changed
monitors mid-call), made by a real store's export job from segments the recorder's own encoder
wrote: every frame of the file has the largest segment's size, the smaller segment scaled with
its aspect kept and centred on black, each picture at its time (a red marker shown as its tone
sounds), and the file lasts as long as the call's screen."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
import requests

from formats.manifest import COMPLETE, Manifest
from recorder.segments.encoder import SegmentEncoder
from store.export_video import fit
from store.users import set_password
from tests.integration.playback_kit import (
    decode_mp4,
    marker_onsets,
    tone_onsets,
    upload_call_as_the_uploader_will,
)
from tests.integration.store_kit import Store, new_id, now_us, store_with_clients
from tests.servers.pulse import write_wav

pytestmark = pytest.mark.integration
FPS = 25
RATE = 48_000
PASSWORD = "quinn-secret-3"
# (width, height, colour, marker at s): the first monitor, then a larger one of another shape
SEGMENTS = [(320, 180, (0, 0, 255), 1.0), (400, 300, (0, 160, 0), 4.0)]
SEGMENT_S = 3.0


def i420(width: int, height: int, rgb: tuple[int, int, int]) -> np.ndarray:
    """A full-range BT.709 I420 picture of one colour (as the recorder's canvas makes)."""
    r, g, b = rgb
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    u, v = (b - y) / 1.8556 + 128, (r - y) / 1.5748 + 128
    frame = np.empty((height * 3 // 2, width), np.uint8)
    frame[:height] = round(16 + y * 219 / 255)
    quarter = height // 4
    frame[height : height + quarter] = round(16 + (u - 128) * 224 / 255 + 112)
    frame[height + quarter :] = round(16 + (v - 128) * 224 / 255 + 112)
    return frame


def record(folder: Path, call_id: str, t0: int) -> Path:
    """The two segments and their manifests, and the call's WAV: a tone on the operator's
    side at each marker. Returns the WAV."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, (width, height, colour, marker_s) in enumerate(SEGMENTS):
        start = t0 + int(index * SEGMENT_S * 1e6)
        end = start + int(SEGMENT_S * 1e6)
        plain, red = i420(width, height, colour), i420(width, height, (255, 0, 0))
        encoder = SegmentEncoder(folder / f"screen-{index}.mp4", width, height, start, FPS)
        utc, last = start, plain
        while utc < end:
            at_s = (utc - t0) / 1e6
            last = red if marker_s <= at_s < marker_s + 0.3 - 1e-9 else plain
            encoder.encode(last, utc)
            utc += 1_000_000 // FPS
        encoder.close(last, end)
        manifest = Manifest(
            id=f"seg{index}", file=f"screen-{index}.mp4", status=COMPLETE, utc_start_us=start,
            utc_end_us=end, width=width, height=height, fps=float(FPS), layout={},
            call_ids=[call_id], frames=encoder.frames, masked_periods=[],
        )  # fmt: skip
        (folder / f"screen-{index}.json").write_text(json.dumps(manifest.to_json()))
    t = np.arange(int(2 * SEGMENT_S * RATE)) / RATE
    tone = np.zeros_like(t)
    for _w, _h, _c, marker_s in SEGMENTS:
        tone = np.where(
            (t >= marker_s) & (t < marker_s + 0.3), 0.5 * np.sin(2000 * np.pi * t), tone
        )
    wav = folder / "call.wav"
    write_wav(wav, np.stack([tone, np.zeros_like(t)], axis=1), RATE)
    return wav


@pytest.fixture(scope="module")
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with store_with_clients(request, tmp_path_factory.mktemp("export-sizes"), "sqlite") as made:
        with made.db() as db:
            set_password(db, "quinn", PASSWORD)
        yield made


def exported(store: Store, call_id: str, dest: Path) -> Path:
    """The call exported by the store's job, asked for as the console asks, then downloaded."""
    with requests.Session() as web:
        web.post(f"{store.url}/login", data={"name": "quinn", "password": PASSWORD},
                 headers={"Origin": store.url}, timeout=10)  # fmt: skip
        page = web.get(f"{store.url}/calls/{call_id}", timeout=10).text
        found = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert found, page[:500]
        asked = web.post(
            f"{store.url}/calls/{call_id}/exports",
            data={"csrf": found.group(1)},
            headers={"Origin": store.url},
            allow_redirects=False,
            timeout=10,
        )
        assert asked.status_code == 303, asked.text
        job_id = re.search(r"export=(\d+)", asked.headers["location"])
        assert job_id
        deadline = time.monotonic() + 60
        while True:
            job = web.get(f"{store.url}/exports/{job_id.group(1)}.json", timeout=10).json()
            if job["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert job["status"] == "done", job
    dest.write_bytes(store.quinn.download(job["sha256"]))
    return dest


def test_segments_of_two_sizes_export_onto_the_larger_with_their_times(
    store: Store, tmp_path: Path
) -> None:
    t0 = now_us() - 3_600_000_000
    call_id = new_id()
    wav = record(tmp_path / "media", call_id, t0)
    call = {"agent": "alice", "direction": "inbound", "started_us": t0,
            "answered_us": t0, "ended_us": t0 + int(2 * SEGMENT_S * 1e6)}  # fmt: skip
    upload_call_as_the_uploader_will(store.alice, call_id, call, tmp_path / "media", wav,
                                     "audio/wav", t0)  # fmt: skip
    mp4 = exported(store, call_id, tmp_path / "export.mp4")

    frames, pcm, rate, audio_start = decode_mp4(mp4)
    assert {rgb.shape for _, rgb in frames} == {(300, 400, 3)}  # the larger monitor's size
    with av.open(str(mp4)) as container:
        video = container.streams.video[0]
        assert video.duration is not None and video.time_base is not None
        length_s = float(video.duration * video.time_base)
        colours = video.codec_context
        # the recorder's colours kept: BT.709, limited range (1 and 1 in FFmpeg's numbering)
        assert (colours.colorspace, colours.color_range) == (1, 1)
    print(f"exported video: {len(frames)} frames, {length_s:.3f} s")
    assert abs(length_s - 2 * SEGMENT_S) <= 2 / FPS, length_s  # the call's 6 s of screen
    assert abs(frames[-1][0] - 2 * SEGMENT_S) <= 2 / FPS, frames[-1][0]

    def colour_at(t: float, x: int, y: int) -> tuple[int, int, int]:
        _, rgb = min(frames, key=lambda f: abs(f[0] - t))
        r, g, b = (int(c) for c in rgb[y, x])
        return r, g, b

    # the first monitor (16:9) fills the width, 400 × 225, centred: black above and below
    width, height, left, top = fit((320, 180), (400, 300))
    assert (width, height, left, top) == (400, 224, 0, 38)
    r, g, b = colour_at(0.5, 200, 150)
    assert b > 160 and r < 90 and g < 90, (r, g, b)
    assert max(colour_at(0.5, 200, top // 2)) < 40  # the band above is black
    assert max(colour_at(0.5, 200, 300 - top // 2)) < 40  # and below
    # the second (4:3) fills the whole picture
    r, g, b = colour_at(4.8, 200, 150)
    assert g > 100 and r < 90 and b < 90, (r, g, b)
    r, g, b = colour_at(4.8, 200, 5)
    assert g > 100 and r < 90 and b < 90, (r, g, b)

    # each marker shows at its time and as its tone sounds
    shown = marker_onsets(frames, lambda p: p[0] > 160 and p[1] < 90 and p[2] < 90, (200, 150))
    tones = [audio_start + t for t in tone_onsets(pcm[:, 0], rate)]
    assert len(shown) == len(tones) == len(SEGMENTS), (shown, tones)
    for (_w, _h, _c, marker_s), seen, heard in zip(SEGMENTS, shown, tones, strict=True):
        assert abs(seen - marker_s) < 1 / FPS, (seen, marker_s)
        assert abs(seen - heard) <= 0.04, (seen, heard)

"""Helpers for the playback tests: a real store (SQLite), a finished call's media sent there
(directly, or through the real outbox and uploader), a fast screen marker, and the analysis of
an exported MP4 (tone onsets in the audio, marker frames in the video)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from formats.manifest import read_manifest
from recorder.outbox.journal import Outbox
from recorder.outbox.uploader import Uploader
from store.client import StoreClient
from store.client_types import CallInput
from tests.integration.store_kit import Store, store_with_clients
from tests.servers.xvfb import XvfbServer


@pytest.fixture(scope="module")
def sqlite_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """One real `agentdesk-store serve` on SQLite + folder (the other back-ends are the
    store's own tests' business)."""
    with store_with_clients(request, tmp_path_factory.mktemp("store"), "sqlite") as made:
        yield made


def upload_call_as_the_uploader_will(
    client: StoreClient,
    call_id: str,
    call: CallInput,
    segment_dir: Path,
    audio: Path | None = None,
    audio_type: str = "audio/wav",
    audio_start_us: int | None = None,
) -> None:
    """A finished call in the store as the uploader leaves it, sent directly (the player's
    tests choose the audio's type, WAV or Opus): content-addressed uploads, `put_call`, then
    links: each screen segment (`screen`, its manifest's UTC span), each manifest (`data`,
    application/json, same span) and the stereo audio (`audio`, `start_us` = UTC µs of its
    first sample). :func:`upload_through_the_outbox` takes the real way."""
    client.put_call(call_id, call)
    for path in sorted(segment_dir.glob("screen-*.json")):
        manifest = json.loads(path.read_text())
        if call_id not in manifest.get("call_ids", [call_id]):
            continue
        span = int(manifest["utc_start_us"]), int(manifest["utc_end_us"])
        video = client.upload_file(segment_dir / manifest["file"], "video/mp4")
        client.link_media(call_id, video["sha256"], "screen", *span)
        note = client.upload_bytes(path.read_bytes(), "application/json")
        client.link_media(call_id, note["sha256"], "data", *span)
    if audio is not None:
        assert audio_start_us is not None, "the audio needs the UTC of its first sample"
        sound = client.upload_file(audio, audio_type)
        client.link_media(call_id, sound["sha256"], "audio", audio_start_us)


def upload_through_the_outbox(
    client: StoreClient,
    call_id: str,
    call: CallInput,
    segment_dir: Path,
    finished: dict[str, Any],
    outbox_dir: Path,
) -> None:
    """The finished call the way the desktop hands it over: journalled in an outbox (its
    record, the stereo WAV of ``RecordingFinished``, its screen segments), then drained into
    the store by the uploader (Opus packing, ordering, links)."""
    outbox = Outbox(outbox_dir)
    try:
        outbox.add_call(call_id, dict(call))
        outbox.add_audio(
            call_id,
            Path(finished["path"]),
            int(finished["first_sample_utc_us"]),
            int(finished["sample_rate"]),
            int(finished["frames"]),
        )
        for path in sorted(segment_dir.glob("screen-*.json")):
            manifest = read_manifest(path)
            if call_id in manifest.call_ids:
                outbox.add_segment(path, manifest)
        assert Uploader(outbox, client).drain(120), f"not sent: {outbox.pending()}"
    finally:
        outbox.close()


RED, BLUE = (255, 0, 0), (0, 0, 255)


class RootMarker:
    """Paints the Xvfb root window through one open X connection: ~1 ms, no process spawn."""

    def __init__(self, xvfb: XvfbServer) -> None:
        from Xlib import display as xdisplay

        self.display = xdisplay.Display(xvfb.display)
        self.root = self.display.screen().root
        self.colormap = self.display.screen().default_colormap

    def paint(self, rgb: tuple[int, int, int]) -> None:
        pixel = self.colormap.alloc_color(*(c * 257 for c in rgb)).pixel
        self.root.change_attributes(background_pixel=pixel)
        self.root.clear_area(0, 0, 0, 0)
        self.display.sync()

    def marks_with_tones(self, agent: Any, call_id: str, times: int = 3) -> None:
        """The sync measurement's marks: `times` × (the operator's side plays a 1 kHz tone
        into the call while the screen turns red for 0.3 s; 0.5 s of blue)."""
        for _ in range(times):
            agent.call("play_tone", call_id=call_id, freq1=1000)
            self.paint(RED)
            time.sleep(0.3)
            agent.call("stop_playback", call_id=call_id)
            self.paint(BLUE)
            time.sleep(0.5)

    def close(self) -> None:
        self.display.close()


Frames = list[tuple[float, npt.NDArray[np.uint8]]]


def decode_mp4(path: Path) -> tuple[Frames, npt.NDArray[np.float32], int, float]:
    """(video frames as (seconds, rgb), stereo float audio, its rate, its start in seconds)."""
    with av.open(str(path)) as container:
        frames = [
            (float(f.time or 0.0), np.asarray(f.to_ndarray(format="rgb24"), np.uint8))
            for f in container.decode(video=0)
        ]
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate)
        chunks: list[Any] = []
        start = None
        for frame in container.decode(audio=0):
            if start is None:
                start = float(frame.time or 0.0)
            chunks.append(frame.to_ndarray().T)  # fltp: (channels, n) -> (n, channels)
    pcm = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros((0, 2), np.float32)
    return frames, pcm, rate, start or 0.0


def tone_onsets(channel: npt.NDArray[np.float32], rate: int, quiet_s: float = 0.15) -> list[float]:
    """Seconds at which a tone starts after at least ``quiet_s`` of silence (1 ms resolution:
    the envelope of 1 ms windows crossing a quarter of the loudest window)."""
    window = max(1, rate // 1000)
    count = len(channel) // window
    env = np.abs(channel[: count * window]).reshape(count, window).max(axis=1)
    if count == 0 or env.max() <= 0:
        return []
    loud = env > 0.25 * env.max()
    onsets = []
    quiet_run = int(quiet_s * 1000)
    last_loud = -quiet_run - 1
    for i in np.flatnonzero(loud).tolist():
        if i - last_loud > quiet_run:
            onsets.append(i * window / rate)
        last_loud = i
    return onsets


def marker_onsets(frames: Frames, is_marker: Any, point: tuple[int, int]) -> list[float]:
    """Seconds of each frame where the pixel at ``point`` (x, y) turns marker-coloured."""
    onsets = []
    shown = False
    for t, rgb in frames:
        now = bool(is_marker(rgb[point[1], point[0]]))
        if now and not shown:
            onsets.append(t)
        shown = now
    return onsets

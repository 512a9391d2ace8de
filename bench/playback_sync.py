"""QA playback figures: (1) how soon a 10-minute call starts playing when streamed from a real
store with Range requests (and after a seek to its 9th minute); (2) the measured sync of the
exported MP4 — during a real call through Kamailio the operator plays tones while a marker
appears on the recorded screen — at the start and after ``--minutes`` of recording (drift).

    .venv/bin/python bench/playback_sync.py [--minutes 1] [--skip-sync] [--skip-stream]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop.qa.playback.export import export_mp4  # noqa: E402
from desktop.qa.playback.session import PlaybackSession  # noqa: E402
from recorder.segments.config import RecorderConfig  # noqa: E402
from store.client import StoreClient  # noqa: E402
from tests.integration.playback_kit import (  # noqa: E402
    BLUE,
    RootMarker,
    decode_mp4,
    marker_onsets,
    tone_onsets,
    upload_call_as_the_uploader_will,
)
from tests.integration.recorder_kit import RecordingThread  # noqa: E402
from tests.integration.sipkit import PASSWORDS, Agent, connect  # noqa: E402
from tests.servers.kamailio import Kamailio  # noqa: E402
from tests.servers.store import StoreServer  # noqa: E402
from tests.servers.xvfb import XvfbServer  # noqa: E402

USERS = {"alice": "agent", "quinn": "qa"}


def ten_minute_call(folder: Path, minutes: int = 10) -> tuple[Path, list[Path]]:
    """A stereo 16 kHz WAV and 60 s fragmented-MP4 segments (1280×720, 2 fps) with manifests."""
    rate, seconds = 16000, minutes * 60
    t = np.arange(seconds * rate) / rate
    pcm = np.stack([0.2 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)], 1)
    wav = folder / "call.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((pcm * 32767).astype("<i2").tobytes())
    start_us = 1_700_000_000_000_000
    segments = []
    for index in range(minutes):
        path = folder / f"screen-{index:02d}.mp4"
        options = {"movflags": "empty_moov+default_base_moof"}
        with av.open(str(path), "w", format="mp4", options=options) as out:
            stream = out.add_stream("libx264", rate=2)
            stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
            stream.codec_context.options = {"preset": "ultrafast", "g": "1000"}
            for i in range(120):
                img = np.full((720, 1280, 3), 235, np.uint8)
                img[100 + 40 * index : 140 + 40 * index, (i * 9) % 1200 : (i * 9) % 1200 + 80] = 90
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts, frame.time_base = i, Fraction(1, 2)
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        begin = start_us + index * 60_000_000
        manifest = {
            "file": path.name,
            "call_ids": ["c"],
            "utc_start_us": begin,
            "utc_end_us": begin + 60_000_000,
            "masked_periods": [],
        }
        path.with_suffix(".json").write_text(json.dumps(manifest))
        segments.append(path)
    return wav, segments


def bench_stream(tmp: Path) -> None:
    wav, _ = ten_minute_call(tmp)
    server = StoreServer(tmp / "store", None, dict(USERS), ["--max-upload-mb", "200"])
    server.start()
    try:
        alice = StoreClient(server.base_url, server.tokens["alice"])
        quinn = StoreClient(server.base_url, server.tokens["quinn"])
        call_id = uuid.uuid4().hex
        start = 1_700_000_000_000_000
        for manifest in tmp.glob("screen-*.json"):
            doc = json.loads(manifest.read_text())
            doc["call_ids"] = [call_id]
            manifest.write_text(json.dumps(doc))
        call = {
            "agent": "alice",
            "direction": "inbound",
            "started_us": start,
            "answered_us": start,
            "ended_us": start + 600_000_000,
        }
        upload_call_as_the_uploader_will(alice, call_id, call, tmp, wav, "audio/wav", start)
        for _ in range(3):
            t0 = time.perf_counter()
            session = PlaybackSession.open(quinn, call_id, sound=False)
            assert session.audio is not None
            session.audio.wait(session.audio.rate // 2, timeout=10)
            while session.frame() is None:
                time.sleep(0.001)
            ready = time.perf_counter() - t0
            t1 = time.perf_counter()
            target = start + 9 * 60_000_000 + 30_000_000
            session.seek(target)
            while (f := session.frame()) is None or f.utc_us < target - 1_000_000:
                time.sleep(0.001)
            seek = time.perf_counter() - t1
            print(
                f"stream: 10-min call (WAV {wav.stat().st_size / 1e6:.1f} MB, 10 segments): "
                f"first audio + frame after {ready * 1000:.0f} ms; seek to 09:30 shows after "
                f"{seek * 1000:.0f} ms"
            )
            session.close()
    finally:
        server.stop()


def bench_sync(tmp: Path, minutes: float) -> None:
    kam = Kamailio(dict(PASSWORDS))
    kam.start()
    server = StoreServer(tmp / "store2", None, dict(USERS), ["--max-upload-mb", "500"])
    server.start()
    xvfb = XvfbServer(640, 360)
    xvfb.start()
    alice = bob = None
    try:
        alice = Agent(kam, "alice", recording_dir=str(tmp / "audio"))
        bob = Agent(kam, "bob")
        alice.wait_registered()
        bob.wait_registered()
        call_id = uuid.uuid4().hex
        marker = RootMarker(xvfb)
        marker.paint(BLUE)
        config = RecorderConfig(
            out_dir=tmp / "screen", display=xvfb.display, fps=100.0, call_ids=[call_id]
        )
        recording = RecordingThread(config, seconds=minutes * 60 + 120)
        a_call = connect(bob, alice)[1]
        alice.wait("RecordingStarted", call_id=a_call)

        time.sleep(0.5)
        marker.marks_with_tones(alice, a_call)
        time.sleep(max(0.0, minutes * 60 - 3))
        marker.marks_with_tones(alice, a_call)
        alice.call("hangup", call_id=a_call)
        record = alice.wait("CallEnded", call_id=a_call)["record"]
        done = alice.wait("RecordingFinished", call_id=a_call, timeout=60)
        recording.recorder.stop()
        recording.join(60)
        marker.close()
        client = StoreClient(server.base_url, server.tokens["alice"])
        call = {
            "agent": "alice",
            "direction": "inbound",
            "started_us": record["ring_at_us"],
            "answered_us": record["answer_at_us"],
            "ended_us": record["end_at_us"],
        }
        upload_call_as_the_uploader_will(
            client,
            call_id,
            call,
            tmp / "screen",
            Path(done["path"]),
            "audio/wav",
            done["first_sample_utc_us"],
        )
        out = tmp / "dispute.mp4"
        quinn = StoreClient(server.base_url, server.tokens["quinn"])
        t0 = time.perf_counter()
        export_mp4(quinn, call_id, out, exported_by="quinn")
        took = time.perf_counter() - t0
        frames, pcm, rate, _ = decode_mp4(out)
        video = marker_onsets(frames, lambda p: p[0] > 200 and p[2] < 60, (320, 180))
        tones = tone_onsets(pcm[:, 0], rate)
        offsets = [round((v - a) * 1000, 1) for v, a in zip(video, tones, strict=False)]
        print(
            f"sync: {len(video)} markers, {len(tones)} tones; marker − tone onset (ms) at the "
            f"start {offsets[:3]}, after {minutes:g} min {offsets[3:]}"
        )
        print(f"export: {out.stat().st_size / 1e6:.1f} MB in {took:.1f} s")
    finally:
        for agent in (alice, bob):
            if agent is not None:
                agent.close()
        xvfb.stop()
        server.stop()
        kam.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="recording length for drift")
    parser.add_argument("--skip-sync", action="store_true")
    parser.add_argument("--skip-stream", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_stream:
            (Path(tmp) / "s").mkdir()
            bench_stream(Path(tmp) / "s")
        if not args.skip_sync:
            (Path(tmp) / "y").mkdir()
            bench_sync(Path(tmp) / "y", args.minutes)


if __name__ == "__main__":
    main()

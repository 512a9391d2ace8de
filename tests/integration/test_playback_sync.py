"""Measured sync, end to end: during a real call through Kamailio the operator's softphone
plays a short tone into the call while a marker appears on the recorded screen (real Xvfb,
the real recorder), once before and twice after the operator holds the call for 2 s; after the
upload, in the exported MP4 each tone's onset and its marker's first frame differ by at most
40 ms (a hold must not shift the audio that follows it)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.qa.playback.export import export_mp4
from recorder.segments.config import RecorderConfig
from tests.integration.playback_kit import (
    BLUE,
    RootMarker,
    decode_mp4,
    marker_onsets,
    sqlite_store,
    tone_onsets,
    upload_through_the_outbox,
)
from tests.integration.recorder_kit import RecordingThread, require_xvfb
from tests.integration.sipkit import connect
from tests.integration.store_kit import Store
from tests.servers.xvfb import XvfbServer

pytestmark = pytest.mark.integration
__all__ = ["sqlite_store"]

MAX_OFFSET_MS = 40
# 100 grabs a second on a small screen: a marker waits at most 10 ms for the next grab (a
# tone waits up to 20 ms for the next tick of the conference bridge).
FPS = 100.0


@pytest.fixture(scope="module")
def small_screen() -> Iterator[XvfbServer]:
    require_xvfb()
    with XvfbServer(640, 360) as server:
        yield server


def test_tone_and_screen_marker_line_up_in_the_exported_mp4(
    agents, sqlite_store: Store, small_screen: XvfbServer, tmp_path: Path
) -> None:
    alice = agents("alice", recording_dir=str(tmp_path / "audio"))  # the operator
    bob = agents("bob")  # the customer
    call_id = uuid.uuid4().hex
    marker = RootMarker(small_screen)
    marker.paint(BLUE)
    config = RecorderConfig(
        out_dir=tmp_path / "screen", display=small_screen.display, fps=FPS, call_ids=[call_id]
    )
    recording = RecordingThread(config, seconds=30.0)
    time.sleep(0.5)  # pre-roll before the call rings
    a_call, _ = connect(bob, alice)[::-1]
    alice.wait("RecordingStarted", call_id=a_call)
    time.sleep(0.5)
    marker.marks_with_tones(alice, a_call, times=1)
    held_us = time.time_ns() // 1000
    alice.call("hold", call_id=a_call)
    alice.wait("CallMediaChanged", call_id=a_call, media="local_hold", after_us=held_us)
    time.sleep(2.0)
    alice.call("resume", call_id=a_call)
    alice.wait("CallMediaChanged", call_id=a_call, media="active", after_us=held_us)
    time.sleep(0.3)
    marker.marks_with_tones(alice, a_call, times=2)
    alice.call("hangup", call_id=a_call)
    record = alice.wait("CallEnded", call_id=a_call)["record"]
    done = alice.wait("RecordingFinished", call_id=a_call)
    time.sleep(0.5)  # wrap-up after the hang-up
    recording.recorder.stop()
    recording.join()
    marker.close()

    call = {
        "agent": "alice",
        "direction": "inbound",
        "remote_number": "bob",
        "sip_call_id": record["sip_call_id"],
        "started_us": record["ring_at_us"],
        "answered_us": record["answer_at_us"],
        "ended_us": record["end_at_us"],
    }
    upload_through_the_outbox(
        sqlite_store.alice, call_id, call, tmp_path / "screen", done, tmp_path / "outbox"
    )
    links = {m["kind"]: m["content_type"] for m in sqlite_store.quinn.get_call(call_id)["media"]}
    assert links == {"audio": "audio/ogg", "screen": "video/mp4", "data": "application/json"}
    out = tmp_path / "dispute.mp4"
    export_mp4(sqlite_store.quinn, call_id, out, exported_by="quinn")

    frames, pcm, rate, _ = decode_mp4(out)
    video = marker_onsets(frames, lambda p: p[0] > 200 and p[2] < 60, (320, 180))
    tones = tone_onsets(pcm[:, 0], rate)  # the operator's side
    assert len(video) == 3 and len(tones) == 3, (video, tones)
    offsets_ms = [round((v - a) * 1000, 1) for v, a in zip(video, tones, strict=True)]
    print("marker minus tone onset, ms:", offsets_ms)
    assert max(abs(o) for o in offsets_ms) <= MAX_OFFSET_MS, offsets_ms

"""The outbox's journal and order, crash recovery of its files, audio packing, the rate cap."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import threading
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np

from formats.manifest import COMPLETE, Manifest, read_manifest, write_manifest
from recorder.outbox.audio_pack import pack_opus
from recorder.outbox.bandwidth import RateLimit
from recorder.outbox.journal import Outbox
from recorder.outbox.recovery import recover_call_audio, recover_outbox, repair_wav

ROOT = Path(__file__).resolve().parents[2]


def make_segment(folder: Path, name: str, call_ids: list[str], size: int = 5000) -> Path:
    """A finished segment as the recorder leaves it: media bytes and a manifest naming them."""
    data = os.urandom(size)
    (folder / f"{name}.mp4").write_bytes(data)
    manifest = Manifest(
        id=name,
        file=f"{name}.mp4",
        status=COMPLETE,
        call_ids=call_ids,
        utc_start_us=1_000,
        utc_end_us=2_000,
        width=64,
        height=48,
        fps=5.0,
        layout={},
        bytes=size,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    path = folder / f"{name}.json"
    write_manifest(path, manifest)
    return path


def write_wav(path: Path, pcm: np.ndarray, rate: int = 16000) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(pcm.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.astype("<i2").tobytes())


def drain_order(outbox: Outbox, hold: Any = lambda _c: False) -> list[str]:
    sent = []
    while (item := outbox.claim(hold)) is not None:
        sent.append(f"{item.kind}:{item.key or item.body}")
        outbox.done(item)
    return sent


def test_a_call_goes_after_its_media_and_before_its_links_and_patches(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    out.mkdir()
    box = Outbox(tmp_path / "outbox")
    box.add_call("c1", {"agent": "alice", "direction": "inbound", "started_us": 1})
    box.add_patch("c1", {"disposition": "sale"})
    box.add_patch("c1", {"karma": 1})
    box.add_state("alice", "ready", None, 5)
    manifest_path = make_segment(out, "screen-1", ["c1"])
    box.add_segment(manifest_path, read_manifest(manifest_path))
    assert not (out / "screen-1.mp4").exists() and (box.spool / "screen-1.mp4").exists()

    # While the call's window may still add segments, its record waits; the rest goes.
    held = drain_order(box, hold=lambda c: c == "c1")
    assert held == [
        "state:{'agent': 'alice', 'state': 'ready', 'reason': None, 'at_us': 5}",
        "media:screen:screen-1",
    ]
    assert not (box.spool / "screen-1.mp4").exists(), "a confirmed file leaves the spool"
    rest = drain_order(box)
    assert rest[0] == "call:call:c1"
    assert rest[1:] == [
        "patch:{'disposition': 'sale'}",
        "patch:{'karma': 1}",
        "link:link:c1:screen:screen-1",
    ] or rest[1:] == [
        "link:link:c1:screen:screen-1",
        "patch:{'disposition': 'sale'}",
        "patch:{'karma': 1}",
    ]
    assert box.status()["items"] == 0
    # Added again after a restart: known by its key, not sent twice.
    make_segment(out, "screen-1", ["c1"])
    again = out / "screen-1.json"
    assert box.add_segment(again, read_manifest(again)) is False


def test_status_counts_pending_bytes_against_the_quota(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox", quota_bytes=8000)
    for name in ("a", "b"):
        path = make_segment(tmp_path, name, [], size=5000)
        box.add_segment(path, read_manifest(path))
    state = box.status()
    assert state["items"] == 2 and state["bytes"] == 10000
    assert state["over_quota"] and "full" in state["warning"]
    assert state["oldest_us"] is not None


_ADDER = """
import sys
import threading
from pathlib import Path
from recorder.outbox.journal import Outbox
box = Outbox(Path(sys.argv[1]))
for i in range(200):
    box.add_state("alice", "ready", str(i), i)
"""


def test_two_processes_share_the_outbox(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox")
    adder = subprocess.Popen([sys.executable, "-c", _ADDER, str(tmp_path / "outbox")], cwd=ROOT)
    seen: list[int] = []
    try:
        while adder.poll() is None or box.status()["items"]:
            item = box.claim()
            if item is not None:
                seen.append(item.body["at_us"])
                box.done(item)
    finally:
        adder.wait(30)
    assert adder.returncode == 0
    assert seen == list(range(200)), "every state once, in the order they were added"


def test_recovery_repairs_headers_merges_sides_and_readds_orphans(tmp_path: Path) -> None:
    rec = tmp_path / "calls"
    rec.mkdir()
    box = Outbox(tmp_path / "outbox")
    # A call cut by a crash: two mono sides whose headers were never finalised.
    rng = np.random.default_rng(3)
    sides = {}
    for side in ("operator", "customer"):
        pcm = rng.integers(-3000, 3000, size=(16000, 1))
        path = rec / f"c9.{side}.wav"
        write_wav(path, pcm)
        with open(path, "r+b") as fh:  # what pjmedia leaves: sizes still zero
            fh.seek(4)
            fh.write(struct.pack("<I", 0))
            fh.seek(40)
            fh.write(struct.pack("<I", 0))
        sides[side] = pcm
    meta = {
        "call_id": "c9",
        "first_sample_utc_us": 123,
        "sample_rate": 16000,
        "operator_wav": "c9.operator.wav",
        "customer_wav": "c9.customer.wav",
        "stereo_wav": "c9.wav",
        "finished": False,
    }
    (rec / "c9.json").write_text(json.dumps(meta))
    assert recover_call_audio(rec, box) == ["c9"]
    with wave.open(str(box.spool / "c9.wav")) as merged:
        assert merged.getnchannels() == 2 and merged.getnframes() == 16000
        frames = np.frombuffer(merged.readframes(16000), "<i2").reshape(-1, 2)
    assert np.array_equal(frames[:, 0], sides["operator"][:, 0])
    assert np.array_equal(frames[:, 1], sides["customer"][:, 0])
    # A segment moved into the spool by a process that died before journalling it.
    make_segment(box.spool, "screen-7", ["c9"])
    found = recover_outbox(box)
    assert found["readded"] == 1
    keys = {i.key for i in box.pending()}
    assert {"audio:c9", "screen:screen-7", "link:c9:screen:screen-7", "link:c9:audio:c9"} <= keys


def test_repair_wav_cuts_to_whole_frames(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    write_wav(path, np.zeros((100, 2)))
    with open(path, "ab") as fh:
        fh.write(b"\x01\x02\x03")  # a half frame written when the process died
    with open(path, "r+b") as fh:
        fh.seek(40)
        fh.write(struct.pack("<I", 0))
    assert repair_wav(path)
    with wave.open(str(path)) as reader:
        assert reader.getnframes() == 100
    assert not repair_wav(path), "a finalised header is left alone"


def test_pack_opus_keeps_both_channels_and_the_start_time(tmp_path: Path) -> None:
    rate = 16000
    t = np.arange(rate * 3) / rate
    left = np.sin(2 * np.pi * 440 * t) * 8000
    pcm = np.stack([left, np.zeros_like(left)], axis=1)
    write_wav(tmp_path / "c.wav", pcm)
    packed = pack_opus(tmp_path / "c.wav", tmp_path / "c.ogg", call_id="c", first_sample_utc_us=77)
    assert packed.sha256 == hashlib.sha256((tmp_path / "c.ogg").read_bytes()).hexdigest()
    assert packed.bytes < (tmp_path / "c.wav").stat().st_size / 8
    with av.open(str(tmp_path / "c.ogg")) as container:
        stream = container.streams.audio[0]
        assert stream.metadata["AGENTDESK_FIRST_SAMPLE_UTC_US"] == "77"
        assert stream.codec_context.name == "opus"
        decoded = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
    assert decoded.shape[0] == 2
    duration = decoded.shape[1] / 48000
    assert abs(duration - 3.0) < 0.05
    louder = np.sqrt(np.mean(decoded[0] ** 2))
    quieter = np.sqrt(np.mean(decoded[1] ** 2))
    assert louder > 0.1 and quieter < louder / 50, "the channels stay apart"


def test_rate_limit_paces_bytes_by_its_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(80, clock=lambda: now[0], sleep=sleep)  # 10,000 bytes/s
    for _ in range(10):
        limit.take(16_384)
    # 163,840 bytes at 10 kB/s after a 16 KiB burst: about 14.7 s.
    assert abs(now[0] - (163_840 - 16_384) / 10_000) < 0.01
    unlimited = RateLimit(0, clock=lambda: 0.0, sleep=sleep)
    count = len(slept)
    unlimited.take(10**9)
    assert len(slept) == count


def test_a_segment_carries_its_manifest_and_notes_its_hash(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox")
    path = make_segment(tmp_path, "screen-3", ["c3"])
    box.add_segment(path, read_manifest(path))
    item = box.claim()
    assert item is not None and item.media == "screen"
    assert item.files == ["screen-3.mp4", "screen-3.json"]
    assert item.body["manifest"] == "screen-3.json"
    assert json.loads((box.spool / item.body["manifest"]).read_text())["id"] == "screen-3"
    box.note(item, manifest_sha256="ab" * 32)
    sha, body = box.media_info("screen:screen-3")
    assert sha == item.sha256 and body["manifest_sha256"] == "ab" * 32
    assert body["content_type"] == "video/mp4", "a note keeps the rest of the body"
    box.done(item)
    assert not (box.spool / "screen-3.json").exists(), "the manifest leaves with its segment"


def test_hold_is_asked_outside_the_outbox_lock(tmp_path: Path) -> None:
    """The worker's ``hold`` takes the worker's lock, under which another thread journals
    segments: while ``hold`` runs, the outbox must stay usable from other threads."""
    box = Outbox(tmp_path / "outbox")
    box.add_call("c4", {"agent": "alice", "direction": "inbound", "started_us": 1})
    answered: list[int] = []
    in_time: list[bool] = []

    def hold(_call_id: str) -> bool:
        other = threading.Thread(target=lambda: answered.append(box.status()["items"]))
        other.start()
        other.join(3)
        in_time.append(not other.is_alive())
        return False

    item = box.claim(hold)
    assert in_time == [True], "another thread could not use the outbox while hold ran"
    assert answered == [1]
    assert item is not None and item.key == "call:c4"

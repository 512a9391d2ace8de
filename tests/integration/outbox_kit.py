"""Helpers for the outbox and uploader tests: a store on loopback for one agent, and what a
busy operator leaves to upload (screen segments, call audio, call records, agent states)."""

from __future__ import annotations

import hashlib
import os
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from desktop.qa.playback.timeline import build_timeline
from formats.manifest import (
    COMPLETE,
    MANIFEST_TYPE,
    Manifest,
    MaskedPeriod,
    parse_manifest,
    read_manifest,
    write_manifest,
)
from recorder.outbox.journal import Outbox
from store.client import StoreClient
from store.client_types import Call
from tests.servers.store import StoreServer

AGENT = "alice"
BASE_US = 1_700_000_000_000_000


@pytest.fixture(scope="module")
def store_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    server = StoreServer(tmp_path_factory.mktemp("store"), users={AGENT: "agent", "ada": "admin"})
    with server:
        yield server


@dataclass
class Sent:
    """What the test put in the outbox, to compare with what the store has."""

    segments: dict[str, bytes] = field(default_factory=dict)  # sha256 → bytes
    calls: dict[str, dict[str, object]] = field(default_factory=dict)
    segment_calls: dict[str, list[str]] = field(default_factory=dict)  # sha256 → call ids
    audio_calls: list[str] = field(default_factory=list)
    states: list[tuple[str, int]] = field(default_factory=list)


def write_segment(
    folder: Path, index: int, call_ids: list[str], size: int, base_us: int = BASE_US
) -> tuple[Path, bytes]:
    data = os.urandom(size)
    name = f"screen-t{index:04d}"
    (folder / f"{name}.mp4").write_bytes(data)
    start = base_us + index * 10_000_000
    manifest = Manifest(
        id=f"seg-{index}-{os.urandom(4).hex()}",
        file=f"{name}.mp4",
        status=COMPLETE,
        call_ids=call_ids,
        utc_start_us=start,
        utc_end_us=start + 10_000_000,
        width=64,
        height=48,
        fps=5.0,
        layout={},
        bytes=size,
        sha256=hashlib.sha256(data).hexdigest(),
        masked_periods=[MaskedPeriod(start + 2_000_000, start + 3_000_000, [(0, 0, 8, 8)])],
    )
    path = folder / f"{name}.json"
    write_manifest(path, manifest)
    return path, data


def write_call_wav(folder: Path, call_id: str, seconds: float, rate: int = 16000) -> Path:
    """A stereo call recording with a speech-like tone on each side, and its sidecar."""
    t = np.arange(int(seconds * rate)) / rate
    left = np.sin(2 * np.pi * 300 * t) * np.sin(2 * np.pi * 2 * t) * 6000
    right = np.sin(2 * np.pi * 500 * t) * np.cos(2 * np.pi * 3 * t) * 6000
    path = folder / f"{call_id}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.stack([left, right], axis=1).astype("<i2").tobytes())
    return path


def call_record(index: int, base_us: int = BASE_US) -> dict[str, object]:
    start = base_us + index * 10_000_000
    return {
        "agent": AGENT,
        "direction": "inbound",
        "remote_number": f"+7912555{index:04d}",
        "started_us": start,
        "answered_us": start + 2_000_000,
        "ended_us": start + 9_000_000,
        "ended_by": "remote",
        "events": [{"at_us": start, "kind": "ringing", "detail": ""}],
    }


def fill_outbox(
    outbox: Outbox, src: Path, *, calls: int, segments: int, seg_bytes: int, audio_s: float
) -> Sent:
    """Calls with audio and metadata, segments linked to them, a state per call."""
    sent = Sent()
    base_us = BASE_US + int.from_bytes(os.urandom(2)) * 1_000_000  # apart from other tests
    src.mkdir(parents=True, exist_ok=True)
    ids = [f"call-{i}-{os.urandom(3).hex()}" for i in range(calls)]
    for i in range(segments):
        owners = [ids[i % calls]] if calls else []
        path, data = write_segment(src, i, owners, seg_bytes + i * 17, base_us)
        sha = hashlib.sha256(data).hexdigest()
        sent.segments[sha] = data
        sent.segment_calls[sha] = owners
        outbox.add_segment(path, read_manifest(path))
    for i, call_id in enumerate(ids):
        record = call_record(i, base_us)
        sent.calls[call_id] = record
        outbox.add_call(call_id, record)
        wav = write_call_wav(src, call_id, audio_s)
        frames = int(audio_s * 16000)
        outbox.add_audio(call_id, wav, int(str(record["started_us"])) + 2_000_000, 16000, frames)
        sent.audio_calls.append(call_id)
        outbox.add_patch(call_id, {"disposition": "resolved", "karma": 1})
        at = base_us + i * 10_000_000 + 9_500_000
        outbox.add_state(AGENT, "wrap_up", None, at)
        sent.states.append(("wrap_up", at))
    return sent


def check_manifests(client: StoreClient, call_id: str, call: Call, screens: set[str]) -> None:
    """Each segment's manifest is linked as QA playback reads it: JSON ``data`` over the
    segment's span, naming the segment; its masked periods become the timeline's bands."""
    manifests = []
    for link in call["media"]:
        if link["kind"] == "data" and link["content_type"] == MANIFEST_TYPE:
            manifest = parse_manifest(client.download(link["sha256"]))
            assert (link["start_us"], link["end_us"]) == (
                manifest.utc_start_us,
                manifest.utc_end_us,
            )
            manifests.append(manifest)
    assert {m.sha256 for m in manifests} == screens, f"{call_id}: manifests"
    masked = [b for b in build_timeline(dict(call), manifests).bands if b.kind == "masked"]
    assert len(masked) == len(screens)


def check_store(client: StoreClient, sent: Sent) -> None:
    """Everything sent is in the store once, byte-identical, and every call is complete."""
    for sha, data in sent.segments.items():
        assert client.download(sha) == data, f"segment {sha[:12]} differs"
    for call_id, record in sent.calls.items():
        call = client.get_call(call_id)
        assert call["remote_number"] == record["remote_number"]
        assert call["disposition"] == "resolved" and call["karma"] == 1
        shas = [m["sha256"] for m in call["media"]]
        assert len(shas) == len(set(shas)), f"{call_id}: a medium linked twice"
        screens = {m["sha256"] for m in call["media"] if m["kind"] == "screen"}
        expected = {s for s, owners in sent.segment_calls.items() if call_id in owners}
        assert screens == expected, f"{call_id}: segments {screens} != {expected}"
        check_manifests(client, call_id, call, expected)
        audio = [m for m in call["media"] if m["kind"] == "audio"]
        assert len(audio) == 1 and audio[0]["content_type"] == "audio/ogg"
        assert audio[0]["start_us"] == int(str(record["started_us"])) + 2_000_000
        assert call["has_screen"] == bool(expected)

"""Playback pieces without a store: the timeline from a call document, silence bands, the
audio mix (speed, balance), the wall clock, and Range reads with read-ahead and a cache."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from desktop.qa.playback.clock import WallClock
from desktop.qa.playback.source import RangeReader
from desktop.qa.playback.timeline import TimelineError, build_timeline, silence_bands
from formats.manifest import COMPLETE, Manifest, MaskedPeriod

SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64


def link(sha, kind, ctype, start, end=None, size=10):
    return {
        "sha256": sha,
        "kind": kind,
        "content_type": ctype,
        "start_us": start,
        "end_us": end,
        "size": size,
        "deleted": False,
    }


def call_doc(**extra):
    return {
        "id": "c1",
        "started_us": 10_000_000,
        "answered_us": 12_000_000,
        "ended_us": 40_000_000,
        "ended_by": "remote",
        "holds": [{"start_us": 20_000_000, "end_us": 25_000_000}],
        "transfers": [],
        "events": [{"at_us": 15_000_000, "kind": "dtmf", "detail": "5"}],
        "card": {"reason": {"value": "refund", "changed_us": 30_000_000}},
        "media": [
            link(SHA_A, "screen", "video/mp4", 5_000_000, 30_000_000),
            link(SHA_B, "screen", "video/mp4", 30_000_000, 45_000_000),
            link(SHA_C, "audio", "audio/ogg", 11_000_000),
        ],
        **extra,
    }


def test_timeline_spans_preroll_and_wrap_up_with_every_event():
    manifests = [
        Manifest(
            id="s1",
            file="screen-a.mp4",
            status=COMPLETE,
            utc_start_us=5_000_000,
            utc_end_us=30_000_000,
            width=64,
            height=48,
            fps=5.0,
            layout={},
            sha256=SHA_A,
            masked_periods=[MaskedPeriod(26_000_000, 28_000_000, [(0, 0, 10, 10)])],
        )
    ]
    tl = build_timeline(call_doc(), manifests)
    assert (tl.start_us, tl.end_us) == (5_000_000, 45_000_000)  # pre-roll … wrap-up
    kinds = [(m.at_us // 1_000_000, m.kind) for m in tl.marks]
    assert kinds == [
        (10, "ring"),
        (12, "answer"),
        (15, "dtmf"),
        (20, "hold"),
        (25, "unhold"),
        (30, "card"),
        (40, "hangup"),
    ]
    assert [(b.kind, b.start_us) for b in tl.bands] == [
        ("hold", 20_000_000),
        ("masked", 26_000_000),
    ]
    assert tl.audio is not None and tl.audio.start_us == 11_000_000
    assert tl.screen_at(30_000_000).sha256 == SHA_B  # the later segment on a shared boundary
    assert tl.screen_at(4_000_000) is None
    assert tl.position_ms(12_000_000) == 7000 and tl.utc_at(7000) == 12_000_000


def test_audio_without_a_start_time_is_refused_by_name():
    doc = call_doc(media=[link(SHA_C, "audio", "audio/wav", None)])
    with pytest.raises(TimelineError, match="no start time"):
        build_timeline(doc, [])


def test_silence_bands_find_quiet_stretches_only():
    rate = 1000
    pcm = np.zeros((5 * rate, 2), np.float32)
    pcm[:rate, 0] = 0.5  # loud 0-1 s, then quiet 1-5 s
    pcm[3 * rate : int(3.5 * rate), 1] = 0.5  # loud again 3-3.5 s
    bands = silence_bands(pcm, rate, start_us=1_000_000, min_s=1.0)
    assert [(b.start_us, b.end_us) for b in bands] == [
        (2_000_000, 4_000_000),
        (4_500_000, 6_000_000),
    ]


def test_wall_clock_plays_pauses_seeks_and_changes_speed():
    clock = WallClock(1_000_000)
    assert clock.position_us() == 1_000_000 and not clock.playing
    clock.speed = 2.0
    clock.play()
    time.sleep(0.05)
    clock.pause()
    moved = clock.position_us() - 1_000_000
    assert moved >= 100_000  # at least 2 × the 50 ms slept
    time.sleep(0.02)
    assert clock.position_us() - 1_000_000 == moved  # paused: stands still
    clock.seek(5_000_000)
    assert clock.position_us() == 5_000_000
    clock.speed = 9.0
    assert clock.speed == 2.0  # at most 2×


class FakeStore:
    """The store's download with Range, counting requests (the boundary of RangeReader)."""

    def __init__(self, data: bytes):
        self.data = data
        self.ranges: list[tuple[int, int]] = []

    def download(self, sha256, start=None, end=None):
        self.ranges.append((start, end))
        return self.data[start : end + 1]


def test_range_reader_reads_seeks_reads_ahead_and_caches():
    data = bytes(range(256)) * 40  # 10,240 bytes
    store = FakeStore(data)
    reader = RangeReader(store, SHA_A, len(data), block=1024, cache_blocks=4, read_ahead=2)  # type: ignore[arg-type]
    try:
        assert reader.read(10) == data[:10]
        reader.seek(-100, io.SEEK_END)
        assert reader.read(500) == data[-100:]  # clipped at the end
        reader.seek(1000)
        assert reader.read(100) == data[1000:1100]  # across two blocks
        deadline = time.monotonic() + 2
        while len(store.ranges) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (2048, 3071) in store.ranges  # read ahead of block 1
        before = len(store.ranges)
        reader.seek(1024)
        assert reader.read(10) == data[1024:1034]
        assert len(store.ranges) == before  # from the cache
        assert all(b - a < 1024 for a, b in store.ranges)
    finally:
        reader.close()
    with pytest.raises(ValueError, match="before the start"):
        reader.seek(-1)

"""The live screen's pieces without a display: the frame format (one writer, one reader, clear
refusals), merging changed tiles, and the publisher's key frames, deltas and stops (the store
is the boundary: ``send`` records the bodies)."""

from __future__ import annotations

import threading
import time

import av
import numpy as np
import numpy.typing as npt
import pytest

from formats.screen_live import LiveFrame, LiveFrameError, LivePart, read_frame, write_frame
from recorder.capture.geometry import Rect
from recorder.live.pictures import jpeg, merge
from recorder.live.publisher import LivePublisher


def rgb_of(data: bytes) -> npt.NDArray[np.uint8]:
    frames = av.CodecContext.create("mjpeg", "r").decode(av.Packet(data))
    return np.asarray(frames[0].to_ndarray(format="rgb24"), dtype=np.uint8)


def screen(width: int = 320, height: int = 200) -> npt.NDArray[np.uint8]:
    bgra = np.zeros((height, width, 4), np.uint8)
    bgra[..., :3] = 60
    return bgra


def test_a_frame_reads_back_as_written_and_bad_ones_are_named() -> None:
    picture = screen(64, 48)
    part = LivePart(0, 0, 64, 48, jpeg(picture))
    frame = LiveFrame(123, True, 64, 48, (part, LivePart(10, 10, 6, 5, jpeg(picture[:5, :6]))))
    data = write_frame(frame)
    assert read_frame(data) == frame
    assert rgb_of(part.jpeg).shape == (48, 64, 3)
    outside = write_frame(LiveFrame(1, False, 64, 48, (LivePart(60, 0, 8, 8, part.jpeg),)))
    cases = {
        b"NOTLIVE1" + data[8:]: "does not start with",
        data + b"x": "1 bytes after the last part",
        outside: "part 0 lies outside the 64x48 picture",
        data[:-10]: "part 1 is not a whole JPEG",
    }
    for bad, words in cases.items():
        with pytest.raises(LiveFrameError, match=words):
            read_frame(bad)


def test_near_tiles_merge_and_far_ones_stay_apart() -> None:
    tiles = [Rect(0, 0, 32, 32), Rect(32, 0, 32, 32), Rect(64, 32, 32, 32), Rect(600, 400, 32, 32)]
    merged = merge(tiles)
    assert sorted(merged) == [Rect(0, 0, 96, 64), Rect(600, 400, 32, 32)]
    for tile in tiles:  # every changed pixel is in one of them
        assert any(tile.intersect(m) == tile for m in merged)


class Store:
    """The boundary: records the bodies and answers as told."""

    def __init__(self) -> None:
        self.frames: list[LiveFrame] = []
        self.answer: bool | Exception = True
        self.sent = threading.Event()

    def send(self, data: bytes) -> bool:
        if isinstance(self.answer, Exception):
            raise self.answer
        self.frames.append(read_frame(data))
        self.sent.set()
        return self.answer


def wait_sent(store: Store, count: int) -> LiveFrame:
    deadline = time.monotonic() + 5
    while len(store.frames) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(store.frames) >= count, f"{len(store.frames)} frames sent, not {count}"
    return store.frames[count - 1]


def test_the_publisher_sends_only_while_watched_a_key_frame_first() -> None:
    store = Store()
    publisher = LivePublisher(store.send, interval_s=0.02)
    publisher.start()
    try:
        picture = screen()
        publisher.offer(picture, [Rect(0, 0, 320, 200)], 1)
        time.sleep(0.1)
        assert store.frames == [] and publisher.stats.bytes == 0  # nobody watches
        publisher.watch(True)
        publisher.offer(picture, [], 2)  # nothing changed, but a watch starts with the picture
        key = wait_sent(store, 1)
        assert key.key and [(p.x, p.y, p.w, p.h) for p in key.parts] == [(0, 0, 320, 200)]
        picture[40:72, 64:96, :3] = (0, 0, 255)  # a red square (BGRA)
        publisher.offer(picture, [Rect(64, 40, 32, 32)], 3)
        change = wait_sent(store, 2)
        assert not change.key and change.utc_us == 3
        [part] = change.parts
        assert (part.x, part.y, part.w, part.h) == (64, 40, 32, 32)
        red = rgb_of(part.jpeg)[16, 16].astype(int)
        assert red[0] > 200 and red[1] < 50 and red[2] < 50
        # A failed send: the next frame is a key frame again (a viewer must miss nothing).
        store.answer = ConnectionError("store down")
        publisher.offer(picture, [Rect(0, 0, 32, 32)], 4)
        deadline = time.monotonic() + 5
        while publisher.stats.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        store.answer = True
        publisher.offer(picture, [Rect(0, 0, 32, 32)], 5)
        assert wait_sent(store, 3).key
        # The store says nobody watches any more: the publisher stops by itself.
        store.answer = False
        publisher.offer(picture, [Rect(0, 0, 32, 32)], 6)
        wait_sent(store, 4)
        deadline = time.monotonic() + 5
        while publisher.watching and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not publisher.watching
        publisher.offer(picture, [Rect(0, 0, 32, 32)], 7)
        time.sleep(0.1)
        assert len(store.frames) == 4
    finally:
        publisher.stop()

"""While — and only while — a supervisor watches, the recorder's picture goes to the store.

The capture loop hands every tick's picture (masks and pauses already black: the recorded
picture, see recorder/segments/pipeline.py) and the rectangles that changed to :meth:`offer`;
when nobody watches that is one attribute read. While watched, the changed pixels are copied
into a picture of their own and the publishing thread sends, every ``interval_s``, one live
frame (formats/screen_live.py) of what changed since the last one, merged and JPEG-compressed.
The first frame of a watch is a key frame (the whole screen); so is the next one after a send
failed (a viewer must not miss a change), after the picture's size changed, and once the deltas
since the last key frame outweigh it (a new watcher starts from the store's latest key frame
and replays the deltas after it, so those stay bounded).

``send(data) -> bool`` posts a frame and returns whether the agent is still watched (the
store's answer): when it says no, the publisher stops at once, without waiting for the
desktop's next presence answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from formats.screen_live import LiveFrame, write_frame
from recorder.capture.geometry import Rect
from recorder.live.pictures import merge, part

log = logging.getLogger(__name__)

INTERVAL_S = 0.4
KEY_REFRESH = 3.0  # a new key frame once the deltas since the last one weigh this many times it
Send = Callable[[bytes], bool]


@dataclass
class LiveStats:
    frames: int = 0
    key_frames: int = 0
    bytes: int = 0  # bodies sent
    failures: int = 0
    encode_s: float = 0.0  # CPU spent compressing (the publishing thread)


class LivePublisher:
    """See the module docstring; ``offer`` from the capture thread, the rest from any."""

    def __init__(self, send: Send, interval_s: float = INTERVAL_S) -> None:
        self._send = send
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.watching = False  # read without the lock by offer(): a bool is atomic
        self._picture: npt.NDArray[np.uint8] | None = None
        self._dirty: list[Rect] = []
        self._need_key = True
        self._key = False
        self._utc_us = 0
        self._since_key = 0
        self._key_bytes = 0
        self._failing = False
        self.stats = LiveStats()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="live", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def watch(self, on: bool) -> None:
        """Start or stop publishing; a start begins with a key frame."""
        with self._lock:
            if on and not self.watching:
                self._need_key = True
            if not on:
                self._picture, self._dirty, self._key = None, [], False
            self.watching = on
        self._wake.set()

    def offer(self, picture: npt.NDArray[np.uint8], rects: list[Rect], utc_us: int) -> None:
        """The capture loop's picture of this tick and what changed in it (BGRA, read now)."""
        if not self.watching:
            return
        with self._lock:
            if not self.watching:
                return
            whole = Rect(0, 0, picture.shape[1], picture.shape[0])
            if self._picture is None or self._picture.shape != picture.shape:
                self._picture = picture.copy()
                self._need_key = True
            if self._need_key:
                np.copyto(self._picture, picture)
                self._dirty, self._key, self._need_key = [whole], True, False
            else:
                for r in rects:
                    rows, cols = slice(r.y, r.bottom), slice(r.x, r.right)
                    self._picture[rows, cols] = picture[rows, cols]
                self._dirty += rects
            if self._dirty:
                self._utc_us = utc_us

    def _take(self) -> LiveFrame | None:
        """What changed since the last frame, compressed (None: nothing did)."""
        with self._lock:
            picture = self._picture
            if not self.watching or picture is None or not self._dirty:
                return None
            rects, key = merge(self._dirty), self._key
            crops = [(r, picture[r.y : r.bottom, r.x : r.right].copy()) for r in rects]
            self._dirty, self._key = [], False
            utc, height, width = self._utc_us, picture.shape[0], picture.shape[1]
        started = time.thread_time()
        parts = tuple(part(r, crop) for r, crop in crops)
        self.stats.encode_s += time.thread_time() - started
        return LiveFrame(utc, key, width, height, parts)

    def _run(self) -> None:
        while not self._stopping.is_set():
            # Unwatched, it sleeps until :meth:`watch` or :meth:`stop` wakes it: no wake-ups.
            self._wake.wait(self._interval_s if self.watching else None)
            self._wake.clear()
            frame = self._take()
            if frame is None:
                continue
            data = write_frame(frame)
            try:
                watched = self._send(data)
            except Exception as exc:  # the store is down or refused: try again with a key frame
                self.stats.failures += 1
                if not self._failing:
                    log.warning("live screen: cannot send a frame: %s", exc)
                self._failing = True
                with self._lock:
                    self._need_key = True
                time.sleep(min(self._interval_s * 5, 2.0))
                continue
            self._failing = False
            self.stats.frames += 1
            self.stats.bytes += len(data)
            if frame.key:
                self.stats.key_frames += 1
                self._key_bytes, self._since_key = len(data), 0
            else:
                self._since_key += len(data)
                if self._since_key > KEY_REFRESH * max(self._key_bytes, 1):
                    with self._lock:
                        self._need_key = True
            if not watched:
                log.info("live screen: nobody watches any more")
                self.watch(False)

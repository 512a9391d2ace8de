"""The upload's bandwidth: a rate limit shared by every upload (a token bucket), the rate
actually sent (for the uploader's status), and a file object that reads at the limit."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import BinaryIO

RATE_WINDOW_S = 5.0


class RateLimit:
    """A token bucket in bytes per second (0: unlimited); shared by every upload."""

    def __init__(
        self,
        kbps: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bytes_per_s = kbps * 1000 / 8
        self.burst = max(16_384.0, self.bytes_per_s / 4)
        self._clock, self._sleep = clock, sleep
        self._tokens = self.burst
        self._at = clock()
        self._lock = threading.Lock()

    def take(self, size: int) -> None:
        """Wait until ``size`` bytes may go out."""
        if self.bytes_per_s <= 0:
            return
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.bytes_per_s)
            self._at = now
            self._tokens -= size
            wait = -self._tokens / self.bytes_per_s if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


class RateMeter:
    """Bytes sent over the last few seconds, for the status's ``rate_bps``."""

    def __init__(self, window_s: float = RATE_WINDOW_S) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def add(self, size: int) -> None:
        with self._lock:
            self._samples.append((time.monotonic(), size))

    def bits_per_s(self) -> int:
        with self._lock:
            cutoff = time.monotonic() - self.window_s
            while self._samples and self._samples[0][0] < cutoff:
                self._samples.popleft()
            return round(sum(s for _, s in self._samples) * 8 / self.window_s)


class ThrottledFile:
    """A file object for ``requests`` that reads at the rate limit (keeps ``len()``, so the
    upload carries a Content-Length and a cut body is recognised by the store)."""

    def __init__(self, fh: BinaryIO, limit: RateLimit, meter: RateMeter) -> None:
        self._fh, self._limit, self._meter = fh, limit, meter
        start = fh.tell()
        self._left = fh.seek(0, 2) - start
        fh.seek(start)

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > 65_536:
            size = 65_536
        self._limit.take(size)
        data = self._fh.read(size)
        self._left -= len(data)
        self._meter.add(len(data))
        return data

    def __len__(self) -> int:
        return max(0, self._left)

    def __bool__(self) -> bool:
        return True

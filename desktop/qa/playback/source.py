"""Store media as a seekable file for PyAV, fetched with HTTP Range requests through
``store.client``: fixed-size blocks, a small LRU cache, and read-ahead on a background thread,
so playback starts after the first block instead of after the whole download."""

from __future__ import annotations

import functools
import io
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

from store.client import StoreClient

BLOCK = 256 * 1024


class RangeReader(io.RawIOBase):
    """A read-only, seekable view of one stored medium (``size`` bytes)."""

    def __init__(
        self,
        client: StoreClient,
        sha256: str,
        size: int,
        *,
        block: int = BLOCK,
        cache_blocks: int = 32,
        read_ahead: int = 2,
    ) -> None:
        super().__init__()
        self.client = client
        self.sha256 = sha256
        self.size = size
        self.block = block
        self.cache_blocks = max(cache_blocks, read_ahead + 2)
        self.read_ahead = read_ahead
        self.requests = 0  # Range requests made (for tests and the bench)
        self._pos = 0
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._pending: dict[int, Future[bytes]] = {}
        self._lock = threading.RLock()  # a finished read-ahead may call back at once
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="range-read-ahead")

    # --- io.RawIOBase ----------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError(f"bad whence {whence}")
        if pos < 0:
            raise ValueError(f"seek before the start of {self.sha256[:12]}: {pos}")
        self._pos = pos
        return pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        want = min(len(buffer), self.size - self._pos)
        if want <= 0:
            return 0
        done = 0
        while done < want:
            index, skip = divmod(self._pos, self.block)
            data = self._block(index)
            take = min(want - done, len(data) - skip)
            if take <= 0:
                break
            buffer[done : done + take] = data[skip : skip + take]
            done += take
            self._pos += take
        return done

    def close(self) -> None:
        if not self.closed:
            self._pool.shutdown(wait=False, cancel_futures=True)
        super().close()

    # --- blocks ----------------------------------------------------------------------------
    def _fetch(self, index: int) -> bytes:
        start = index * self.block
        end = min(self.size, start + self.block) - 1
        self.requests += 1
        return self.client.download(self.sha256, start=start, end=end)

    def _block(self, index: int) -> bytes:
        with self._lock:
            data = self._cache.get(index)
            if data is not None:
                self._cache.move_to_end(index)
            pending = self._pending.get(index)
        if data is None:
            try:
                data = pending.result() if pending is not None else None
            except Exception:  # a failed read-ahead: try once more in this thread
                data = None
            if data is None:
                data = self._fetch(index)
            self._store(index, data)
        self._schedule_ahead(index)
        return data

    def _store(self, index: int, data: bytes) -> None:
        with self._lock:
            self._pending.pop(index, None)
            self._cache[index] = data
            self._cache.move_to_end(index)
            while len(self._cache) > self.cache_blocks:
                self._cache.popitem(last=False)

    def _schedule_ahead(self, index: int) -> None:
        last = (self.size - 1) // self.block
        with self._lock:
            for ahead in range(index + 1, min(last, index + self.read_ahead) + 1):
                if ahead in self._cache or ahead in self._pending:
                    continue
                try:
                    future = self._pool.submit(self._fetch, ahead)
                except RuntimeError:  # closed while reading
                    return
                self._pending[ahead] = future
                future.add_done_callback(functools.partial(self._arrived, ahead))

    def _arrived(self, index: int, future: Future[bytes]) -> None:
        if future.cancelled() or future.exception() is not None:
            with self._lock:  # the reader fetches it again itself when it needs it
                self._pending.pop(index, None)
            return
        self._store(index, future.result())

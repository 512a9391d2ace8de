"""A live-channel listener for tests: a real :class:`store.client.LiveStream` on a thread,
its events collected in a queue; the SIP extensions the monitoring tests give their users."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from store.client import LiveStream, StoreClient
from store.db import Database
from store.users import set_extension


class Listener:
    def __init__(self, client: StoreClient) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.statuses: list[str] = []
        self.stream = LiveStream(client, self.events.put, self.statuses.append)
        self.thread = threading.Thread(target=self.stream.run, name="live-test", daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        hello = self.next("hello")
        assert hello["type"] == "hello"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.stop()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the live stream did not stop"

    def next(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next event of type ``kind`` (others before it are dropped)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event["type"] == kind:
                return event
        raise AssertionError(f"no {kind} event within {timeout} s; statuses {self.statuses}")

    def drain(self) -> list[dict[str, Any]]:
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out


def set_phones(db: Database) -> None:
    """alice's phone is extension 201 and sam's 900 (a monitoring session needs both)."""
    set_extension(db, "alice", "201")
    set_extension(db, "sam", "900")

"""One hub per API process: it learns of every published event and hands each to the open
streams of its recipient in this process.

How it learns differs by database, because who may publish differs:
- **PostgreSQL** (several API processes, several machines): ``LISTEN``; a publisher's
  ``pg_notify`` carries the event's id and is delivered to every listening process when the
  publisher's transaction commits, so an event is never seen before the change it announces.
  After a lost listening connection the hub reads what it missed from the event log.
- **SQLite** (one machine; the CLI, e.g. ``policy set``, is another process writing the same
  file): SQLite has no cross-process notification, so the hub reads the event log after the
  last id it saw, every half second and at once when this process publishes. Ids come from
  one writer at a time, so they commit in order and the cursor misses nothing; the read is
  one index probe.

The hub's thread also runs the store's housekeeping for live things (expiring monitoring
sessions, pruning the log) about once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from store.db import Database
from store.live import events

log = logging.getLogger("store.live")
SQLITE_POLL_S = 0.5
HOUSEKEEPING_S = 1.0
PRUNE_S = 3600.0
END = None  # what a stream's queue receives when the hub closes

_hubs: weakref.WeakSet[Hub] = weakref.WeakSet()


def wake_local() -> None:
    """A publisher of this process: let the SQLite hubs read the log now."""
    for hub in list(_hubs):
        hub.wake()


class Subscription:
    """One open stream's inbox (asyncio side): (id, JSON text) items, or END."""

    def __init__(self, user: str, loop: asyncio.AbstractEventLoop) -> None:
        self.user = user
        self.loop = loop
        self.queue: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue()

    def push(self, item: tuple[int, str] | None) -> None:
        """From any thread."""
        with contextlib.suppress(RuntimeError):  # the loop already closed
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)

    async def next(self, timeout_s: float) -> tuple[int, str] | bool | None:
        """The next item; False when ``timeout_s`` passed without one."""
        try:
            return await asyncio.wait_for(self.queue.get(), max(0.0, timeout_s))
        except TimeoutError:
            return False


class Hub:
    def __init__(
        self,
        db: Database,
        housekeeping: Callable[[], object] | None = None,
        snapshot: Callable[[str], list[dict[str, Any]]] | None = None,
    ) -> None:
        """``housekeeping`` runs on the hub's thread about once a second; ``snapshot(user)``
        gives the events a fresh connection (no ``Last-Event-ID``) starts with."""
        self.db = db
        self.housekeeping = housekeeping
        self.snapshot = snapshot or (lambda user: [])
        self._subs: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._closed = False
        self._last = 0
        self._next_housekeeping = 0.0
        self._next_prune = 0.0
        self._thread: threading.Thread | None = None

    # --- the streams' side ------------------------------------------------------------------

    def subscribe(self, user: str) -> Subscription:
        sub = Subscription(user, asyncio.get_running_loop())
        with self._lock:
            if self._closed:
                sub.push(END)
            else:
                self._subs.setdefault(user, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.user)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.user]

    def streams(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._subs.values())

    def end_streams(self) -> None:
        """Every open stream ends (its client reconnects elsewhere or later); new ones end at
        once. From any thread, a signal handler included."""
        with self._lock:
            self._closed = True
            subs = [s for group in self._subs.values() for s in group]
        for sub in subs:
            sub.push(END)

    # --- the event side ---------------------------------------------------------------------

    def start(self) -> None:
        self._last = events.newest_id(self.db)
        _hubs.add(self)
        self._thread = threading.Thread(target=self._run, name="live-hub", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.end_streams()
        self._stop.set()
        self._wake.set()
        _hubs.discard(self)
        if self._thread is not None:
            self._thread.join(5)

    def wake(self) -> None:
        self._wake.set()

    def _deliver(self, rows: list[tuple[int, str, str]]) -> None:
        for event_id, recipient, body in rows:
            self._last = max(self._last, event_id)
            with self._lock:
                subs = list(self._subs.get(recipient, ()))
            for sub in subs:
                sub.push((event_id, body))

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                if self.db.dialect == "postgresql":
                    self._listen()
                else:
                    self._poll()
                delay = 0.5
            except Exception as exc:  # the database went away: keep trying, quietly
                log.warning("live channel: %s; retrying in %.1f s", exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)

    def _poll(self) -> None:
        while not self._stop.is_set():
            rows = events.after(self.db, self._last)
            self._deliver(rows)
            self._housekeep()
            if len(rows) < 500:
                self._wake.wait(SQLITE_POLL_S)
                self._wake.clear()

    def _listen(self) -> None:
        import psycopg

        url: str = self.db.url  # type: ignore[attr-defined]
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"LISTEN {events.CHANNEL}")
            while True:  # what was published while nobody here listened
                missed = events.after(self.db, self._last)
                self._deliver(missed)
                if len(missed) < 500:
                    break
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0.5):  # each as it comes, for up to 0.5 s
                    self._deliver(events.by_ids(self.db, [int(note.payload)]))
                    if self._stop.is_set():
                        break
                self._housekeep()

    def _housekeep(self) -> None:
        now = time.monotonic()
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + HOUSEKEEPING_S
        if self.housekeeping is not None:
            try:
                self.housekeeping()
            except Exception as exc:
                log.warning("live channel housekeeping: %s", exc)
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_S
            events.prune(self.db)


def end_streams_on_exit(hub: Hub) -> None:
    """uvicorn waits for every response to finish before it stops, and an event stream never
    finishes by itself: on SIGTERM/SIGINT end the streams first, then let uvicorn's own
    handler run. Call from the main thread after uvicorn installed its handlers (lifespan)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: Any, previous: Callable[..., Any] = previous) -> None:
            hub.end_streams()
            previous(signum, frame)

        signal.signal(sig, handler)

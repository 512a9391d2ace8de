"""``queues.changed`` on the live channel: the supervisors' and admins' queue panels ask
``GET /queues/live`` again when queue events are stored or an agent's state changes.

Bursts are coalesced per database (one per API process): the first change is announced at
once, in the thread that made it; changes within the next WINDOW_S are only noted, and the
API process's live-channel housekeeping (about once a second, store/live/hub.py) announces
them once, so a PBX pushing line by line costs each supervisor about one event a second and
the last change is never left unannounced. No thread of its own: nothing outlives its
database.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref

from store import live
from store.db import Database

log = logging.getLogger("store.live")
WINDOW_S = 0.3
EVENT = {"type": "queues.changed"}


def _send(db: Database) -> None:
    try:
        names = [
            r["name"]
            for r in db.query(
                "SELECT name FROM users WHERE role IN ('supervisor', 'admin') AND disabled = 0"
            )
        ]
        live.publish_many(db, names, EVENT)
    except Exception as exc:  # the panels still poll: a lost announcement only delays them
        log.warning("queues.changed not announced: %s", exc)


class Announcer:
    """The coalescing state of one database: when it last announced, and whether a change
    since then is still unannounced."""

    def __init__(self, db: Database, window_s: float = WINDOW_S) -> None:
        self._db = weakref.ref(db)
        self.window_s = window_s
        self._lock = threading.Lock()
        self._last = -window_s
        self._pending = False

    def changed(self) -> None:
        """Something the queue panels show changed (call after the change committed)."""
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.window_s:
                self._pending = True
                return
            self._last, self._pending = now, False
        self._send()

    def flush(self) -> None:
        """Announce a change noted within the window, if any (the housekeeping's call)."""
        with self._lock:
            if not self._pending:
                return
            self._last, self._pending = time.monotonic(), False
        self._send()

    def _send(self) -> None:
        db = self._db()
        if db is not None:
            _send(db)


_announcers: weakref.WeakKeyDictionary[Database, Announcer] = weakref.WeakKeyDictionary()
_made = threading.Lock()


def _announcer(db: Database) -> Announcer:
    with _made:
        announcer = _announcers.get(db)
        if announcer is None:
            announcer = _announcers[db] = Announcer(db)
        return announcer


def queues_changed(db: Database) -> None:
    """Announce ``queues.changed`` to every supervisor and admin, coalesced (see above)."""
    _announcer(db).changed()


def flush_pending(db: Database) -> None:
    """Announce what was coalesced on ``db`` (run about once a second by the API process)."""
    announcer = _announcers.get(db)
    if announcer is not None:
        announcer.flush()

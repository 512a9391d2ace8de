"""``queues.changed`` on the live channel: the supervisors' and admins' queue panels ask
``GET /queues/live`` again when queue events are stored or an agent's state changes.

Bursts are coalesced per API process: the first change is announced at once, the changes
within the next WINDOW_S make one more announcement at its end, so a PBX pushing line by line
costs each supervisor a few events a second at most, and the last change is never left
unannounced.
"""

from __future__ import annotations

import logging
import threading

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
    """One per database (the API process's)."""

    def __init__(self, db: Database, window_s: float = WINDOW_S) -> None:
        self.db, self.window_s = db, window_s
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._pending = False

    def changed(self) -> None:
        """Something the queue panels show changed (call after the change committed)."""
        with self._lock:
            if self._timer is not None:
                self._pending = True
                return
            self._arm()
        _send(self.db)

    def _arm(self) -> None:
        self._timer = threading.Timer(self.window_s, self._window_ended)
        self._timer.daemon = True
        self._timer.start()

    def _window_ended(self) -> None:
        with self._lock:
            self._timer = None
            if not self._pending:
                return
            self._pending = False
            self._arm()
        _send(self.db)


_announcers: dict[int, Announcer] = {}
_made = threading.Lock()


def queues_changed(db: Database) -> None:
    """Announce ``queues.changed`` to every supervisor and admin, coalesced (see above)."""
    with _made:
        announcer = _announcers.get(id(db))
        if announcer is None or announcer.db is not db:
            announcer = _announcers[id(db)] = Announcer(db)
    announcer.changed()

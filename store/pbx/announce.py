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
import time

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
    """One per database (the API process's), with a thread of its own that sends: the first
    change at once, then waits WINDOW_S, and sends once more if anything changed meanwhile."""

    def __init__(self, db: Database, window_s: float = WINDOW_S) -> None:
        self.db, self.window_s = db, window_s
        self._changed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queues-changed", daemon=True)
        self._thread.start()

    def changed(self) -> None:
        """Something the queue panels show changed (call after the change committed)."""
        self._changed.set()

    def _run(self) -> None:
        while True:
            self._changed.wait()
            self._changed.clear()
            _send(self.db)
            time.sleep(self.window_s)  # what changes meanwhile goes in one more event


_announcers: dict[int, Announcer] = {}
_made = threading.Lock()


def queues_changed(db: Database) -> None:
    """Announce ``queues.changed`` to every supervisor and admin, coalesced (see above)."""
    with _made:
        announcer = _announcers.get(id(db))
        if announcer is None or announcer.db is not db:
            announcer = _announcers[id(db)] = Announcer(db)
    announcer.changed()

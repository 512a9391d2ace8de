"""The live channel from the store to each desktop: events published to a user reach that
user's open ``GET /live`` streams (server-sent events) in whichever API process serves them,
and a reconnect with ``Last-Event-ID`` receives what was missed.

    from store import live
    live.publish(db, "anna", {"type": "policy.changed", "version": 7})

Event types: to the agent ``monitor.open`` {session}, ``monitor.mode`` {id, mode},
``monitor.end`` {id, reason}; to the supervisor who opened a session ``monitor.session``
{session} on each change of it; to supervisors and admins ``queues.changed`` (ask
``/queues/live`` again); to everyone ``policy.changed`` {version}; to the agents who may take a
campaign's due contacts ``outbound.task`` {campaign} (store/outbound/push.py).
"""

from __future__ import annotations

from typing import Any

from store.db import Database
from store.live import events
from store.live.hub import Hub, end_streams_on_exit, wake_local

__all__ = ["Hub", "end_streams_on_exit", "publish", "publish_many", "wake_local"]


def publish(db: Database, user: str, event: dict[str, Any]) -> None:
    """Send ``event`` (a JSON object with a dotted ``type``) to ``user``'s desktops. Inside a
    transaction it is sent when the transaction commits (PostgreSQL) or within half a second
    of it (SQLite)."""
    events.insert(db, user, event)
    wake_local()


def publish_many(db: Database, users: list[str], event: dict[str, Any]) -> None:
    """The same event to each of ``users``."""
    for user in users:
        events.insert(db, user, event)
    wake_local()

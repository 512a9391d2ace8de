"""The live board built at most once a second per API process and store: five supervisors'
boards every 2 s, on 200 agents, are the same rows. Within a process a write that changes
what the board shows (a state, a user, a presence snapshot that differs from the one this
process last wrote for the agent) drops it at once; a desktop's heartbeat that repeats its
snapshot changes only the agent's ``presence_us`` and keeps it. What another API process
writes shows within a second (store/README.md)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from store.db import Database

TTL_S = 1.0
_lock = threading.Lock()
_generation = 0
_boards: weakref.WeakKeyDictionary[Database, tuple[float, int, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)
_snapshots: weakref.WeakKeyDictionary[Database, dict[str, tuple[Any, ...]]] = (
    weakref.WeakKeyDictionary()
)


def changed(db: Database, agent: str | None = None, snapshot: tuple[Any, ...] = ()) -> None:
    """Something the board shows changed; with ``agent``, their presence became ``snapshot``
    (a repeat of the last one this process wrote changes nothing but its time)."""
    global _generation
    with _lock:
        if agent is not None:
            known = _snapshots.setdefault(db, {})
            if known.get(agent) == snapshot:
                return
            known[agent] = snapshot
        _generation += 1


def board(db: Database, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The board built by ``build`` less than a second ago with nothing changed since in this
    process, or a new one (the same object to every caller: they must not change it)."""
    now = time.monotonic()
    with _lock:
        generation = _generation
        hit = _boards.get(db)
    if hit is not None and hit[1] == generation and now - hit[0] < TTL_S:
        return hit[2]
    built = build()
    with _lock:
        _boards[db] = (now, generation, built)
    return built

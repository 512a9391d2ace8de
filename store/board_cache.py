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
# Per store: (built at, generation, the board, its JSON once somebody asked for it).
_boards: weakref.WeakKeyDictionary[Database, list[Any]] = weakref.WeakKeyDictionary()
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
    return _entry(db, build)[2]


def encoded(
    db: Database, build: Callable[[], dict[str, Any]], encode: Callable[[dict[str, Any]], bytes]
) -> bytes:
    """The same board as ``encode`` writes it, encoded once per board built."""
    entry = _entry(db, build)
    if entry[3] is None:
        entry[3] = encode(entry[2])
    return entry[3]


def _entry(db: Database, build: Callable[[], dict[str, Any]]) -> list[Any]:
    now = time.monotonic()
    with _lock:
        generation = _generation
        hit = _boards.get(db)
    if hit is not None and hit[1] == generation and now - hit[0] < TTL_S:
        return hit
    entry = [now, generation, build(), None]
    with _lock:
        _boards[db] = entry
    return entry

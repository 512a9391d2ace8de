"""The outbox's SQLite journal (``FOLDER/outbox.sqlite3``): the connection, short write
transactions that give up the spool's reserve on a full disk, and the uploader's side of the
items: claim (with a lease), done, retry, release, status. What goes in is added by
:class:`recorder.outbox.journal.Outbox`, which is this plus the adding.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from recorder.outbox.files import ensure_reserve, release_reserve
from recorder.outbox.schema import (
    CLAIM_SQL,
    DB_NAME,
    KEEP_DONE_US,
    LEASE_US,
    MAX_HOLD_US,
    PRIORITY,
    SCHEMA,
    SPOOL,
    Item,
    OutboxError,
    OutboxFull,
    item_from_row,
    now_us,
    pending_status,
    to_json,
)

T = TypeVar("T")
log = logging.getLogger(__name__)
# The WAL is folded into the database every 64 pages (SQLite's default, 1000, lets it grow to
# 4 MB: on a nearly full disk it would take the space the reserve keeps for calls and audio),
# and cut back to 256 kB after that.
WAL_CHECKPOINT_PAGES = 64
WAL_LIMIT_BYTES = 256 << 10


class OutboxDatabase:
    """The journal in ``folder`` (created if missing); safe to use from several threads and
    processes at once."""

    def __init__(self, folder: Path, *, quota_bytes: int = 0) -> None:
        self.folder = folder
        self.spool = folder / SPOOL
        self.quota_bytes = quota_bytes
        self.cannot_write = ""  # why the last write failed on a read-only or broken disk
        self._lock = threading.RLock()
        # Items the store confirmed, whose files are gone, not yet marked for want of room.
        self._unmarked: dict[int, Callable[[sqlite3.Connection], None]] = {}
        try:
            self.spool.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                folder / DB_NAME, timeout=30, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
            self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"cannot open the outbox in {folder}: {exc}") from exc
        ensure_reserve(self.spool)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ----- transactions ---------------------------------------------------------------

    def _run(
        self,
        what: str,
        work: Callable[[sqlite3.Connection], T],
        *,
        reserve: bool = True,
        synced: bool = True,
    ) -> T:
        """``work`` in one short write transaction; on a full disk the reserve is given up
        and it is tried once more (``reserve=False``: screen segments, which give way).
        ``synced=False``: no fsync at the commit (it survives the process being killed, not
        a power cut): for the frequent notes of a call in progress, which would otherwise
        queue behind the disk with the recorder's segments."""
        with self._lock:
            if not synced:
                self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                return self._attempts(what, work, reserve)
            finally:
                if not synced:
                    self._db.execute("PRAGMA synchronous=FULL")

    def _attempts(self, what: str, work: Callable[[sqlite3.Connection], T], reserve: bool) -> T:
        with self._lock:
            for attempt in (0, 1):
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(self._db)
                        self._db.execute("COMMIT")
                    except BaseException:
                        with contextlib.suppress(sqlite3.Error):
                            self._db.execute("ROLLBACK")
                        raise
                    self.cannot_write = ""
                    return result
                except sqlite3.OperationalError as exc:
                    full = "full" in str(exc)
                    if (
                        full
                        and attempt == 0
                        and (self._shrink_wal() or (reserve and release_reserve(self.spool)))
                    ):
                        continue
                    if full:
                        raise OutboxFull(f"disk full: cannot journal {what}: {exc}") from exc
                    self.cannot_write = str(exc)
                    raise OutboxError(f"cannot write: cannot journal {what}: {exc}") from exc
            raise AssertionError("unreachable")

    def _shrink_wal(self) -> bool:
        """Fold the WAL into the database and truncate it; True if that gave space back."""
        wal = self.folder / f"{DB_NAME}-wal"
        try:
            before = wal.stat().st_size
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            return not busy and wal.stat().st_size < before
        except (OSError, sqlite3.Error):
            return False

    def _exec(self, what: str, sql: str, params: tuple[Any, ...]) -> int:
        """One statement in its own transaction; the number of rows it changed."""
        return self._run(what, lambda db: db.execute(sql, params).rowcount)

    def _insert(self, db: sqlite3.Connection, kind: str, **cols: Any) -> None:
        cols.setdefault("priority", PRIORITY[str(cols["media"]) if kind == "media" else kind])
        for name in ("body", "files"):
            if name in cols and not isinstance(cols[name], str):
                cols[name] = to_json(cols[name])
        names = ["kind", "created_us", *cols]
        values = [kind, now_us(), *cols.values()]
        db.execute(
            f"INSERT INTO items ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) "
            "ON CONFLICT (key) DO NOTHING",
            values,
        )

    def has(self, key: str) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM items WHERE key = ?", (key,)).fetchone() is not None
            )

    # ----- draining -------------------------------------------------------------------

    def claim(self, hold: Callable[[str], bool] = lambda _c: False) -> Item | None:
        """The next item ready to send, leased to the caller; None if none is ready.

        ``hold(call_id)``: the call's recording window is not over yet (more segments may
        come), so its record waits (at most ``max_hold_us`` after it was added). It is asked
        outside the outbox's lock and transaction: the worker's ``hold`` takes the worker's
        lock, under which the worker journals segments (the other lock order: a deadlock).
        """
        self._mark_unmarked()
        now = now_us()
        with self._lock:
            ready = self._db.execute(CLAIM_SQL, (now, now)).fetchall()
            unmarked = set(self._unmarked)
        free = {
            r["id"]
            for r in ready
            if r["id"] not in unmarked
            and (
                r["kind"] != "call"
                or now - r["created_us"] >= self.max_hold_us
                or not hold(r["call_id"])
            )
        }

        def pick(db: sqlite3.Connection) -> Item | None:
            rows = db.execute(CLAIM_SQL, (now, now)).fetchall()
            for row in rows:
                if row["id"] not in free:
                    continue  # held, or new since: looked at in the next claim
                db.execute(
                    "UPDATE items SET lease_us = ?, attempts = attempts + 1 WHERE id = ?",
                    (now + LEASE_US, row["id"]),
                )
                return item_from_row(row)
            return None

        return self._run("a claim", pick)

    max_hold_us = MAX_HOLD_US

    def _mark_unmarked(self) -> None:
        """Mark done the items the store confirmed while the disk had no room to say so."""
        with self._lock:
            for item_id, mark in list(self._unmarked.items()):
                try:
                    self._run(f"item {item_id} done", mark)
                except OutboxFull:
                    return
                del self._unmarked[item_id]

    def next_due_us(self) -> int | None:
        """When the earliest waiting item may be tried again (None: nothing pending)."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(MAX(next_us, lease_us)) FROM items WHERE state = 'pending'"
            ).fetchone()
        return None if row[0] is None else int(row[0])

    def media_sha(self, key: str) -> str | None:
        return self.media_info(key)[0]

    def media_info(self, key: str) -> tuple[str | None, dict[str, Any]]:
        """A media item's SHA-256 and body (a screen segment's has its manifest's hash)."""
        with self._lock:
            row = self._db.execute(
                "SELECT sha256, body FROM items WHERE key = ?", (key,)
            ).fetchone()
        return (None, {}) if row is None else (row[0], json.loads(row[1]))

    def note(self, item: Item, **fields: Any) -> None:
        """Keep ``fields`` in the item's body (e.g. its manifest was stored under a hash)."""
        body = {**item.body, **fields}
        self._exec(
            f"a note on item {item.id}",
            "UPDATE items SET body = ? WHERE id = ?",
            (to_json(body), item.id),
        )
        item.body = body

    def packed(self, item: Item, name: str, sha256: str, size: int) -> None:
        """A call's audio is packed: upload ``name`` (in the spool) under ``sha256``."""
        files = [name, *(f for f in item.files if f != name)]
        self._exec(
            f"packed audio of {item.call_id}",
            "UPDATE items SET files = ?, sha256 = ?, bytes = ? WHERE id = ?",
            (to_json(files), sha256, size, item.id),
        )
        item.files, item.sha256, item.bytes = files, sha256, size
        self.note(item, packed=name)

    def done(self, item: Item) -> None:
        """The store confirmed the item (by hash, for media): forget its files."""

        def mark(db: sqlite3.Connection) -> None:
            if item.kind in ("state", "patch"):
                db.execute("DELETE FROM items WHERE id = ?", (item.id,))
            else:
                db.execute(
                    "UPDATE items SET state = 'done', done_us = ?, lease_us = 0, last_error = '' "
                    "WHERE id = ?",
                    (now_us(), item.id),
                )
            if item.kind == "call":
                # Links and patches refused while the call was not in the store yet (404)
                # may go now, instead of after their back-off.
                db.execute(
                    "UPDATE items SET next_us = 0 WHERE call_id = ? AND state = 'pending' "
                    "AND kind IN ('link', 'patch')",
                    (item.call_id,),
                )

        try:
            self._run(f"item {item.id} done", mark)
        except OutboxFull:
            # Not even room to say so: the store has the files, so they go first (a crash
            # before the row is marked leaves a row without files, which recovery drops).
            for name in item.files:
                (self.spool / name).unlink(missing_ok=True)
            try:
                self._run(f"item {item.id} done", mark)
            except OutboxFull:
                # Another writer took the room the files left: marked at a later claim,
                # never sent again meanwhile.
                log.warning("outbox: item %d is in the store; marked once there is room", item.id)
                with self._lock:
                    self._unmarked[item.id] = mark
                return
        for name in item.files:
            (self.spool / name).unlink(missing_ok=True)
        if item.files:
            ensure_reserve(self.spool)

    def retry(self, item: Item, error: str, delay_s: float) -> None:
        """Not sent: try again after ``delay_s``; the error is kept for the status."""
        self._exec(
            f"item {item.id} retry",
            "UPDATE items SET next_us = ?, lease_us = 0, last_error = ? WHERE id = ?",
            (now_us() + round(delay_s * 1e6), error[:500], item.id),
        )

    def due_now(self) -> int:
        """Every waiting item may be tried at once (the refusals' cause was fixed); how many."""
        sql = "UPDATE items SET next_us = 0 WHERE state = 'pending' AND next_us > 0"
        return self._exec("retrying now", sql, ())

    def park(self, item: Item, reason: str) -> None:
        """The store refused the item as invalid: keep it, with the store's reason, out of
        the queue (nothing is dropped; the others go past it)."""
        self._exec(
            f"item {item.id} parked",
            "UPDATE items SET state = 'parked', lease_us = 0, last_error = ?, done_us = ? "
            "WHERE id = ?",
            (reason[:500], now_us(), item.id),
        )

    def unpark(self) -> int:
        """Send the parked items again (the store was fixed); how many."""
        sql = (
            "UPDATE items SET state = 'pending', next_us = 0, done_us = NULL WHERE state = 'parked'"
        )
        return self._exec("unparking", sql, ())

    def parked(self) -> list[Item]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM items WHERE state = 'parked' ORDER BY id"
            ).fetchall()
        return [item_from_row(r) for r in rows]

    def release(self, item: Item) -> None:
        """Put a claimed item back untouched (the uploader is stopping)."""
        self._exec(
            f"item {item.id} release",
            "UPDATE items SET lease_us = 0, attempts = MAX(0, attempts - 1) WHERE id = ?",
            (item.id,),
        )

    def unlease_all(self) -> int:
        """End every lease (at start: the uploader that held them is gone); how many."""
        sql = "UPDATE items SET lease_us = 0 WHERE state = 'pending' AND lease_us > 0"
        return self._exec("unleasing", sql, ())

    def drop(self, item: Item) -> None:
        """Forget an item that cannot be sent any more (its file is gone)."""
        self._exec(f"dropping item {item.id}", "DELETE FROM items WHERE id = ?", (item.id,))

    def prune(self) -> int:
        """Forget confirmed rows older than a week; how many."""
        sql = "DELETE FROM items WHERE state = 'done' AND done_us < ?"
        return self._exec("pruning", sql, (now_us() - KEEP_DONE_US,))

    # ----- state ----------------------------------------------------------------------

    def pending(self) -> list[Item]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM items WHERE state = 'pending' ORDER BY id"
            ).fetchall()
        return [item_from_row(r) for r in rows]

    def status(self) -> dict[str, Any]:
        """Items and bytes not in the store yet, the oldest one's time, the last error, the
        parked items, the quota, and the disk: "full" (the reserve was used and there is no
        room to make it again), "cannot write" (read-only, or refused), or ""."""
        with self._lock:
            state = pending_status(self._db, self.quota_bytes)
        state["disk"] = self.disk()
        if state["disk"] == "full" and not state["warning"]:
            state["warning"] = "disk full: screen recording stopped, calls are still kept"
        elif state["disk"] and not state["warning"]:
            state["warning"] = f"cannot write the upload outbox: {self.cannot_write}"
        return state

    def disk(self) -> str:
        """The outbox's disk as the status says it (see :meth:`status`)."""
        if self.cannot_write:
            return "cannot write"
        return "" if ensure_reserve(self.spool) else "full"

    def over_quota(self) -> bool:
        return bool(self.status()["over_quota"])

"""The durable outbox: everything bound for the store, journalled before anything else happens.

``FOLDER/outbox.sqlite3`` (WAL, short transactions: the desktop and the recorder worker use it
at the same time) lists the items; ``FOLDER/spool/`` holds their files, moved in when they are
added (a rename: no new disk space), or they stay in the recorder's output folder, which is
the worker's spool for kept segments (named by absolute path). A file leaves the spool only
once the store has confirmed its SHA-256 (:meth:`Outbox.done`). Item kinds:

- ``media``: a file to upload (a screen segment with its manifest JSON, or a call's WAV to
  pack as Opus first);
- ``call``: a whole call record (``PUT /calls/{id}``); journalled ``open`` when the call starts
  and updated in place as it goes, made final when it ends, so a crash mid-call loses nothing
  (:func:`recorder.outbox.recovery.close_open_calls`); ``patch``: later fields (``PATCH``);
  ``draft``: the dialog card being filled in (``open``, sent as a patch only after a crash);
- ``link``: media ↔ call (needs both confirmed); ``state``: an agent state change.

Ordering (:meth:`claim`): a call is sent once the media it links to are stored and its
recording window is over, then its links and patches; so a call appears complete.
The schema and the status are in :mod:`recorder.outbox.schema`, the spool's file moves and
its reserve (for call audio and metadata on a full disk) in :mod:`recorder.outbox.files`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from formats.manifest import Manifest
from recorder.outbox.database import OutboxDatabase
from recorder.outbox.files import put_back, take_file
from recorder.outbox.schema import (
    DB_NAME,
    FULL_ERRNOS,
    Item,
    OutboxError,
    OutboxFull,
    item_from_row,
    now_us,
    to_json,
)

__all__ = ["DB_NAME", "Item", "Outbox", "OutboxError", "OutboxFull"]


class Outbox(OutboxDatabase):
    """The outbox in ``folder`` (created if missing): its journal (:class:`OutboxDatabase`)
    and the adding of items; safe to use from several threads and processes at once."""

    # ----- adding items ---------------------------------------------------------------

    def _add_files(
        self,
        moves: list[tuple[Path, str]],
        what: str,
        add: Callable[[], None],
        *,
        reserve: bool = True,
    ) -> None:
        """Move the files into the spool, then journal their items (``add``); on failure
        the files go back where they were. A crash between the two leaves files in the
        spool without a row: :mod:`recorder.outbox.recovery` adds them at the next start."""
        done: list[tuple[Path, str]] = []
        try:
            for source, name in moves:
                take_file(self.spool, source, name)
                done.append((source, name))
            self._run(what, lambda _db: add(), reserve=reserve)
        except (OSError, OutboxError) as exc:
            put_back(self.spool, done)
            if isinstance(exc, OutboxError):
                raise
            if exc.errno in FULL_ERRNOS:
                raise OutboxFull(f"disk full: cannot spool {what}: {exc}") from exc
            self.cannot_write = str(exc)
            raise OutboxError(f"cannot write: cannot spool {what}: {exc}") from exc

    def add_segment(
        self, manifest_path: Path, manifest: Manifest, *, in_place: bool = False
    ) -> bool:
        """A finished screen segment (media + manifest JSON, both uploaded: QA playback reads
        the masked periods from the manifest) and a link to each of its calls; False if it was
        added before. ``in_place``: the files stay where they are (the
        recorder's output folder, which only the uploader empties) and are named by path."""
        key = f"screen:{manifest.id}"
        if self.has(key):
            return False
        media = manifest_path.with_name(manifest.file)
        names = [media.name, manifest_path.name]
        if in_place:
            names = [str(media.resolve()), str(manifest_path.resolve())]
        start, end = manifest.utc_start_us, manifest.utc_end_us
        calls = list(manifest.call_ids)

        def add() -> None:
            self._insert(
                self._db,
                "media",
                key=key,
                media="screen",
                files=names,
                sha256=manifest.sha256,
                bytes=manifest.bytes,
                body={
                    "content_type": "video/mp4",
                    "start_us": start,
                    "end_us": end,
                    "manifest": names[1],
                },
            )
            for call_id in calls:
                self._link(call_id, key, "screen", start, end)

        moves = [] if in_place else [(media, names[0]), (manifest_path, names[1])]
        self._add_files(moves, f"segment {media.name}", add, reserve=False)
        return True

    def add_audio(
        self,
        call_id: str,
        wav: Path,
        first_sample_utc_us: int,
        sample_rate: int,
        frames: int,
    ) -> bool:
        """A call's stereo WAV (packed as Opus before upload) and its link; False if known."""
        key = f"audio:{call_id}"
        if self.has(key):
            return False
        name = wav.name
        end = first_sample_utc_us + round(frames * 1e6 / sample_rate) if sample_rate else None
        body = {
            "pack": "opus",
            "first_sample_utc_us": first_sample_utc_us,
            "sample_rate": sample_rate,
            "frames": frames,
            "call_id": call_id,
        }
        size = wav.stat().st_size
        moves = [(wav, name)]
        sidecar = wav.with_suffix(".json")
        if sidecar.exists():
            moves.append((sidecar, sidecar.name))

        def add() -> None:
            self._insert(
                self._db,
                "media",
                key=key,
                call_id=call_id,
                media="audio",
                files=[m[1] for m in moves],
                bytes=size,
                body=body,
            )
            self._link(call_id, key, "audio", first_sample_utc_us, end)

        self._add_files(moves, f"the audio of call {call_id}", add)
        return True

    def _link(self, call_id: str, media_key: str, kind: str, start: int, end: int | None) -> None:
        self._insert(
            self._db,
            "link",
            key=f"link:{call_id}:{media_key}",
            call_id=call_id,
            media=media_key,
            body={"kind": kind, "start_us": start, "end_us": end},
        )

    def open_call(self, call_id: str, record: dict[str, Any]) -> None:
        """A call in progress (its record so far), kept as ``open`` (not sent) until
        :meth:`add_call` makes it final; each call replaces the last, and notes the time
        (the last known time of the call after a crash)."""
        body = to_json({"record": record, "seen_us": now_us()})
        self._run(
            f"open call {call_id}",
            lambda db: db.execute(
                "INSERT INTO items (kind, key, call_id, priority, body, created_us, state) "
                "VALUES ('call', ?, ?, 0, ?, ?, 'open') ON CONFLICT (key) DO UPDATE SET "
                "body = excluded.body WHERE items.state = 'open'",  # a final one stays final
                (f"call:{call_id}", call_id, body, now_us()),
            ),
            synced=False,
        )

    def note_draft(self, call_id: str, draft: dict[str, Any]) -> None:
        """The dialog card's values so far (during the call or its wrap-up), kept ``open``
        (not sent) until a change of the call's card or disposition (the finished card)
        replaces it; after a crash it is sent as that change
        (:func:`recorder.outbox.recovery.close_open_calls`)."""
        self._run(
            f"the card of call {call_id}",
            lambda db: db.execute(
                "INSERT INTO items (kind, key, call_id, priority, body, created_us, state) "
                "VALUES ('draft', ?, ?, 0, ?, ?, 'open') ON CONFLICT (key) DO UPDATE SET "
                "body = excluded.body",
                (f"draft:{call_id}", call_id, to_json(draft), now_us()),
            ),
            synced=False,
        )

    def drafts(self) -> list[Item]:
        """The dialog cards kept while being filled in."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM items WHERE kind = 'draft' ORDER BY id"
            ).fetchall()
        return [item_from_row(r) for r in rows]

    def open_calls(self) -> list[Item]:
        """The calls journalled as in progress."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM items WHERE kind = 'call' AND state = 'open' ORDER BY id"
            ).fetchall()
        return [item_from_row(r) for r in rows]

    def add_call(self, call_id: str, record: dict[str, Any]) -> None:
        """A whole call record; a second one for the same call replaces it while unsent (and
        the open one journalled while the call went on)."""
        body = to_json(record)
        self._run(
            f"call {call_id}",
            lambda db: db.execute(
                "INSERT INTO items (kind, key, call_id, priority, body, created_us) "
                "VALUES ('call', ?, ?, 0, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "body = excluded.body, state = 'pending', next_us = 0, done_us = NULL, "
                "created_us = excluded.created_us, "
                "last_error = ''",
                (f"call:{call_id}", call_id, body, now_us()),
            ),
        )

    def add_patch(self, call_id: str, fields: dict[str, Any]) -> None:
        """Later fields of a call (PATCH semantics), sent after the call, in order; one with
        the card or the disposition replaces the card's draft."""

        def add(db: sqlite3.Connection) -> None:
            self._insert(db, "patch", call_id=call_id, body=fields)
            if "card" in fields or "disposition" in fields:
                db.execute("DELETE FROM items WHERE key = ?", (f"draft:{call_id}",))

        self._run(f"a change of call {call_id}", add)

    def add_state(self, agent: str, state: str, reason: str | None, at_us: int) -> None:
        body = {"agent": agent, "state": state, "reason": reason, "at_us": at_us}
        self._run(f"agent state {state}", lambda db: self._insert(db, "state", body=body))

"""The operator's own call history: a small local log of the calls the call model saw end,
merged with the store's calls, and the figures of "My day".

A call is named by the engine's call id everywhere (the recorder's windows, the store's
``/calls/{id}``); the SIP Call-ID is kept beside it. The local log is SQLite in the user's
data folder, so "My calls" and "My day" work offline; it is written and read off the UI thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from desktop import paths, secret_store
from desktop.agent.state import StateChange
from desktop.calls.model import Call
from desktop.threads import run_in_thread
from store.client import StoreClient

log = logging.getLogger(__name__)

KEEP_DAYS = 90  # the local log is a convenience, the store keeps the record
STORE_DETAILS_MAX = 200  # store-only calls fetched in full per query (for answer/hold times)
_COLUMNS = (
    "call_id",
    "direction",
    "number",
    "started_us",
    "display_name",
    "answered_us",
    "ended_us",
    "hold_us",
    "ended_by",
    "disposition",
    "sip_call_id",
)


@dataclass(frozen=True)
class CallEntry:
    """One past call as "My calls" lists it; times are UTC microseconds."""

    call_id: str
    direction: str  # inbound | outbound | internal
    number: str
    started_us: int  # ringing (inbound) or dialled (outbound)
    display_name: str = ""
    answered_us: int | None = None
    ended_us: int | None = None
    hold_us: int = 0
    ended_by: str = ""
    disposition: str = ""
    sip_call_id: str = ""
    source: str = "local"  # local | store | both

    @property
    def answered(self) -> bool:
        return self.answered_us is not None

    @property
    def missed(self) -> bool:
        """An inbound call nobody answered (rejected, timed out or given up by the caller)."""
        return self.direction == "inbound" and not self.answered

    @property
    def connected_us(self) -> int:
        """From answer to end (talk plus hold); 0 for an unanswered call."""
        if self.answered_us is None or self.ended_us is None:
            return 0
        return max(0, self.ended_us - self.answered_us)

    @property
    def talk_us(self) -> int:
        return max(0, self.connected_us - self.hold_us)


def entry_of(call: Call) -> CallEntry:
    """An ended call as the local log keeps it."""
    ended = call.ended_us if call.ended_us is not None else call.started_us
    return CallEntry(
        call_id=call.call_id,
        direction=call.direction or "inbound",
        number=call.number,
        started_us=call.started_us,
        display_name=call.display_name,
        answered_us=call.answered_us,
        ended_us=ended,
        hold_us=call.hold_us(),
        ended_by=call.ending.ended_by if call.ending is not None else "",
        sip_call_id=call.sip_call_id,
    )


class CallLog:
    """The local call log: one SQLite file, opened on first use (on a worker thread: the UI
    thread never touches the disk) and safe to share between threads."""

    def __init__(self, path: Path, keep_days: int = KEEP_DAYS) -> None:
        self.path = path
        self.keep_days = keep_days
        self._lock = threading.Lock()
        self._opened: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        """The connection (call with the lock held); opens and prunes the file once."""
        if self._opened is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False)
            with db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS calls (call_id TEXT PRIMARY KEY, direction TEXT, "
                    "number TEXT, started_us INTEGER, display_name TEXT, answered_us INTEGER, "
                    "ended_us INTEGER, hold_us INTEGER, ended_by TEXT, disposition TEXT, "
                    "sip_call_id TEXT)"
                )
                db.execute("CREATE INDEX IF NOT EXISTS calls_started ON calls (started_us)")
                cutoff = (time.time_ns() // 1000) - self.keep_days * 86_400_000_000
                db.execute("DELETE FROM calls WHERE started_us < ?", (cutoff,))
            self._opened = db
        return self._opened

    def add(self, entry: CallEntry) -> None:
        values = tuple(getattr(entry, c) for c in _COLUMNS)
        marks = ", ".join("?" * len(_COLUMNS))
        with self._lock, self._db() as db:
            db.execute(
                f"INSERT OR REPLACE INTO calls ({', '.join(_COLUMNS)}) VALUES ({marks})", values
            )

    def between(self, from_us: int, to_us: int) -> list[CallEntry]:
        """Calls that started in [from_us, to_us), newest first."""
        with self._lock:
            rows = (
                self._db()
                .execute(
                    f"SELECT {', '.join(_COLUMNS)} FROM calls WHERE started_us >= ? AND "
                    "started_us < ? ORDER BY started_us DESC",
                    (from_us, to_us),
                )
                .fetchall()
            )
        return [CallEntry(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            if self._opened is not None:
                self._opened.close()
                self._opened = None


def default_log_path() -> Path:
    """``agentdesk/calls.sqlite3`` in the user's data folder (the demo's: desktop/paths.py)."""
    return paths.data_root() / "calls.sqlite3"


def from_store(call: Any) -> CallEntry:
    """A store call (a search summary or a whole call) as an entry."""
    holds = call.get("holds") or []
    held = sum(max(0, (h.get("end_us") or h["start_us"]) - h["start_us"]) for h in holds)
    answered, ended = call.get("answered_us"), call.get("ended_us")
    if "answered_us" not in call and call.get("duration_s"):
        # a search summary knows only the talk time (ended − answered): placed at the start
        answered = int(call["started_us"])
        ended = answered + round(float(call["duration_s"]) * 1e6)
    return CallEntry(
        call_id=str(call["id"]),
        direction=str(call["direction"]),
        number=str(call.get("remote_number") or ""),
        started_us=int(call["started_us"]),
        answered_us=answered,
        ended_us=ended,
        hold_us=held,
        ended_by=str(call.get("ended_by") or ""),
        disposition=str(call.get("disposition") or ""),
        sip_call_id=str(call.get("sip_call_id") or ""),
        source="store",
    )


def merge(local: Iterable[CallEntry], store: Iterable[CallEntry]) -> list[CallEntry]:
    """One list by call id, newest first: the local entry keeps its times (it saw the call
    happen), the store adds what the operator filled in later (the disposition)."""
    merged = {e.call_id: e for e in store}
    for entry in local:
        remote = merged.get(entry.call_id)
        if remote is None:
            merged[entry.call_id] = entry
        else:
            merged[entry.call_id] = dataclasses.replace(
                entry, disposition=remote.disposition or entry.disposition, source="both"
            )
    return sorted(merged.values(), key=lambda e: e.started_us, reverse=True)


def fetch_store_calls(
    client: Any, from_us: int, to_us: int, known: Iterable[str] = ()
) -> list[CallEntry]:
    """The operator's calls in the store that started in [from_us, to_us).

    A token of role ``agent`` sees only its own calls. Calls the local log does not know
    (``known``) are fetched whole, so their answer and hold times count in "My day".
    """
    have = set(known)
    out: list[CallEntry] = []
    details = 0
    for summary in client.iter_calls(from_us=from_us, to_us=to_us - 1, sort="started"):
        call: Any = summary
        if summary["id"] not in have and details < STORE_DETAILS_MAX:
            call = client.get_call(summary["id"])
            details += 1
        out.append(from_store(call))
    return out


@dataclass(frozen=True)
class HistoryResult:
    """What "My calls" shows: the merged calls and why the store's part is missing, if it is."""

    calls: list[CallEntry]
    store_problem: str = ""
    from_store: int = 0


StoreFetch = Callable[[int, int, list[str]], list[CallEntry]]


class CallHistory(QObject):
    """The Qt side: records finished calls off the UI thread and loads merged histories."""

    changed = Signal()  # a call was written to the local log

    def __init__(
        self, call_log: CallLog, store: StoreFetch | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.call_log = call_log
        self.store = store

    @Slot(object)
    def on_call_ended(self, call: Call) -> None:
        """Connect to :attr:`CallBook.ended`: the call goes into the local log."""
        entry = entry_of(call)
        run_in_thread(lambda: self.call_log.add(entry), self._written)

    @Slot(list)
    def on_calls_recovered(self, records: list[dict[str, Any]]) -> None:
        """Connect to ``UploadQueue.recovered``: calls a crash left open, ended at the next
        start, go into the local log too."""
        entries = [replace(from_store(record), source="local") for record in records]

        def add() -> None:
            for entry in entries:
                self.call_log.add(entry)

        run_in_thread(add, self._written)

    def _written(self, future: Future[None]) -> None:
        exc = future.exception()
        if exc is not None:
            log.warning("the local call log could not be written: %s", exc)
            return
        self.changed.emit()

    def load(
        self, from_us: int, to_us: int, on_done: Callable[[HistoryResult], None]
    ) -> Future[HistoryResult]:
        """Local plus store calls of [from_us, to_us), delivered on the UI thread."""
        store = self.store

        def work() -> HistoryResult:
            local = self.call_log.between(from_us, to_us)
            if store is None:
                return HistoryResult(local)
            try:
                remote = store(from_us, to_us, [e.call_id for e in local])
            except Exception as exc:  # the store is down, the token refused: local still shows
                return HistoryResult(local, store_problem=str(exc) or type(exc).__name__)
            return HistoryResult(merge(local, remote), from_store=len(remote))

        def done(future: Future[HistoryResult]) -> None:
            exc = future.exception()
            if exc is not None:
                log.warning("the call history could not be read: %s", exc)
                on_done(HistoryResult([], store_problem=str(exc)))
                return
            on_done(future.result())

        return run_in_thread(work, done)

    def follow_store(self, url: str, ca_file: str) -> None:
        """Saved settings name this store: read it from now on."""
        self.store = store_fetch(url, ca_file)
        self.changed.emit()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.call_log.close()


class WrapUpTally:
    """Wrap-up periods from the agent-state changes, kept in memory for "My day";
    ``on_done`` runs after each finished wrap-up."""

    def __init__(self, on_done: Callable[[], None] | None = None) -> None:
        self.periods: list[tuple[int, int]] = []  # (start_us, end_us)
        self.on_done = on_done
        self._since: int | None = None

    def on_change(self, change: StateChange) -> None:
        if change.state == "wrap_up":
            self._since = change.at_us
        elif change.previous == "wrap_up" and self._since is not None:
            self.periods.append((self._since, change.at_us))
            self._since = None
            if self.on_done is not None:
                self.on_done()

    def seconds_since(self, start_us: int) -> list[float]:
        """Durations of the wrap-ups that began at or after ``start_us``."""
        return [(end - begin) / 1e6 for begin, end in self.periods if begin >= start_us]


@dataclass(frozen=True)
class DayFigures:
    """ "My day": counts and times (seconds) of the operator's calls."""

    answered: int
    missed: int
    made: int
    talk_s: float
    hold_s: float
    wrap_s: float
    handled: int  # calls that were connected (answered inbound + answered outbound)

    @property
    def average_handle_s(self) -> float | None:
        """(talk + hold + wrap-up) / handled calls; None before the first handled call."""
        if not self.handled:
            return None
        return (self.talk_s + self.hold_s + self.wrap_s) / self.handled


def day_figures(calls: Iterable[CallEntry], wrapups_s: Iterable[float] = ()) -> DayFigures:
    """The figures of a day's calls; wrap-up durations come from the agent-state model."""
    items = list(calls)
    return DayFigures(
        answered=sum(1 for c in items if c.direction == "inbound" and c.answered),
        missed=sum(1 for c in items if c.missed),
        made=sum(1 for c in items if c.direction == "outbound"),
        talk_s=sum(c.talk_us for c in items) / 1e6,
        hold_s=sum(min(c.hold_us, c.connected_us) for c in items if c.answered) / 1e6,
        wrap_s=float(sum(wrapups_s)),
        handled=sum(1 for c in items if c.answered),
    )


def store_fetch(url: str, ca_file: str = "") -> StoreFetch | None:
    """How "My calls" reads the store at ``url`` ('' = no store): with the token from the
    keyring, on the worker thread that loads the history."""
    if not url:
        return None

    def fetch(from_us: int, to_us: int, known: list[str]) -> list[CallEntry]:
        token = secret_store.read_store_token(url)
        if not token:
            raise RuntimeError(f"no store token in the keyring for {url}: set it in Settings")
        with StoreClient(url, token, ca_bundle=ca_file or None, timeout=(3.0, 15.0)) as client:
            return fetch_store_calls(client, from_us, to_us, known)

    return fetch

"""`agentdesk-store pbx-feed`: follows Asterisk's queue_log as it grows and sends its lines to
the store, exactly once.

Where it is is kept in a state file (the file's inode, the byte offset after the last line the
store acknowledged, the line number there, and a fingerprint of the file's first bytes),
written atomically (temp file, fsync, rename) only after the store answered; the store keeps
each line once (its key), so a batch sent again after a crash between the store's answer and
the state write adds nothing. Rotation:

- rename + new file: the path's inode changes; the old file is found by its inode among the
  files next to the path (queue_log.1, …), read to its end, then the new file from its start;
- copytruncate: the file is shorter than the offset, or its first bytes changed; the copy is
  found among the files next to it by those first bytes, read from the offset to its end,
  then the truncated file from its start.

A store outage (or any refusal) keeps the batch and retries it with a growing pause; nothing is
skipped. A line it cannot read (cut in half, a wrong field count, a non-numeric epoch, invalid
UTF-8) is logged with its file and line number, counted, and skipped. A line still being
written (no newline yet) waits, unless its file was rotated away.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from store.pbx.queue_log import BadLine, parse_bytes

log = logging.getLogger("store.pbx.feed")
HEAD = 1024  # bytes of a file's start that identify it
MAX_BATCH_LINES = 2000
MAX_BATCH_BYTES = 1024 * 1024
MAX_LINE = 64 * 1024  # a longer "line" is read in pieces, each unreadable
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".z")
SETTLE_S = 2.0  # a rotated-away file unchanged this long is finished (the PBX reopened its log)
TOKEN_ENV = "AGENTDESK_STORE_TOKEN"
KEYRING_SERVICE, KEYRING_USER = "agentdesk", "store-token"  # as the desktop's uploader


def store_token() -> str | None:
    """The store's token: $AGENTDESK_STORE_TOKEN, else the keyring (None: neither has one)."""
    token = os.environ.pop(TOKEN_ENV, "") or None  # not inherited by anything we start
    if token is None:
        try:
            import keyring

            token = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        except Exception as exc:  # no usable keyring backend
            log.warning("the keyring cannot be read (%s)", type(exc).__name__)
    return token


class Sender(Protocol):
    def send_queue_log(self, text: str) -> dict[str, Any]: ...


@dataclass
class Counters:
    sent: int = 0
    stored: int = 0
    duplicates: int = 0
    bad: int = 0
    last_bad: str = ""


@dataclass
class FeedState:
    inode: int | None = None
    offset: int = 0
    line: int = 0
    head_len: int = 0
    head_sha: str = ""
    counters: Counters = field(default_factory=Counters)

    @classmethod
    def load(cls, path: Path) -> FeedState:
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        counters = Counters(**raw.pop("counters", {}))
        return cls(**raw, counters=counters)

    def save(self, path: Path) -> None:
        """Atomically: a crash leaves the old state or the new one, never half of either."""
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "w") as fh:
            json.dump(asdict(self), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _head(path: Path, length: int) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read(length)).hexdigest()


class QueueLogFeed:
    def __init__(
        self,
        log_path: Path,
        state_path: Path,
        sender: Sender,
        *,
        settle_s: float = SETTLE_S,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.log_path = log_path
        self.state_path = state_path
        self.sender = sender
        self.state = FeedState.load(state_path)
        self.settle_s = settle_s
        self._stopped = threading.Event()
        self.sleep = sleep or self._wait
        self.retry = True  # False: a failed send ends the run (run(once=True))
        self.failed = False

    # --- status ---------------------------------------------------------------------------

    def status(self) -> str:
        c = self.state.counters
        text = (
            f"queue_log feed: {c.sent} lines sent, {c.stored} stored, {c.duplicates} already "
            f"there, {c.bad} unreadable; at line {self.state.line} (byte {self.state.offset}) "
            f"of {self.log_path}"
        )
        return text + (f"; last unreadable: {c.last_bad}" if c.last_bad else "")

    # --- finding the file -----------------------------------------------------------------

    def _siblings(self) -> list[Path]:
        base = self.log_path.name
        own = (self.state_path.name, f".{self.state_path.name}.tmp")
        try:
            found = [
                p for p in self.log_path.parent.iterdir()
                if p.name.startswith(base) and p.name != base and p.name not in own
                and not p.name.lower().endswith(COMPRESSED) and p.is_file()
            ]  # fmt: skip
        except OSError:
            return []
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    def _by_inode(self, inode: int) -> Path | None:
        for path in self._siblings():
            with contextlib.suppress(OSError):
                if path.stat().st_ino == inode:
                    return path
        return None

    def _copy_of_head(self) -> Path | None:
        s = self.state
        for path in self._siblings():
            with contextlib.suppress(OSError):
                if path.stat().st_size >= s.offset and _head(path, s.head_len) == s.head_sha:
                    return path
        return None

    def _start(self, inode: int) -> None:
        s = self.state
        s.inode, s.offset, s.line, s.head_len, s.head_sha = inode, 0, 0, 0, ""

    def _current(self) -> tuple[Path, bool] | None:
        """The file to read now and whether it was rotated away (read it to its very end)."""
        try:
            st = self.log_path.stat()
        except FileNotFoundError:
            old = self._by_inode(self.state.inode) if self.state.inode is not None else None
            return (old, True) if old is not None else None
        s = self.state
        if s.inode is None:
            self._start(st.st_ino)
        if s.inode is not None and st.st_ino != s.inode:  # renamed: finish the old file first
            old = self._by_inode(s.inode)
            if old is not None:
                return old, True
            log.warning(
                "%s was rotated and its old file is gone: lines after byte %d of it are lost",
                self.log_path, s.offset,
            )  # fmt: skip
            self._start(st.st_ino)
            self.save()
            return self.log_path, False
        truncated = st.st_size < s.offset or (
            s.head_len > 0 and _head(self.log_path, s.head_len) != s.head_sha
        )
        if truncated:  # copytruncate: the copy holds what was not read yet
            copy = self._copy_of_head()
            if copy is not None:
                log.info("%s was copied to %s and truncated: reading the rest there",
                         self.log_path, copy.name)  # fmt: skip
                s.inode = copy.stat().st_ino
                self.save()
                return copy, True
            log.warning(
                "%s was truncated and no copy of it is found: lines after byte %d are lost",
                self.log_path, s.offset,
            )  # fmt: skip
            self._start(st.st_ino)
            self.save()
        return self.log_path, False

    # --- reading and sending --------------------------------------------------------------

    def _read_batch(self, path: Path, rotated: bool) -> tuple[list[tuple[int, bytes]], int]:
        """Complete lines after the offset: [(line number, bytes with the newline)], and the
        offset after them. A rotated-away file's last line is taken even without its newline
        (then it was cut)."""
        out: list[tuple[int, bytes]] = []
        offset, number = self.state.offset, self.state.line
        with open(path, "rb") as fh:
            settled = rotated and time.time() - os.fstat(fh.fileno()).st_mtime >= self.settle_s
            fh.seek(offset)
            size = 0
            while len(out) < MAX_BATCH_LINES and size < MAX_BATCH_BYTES:
                raw = fh.readline(MAX_LINE)
                if not raw:
                    break
                if not raw.endswith(b"\n") and not settled and len(raw) < MAX_LINE:
                    break  # still being written
                number += 1
                offset += len(raw)
                size += len(raw)
                out.append((number, raw))
        return out, offset

    def save(self) -> None:
        self.state.save(self.state_path)

    def _settled(self, path: Path) -> bool:
        try:
            return time.time() - path.stat().st_mtime >= self.settle_s
        except OSError:
            return True

    def step(self) -> bool:
        """Send what is there now (one batch); True if there may be more."""
        current = self._current()
        if current is None:
            return False
        path, rotated = current
        lines, offset = self._read_batch(path, rotated)
        if not lines:
            if rotated and self.log_path.exists() and self._settled(path):
                self._start(self.log_path.stat().st_ino)  # the old file is done: the new one
                self.save()
                return True
            return False
        good: list[str] = []
        c = self.state.counters
        for number, raw in lines:
            try:
                if not raw.endswith(b"\n"):  # the PBX writes whole lines: this one was cut
                    raise BadLine("cut: no end of line")
                raw = raw.rstrip(b"\r\n")
                parse_bytes(raw)
            except BadLine as exc:
                c.bad += 1
                c.last_bad = f"{path.name}:{number}: {exc}"
                log.warning("unreadable line %s", c.last_bad)
                continue
            good.append(raw.decode("utf-8"))
        if good:
            answer = self._send("\n".join(good) + "\n")
            if answer is None:
                return False
            c.sent += answer["received"]
            c.stored += answer["stored"]
            c.duplicates += answer["duplicates"]
            for item in answer.get("rejected", []):
                c.bad += 1
                c.last_bad = (
                    f"{path.name}: the store refused line {item['line']} of a batch: "
                    + (item["reason"])
                )
                log.warning("%s", c.last_bad)
            log.info("%s", self.status())
        self.state.offset, self.state.line = offset, lines[-1][0]
        if not rotated:
            self.state.head_len = min(HEAD, offset)
            self.state.head_sha = _head(path, self.state.head_len)
        self.save()
        return True

    def _send(self, text: str) -> dict[str, Any] | None:
        """The store's answer, retried with a growing pause while it does not give one; None
        when asked to stop meanwhile (nothing is lost: the state did not move)."""
        pause = 0.5
        while not self.stopping:
            try:
                return self.sender.send_queue_log(text)
            except Exception as exc:  # the store down, refusing, or the network
                if not self.retry:
                    log.error("the store did not take the lines (%s)", exc)
                    self.failed = True
                    return None
                log.warning("the store did not take the lines (%s); again in %.1f s", exc, pause)
                self.sleep(pause)
                pause = min(pause * 2, 30.0)
        return None

    @property
    def stopping(self) -> bool:
        return self._stopped.is_set() or self.failed

    def run(self, *, once: bool = False, poll_s: float = 0.5) -> None:
        """Follow the file until stopped (SIGTERM/SIGINT); `once`: until nothing is left, or
        the store does not take a batch (then `failed`)."""
        self.retry = not once
        while not self.stopping:
            more = self.step()
            if once and not more:
                return
            if not more:
                self.sleep(poll_s)

    def _wait(self, seconds: float) -> None:
        self._stopped.wait(seconds)

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self._stopped.set()


def main(
    log_path: Path, state_path: Path, sender: Sender, once: bool, poll_s: float, settle_s: float
) -> int:
    state_path.parent.mkdir(parents=True, exist_ok=True)
    feed = QueueLogFeed(log_path, state_path, sender, settle_s=settle_s)
    signal.signal(signal.SIGTERM, feed.stop)
    signal.signal(signal.SIGINT, feed.stop)
    try:
        feed.run(once=once, poll_s=poll_s)
    finally:
        print(feed.status(), flush=True)
    return 1 if feed.failed else 0

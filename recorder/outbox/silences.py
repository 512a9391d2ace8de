"""When the call audio must be silent: the spans of pauses and masks, kept beside the outbox.

The worker notes every change of what is blacked out (a manual pause, a sensitive card field
focused, a masked window title, titles unreadable) as one JSON line ``{"at_us", "reasons"}``
in ``OUTBOX/silences.jsonl``; a span runs from a line with reasons to the next line. The
uploader silences those spans in a call's WAV when it packs it for upload
(:mod:`recorder.outbox.audio_pack`), so the audio that leaves the PC is silent where the
screen was paused. The WAV itself (written by the softphone) still holds the sound until it is
uploaded and deleted.

Lines are appended and fsynced, so the spans survive a crash: a worker that died while paused
left an open span, which the next worker closes when it starts (the desktop then replays its
pause at once). Spans that ended more than :data:`RETAIN_US` ago are dropped at start.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from formats.clock import utc_us

log = logging.getLogger(__name__)

SILENCES_NAME = "silences.jsonl"
RETAIN_US = 90 * 86_400 * 1_000_000


@dataclass(frozen=True)
class Silence:
    """The audio is to be silent from ``start_us`` to ``end_us`` (None: still) because of
    ``reasons``."""

    start_us: int
    end_us: int | None
    reasons: tuple[str, ...]


class SilenceJournal:
    """The spans of one outbox; thread-safe (the worker writes, the uploader reads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._changes: list[tuple[int, tuple[str, ...]]] = self._load()

    @property
    def reasons(self) -> tuple[str, ...]:
        """What silences the audio now (as last noted)."""
        with self._lock:
            return self._changes[-1][1] if self._changes else ()

    def note(self, reasons: list[str] | tuple[str, ...], at_us: int | None = None) -> bool:
        """From ``at_us`` (default now; never before the last change) on, ``reasons`` hold
        (empty: none); True if that is a change. OSError if the line cannot be written (the
        change is kept in memory)."""
        now = utc_us() if at_us is None else at_us
        value = tuple(sorted(set(reasons)))
        with self._lock:
            if self._changes and self._changes[-1][1] == value:
                return False
            if self._changes:
                now = max(now, self._changes[-1][0])
            self._changes.append((now, value))
            line = json.dumps({"at_us": now, "reasons": list(value)}) + "\n"
            self._append(line)
        return True

    def spans(self, from_us: int, to_us: int | None = None) -> list[Silence]:
        """The silent spans overlapping ``from_us``..``to_us`` (None: until now and on)."""
        with self._lock:
            changes = list(self._changes)
        out: list[Silence] = []
        for i, (start, reasons) in enumerate(changes):
            if not reasons:
                continue
            end = changes[i + 1][0] if i + 1 < len(changes) else None
            if (end is None or end > from_us) and (to_us is None or start < to_us):
                out.append(Silence(start, end, reasons))
        return out

    # ----- the file ------------------------------------------------------------------

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _load(self) -> list[tuple[int, tuple[str, ...]]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.error("silences: %s cannot be read: %s", self.path, exc)
            return []
        changes: list[tuple[int, tuple[str, ...]]] = []
        for number, raw in enumerate(text.splitlines(), 1):
            try:
                data = json.loads(raw)
                at, reasons = int(data["at_us"]), tuple(str(r) for r in data["reasons"])
            except (ValueError, KeyError, TypeError):
                log.warning("silences: line %d of %s is not a change; skipped", number, self.path)
                continue
            changes.append((at, reasons))
        changes.sort(key=lambda c: c[0])
        cutoff = utc_us() - RETAIN_US
        first = 0
        while first + 1 < len(changes) and changes[first + 1][0] < cutoff:
            first += 1
        if first:
            changes = changes[first:]
            self._rewrite(changes)
        return changes

    def _rewrite(self, changes: list[tuple[int, tuple[str, ...]]]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                for at, reasons in changes:
                    out.write(json.dumps({"at_us": at, "reasons": list(reasons)}) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("silences: %s not trimmed: %s", self.path, exc)
            tmp.unlink(missing_ok=True)

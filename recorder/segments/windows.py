"""Recording windows, the recording policy, and which spooled segments belong to which call.

Pure logic: no screen, no files, no threads; times are UTC µs passed in by the caller (the
worker, ``recorder/worker.py``), so every rule here is unit-tested without a display.

- A **window** opens when a call rings or is dialled and closes when its wrap-up ends (a close
  may be scheduled for a later time: the end of the call plus the wrap-up seconds). The
  :class:`RecordingPolicy` decides at opening whether the call is recorded, recorded only from
  the caller's consent on, or not at all.
- A recorded window includes a **pre-roll** of ``preroll_s`` before it opened. The worker
  records all the time into a spool of short segments; :class:`SpoolIndex` says which of them
  a window's pre-roll claims, which finished segments may leave the spool for the uploader
  (no window opening later can still claim them) and which are deleted (nobody claimed them).
- A segment lists every call whose window (pre-roll included) overlaps it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ALL, SAMPLED, CONSENT, OFF = "all", "sampled", "consent", "off"
MODES = (ALL, SAMPLED, CONSENT, OFF)
RECORDING, AWAITING_CONSENT, NOT_RECORDED = "recording", "awaiting_consent", "not_recorded"


def sampled_in(call_id: str, percent: float) -> bool:
    """Whether ``call_id`` falls in the sampled ``percent`` (deterministic: same id, same
    answer, in every process and after restarts; steps of 0.01 %)."""
    bucket = int.from_bytes(hashlib.sha256(call_id.encode()).digest()[:8], "big") % 10_000
    return bucket < round(percent * 100)


@dataclass(frozen=True)
class Decision:
    state: str  # RECORDING | AWAITING_CONSENT | NOT_RECORDED
    reason: str = ""


def _checked_mode(where: str, mode: str, percent: float) -> None:
    if mode not in MODES:
        raise ValueError(f"{where}.mode: {mode!r} is not one of {', '.join(MODES)}")
    if not 0 <= percent <= 100:
        raise ValueError(f"{where}.sample_percent: {percent} is not 0..100")


def _percent(where: str, data: Mapping[str, Any]) -> float:
    percent = data.get("sample_percent", 100.0)
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        raise ValueError(f"{where}.sample_percent: expected a number, got {percent!r}")
    return float(percent)


@dataclass(frozen=True)
class QueueRule:
    """How the calls of one queue are recorded (the company policy's queue rules)."""

    queue: str
    mode: str = ALL
    sample_percent: float = 100.0

    def __post_init__(self) -> None:
        _checked_mode(f"policy.queues.{self.queue}", self.mode, self.sample_percent)


@dataclass(frozen=True)
class RecordingPolicy:
    """Which calls are recorded: ``all``, a ``sampled`` percentage, only after the caller's
    ``consent``, or none (``off``); a call whose queue has a rule in ``queues`` follows that
    rule instead; never for the agents or queues listed as off."""

    mode: str = ALL
    sample_percent: float = 100.0
    off_agents: frozenset[str] = frozenset()
    off_queues: frozenset[str] = frozenset()
    queues: tuple[QueueRule, ...] = ()

    def __post_init__(self) -> None:
        _checked_mode("policy", self.mode, self.sample_percent)
        # one rule per queue, in order: equal policies compare equal
        rules = {r.queue: r for r in self.queues}
        object.__setattr__(self, "queues", tuple(rules[q] for q in sorted(rules)))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordingPolicy:
        """From ``{mode, sample_percent, off_agents, off_queues, queues: {QUEUE: {mode,
        sample_percent}}}``; ValueError names the key."""
        unknown = set(data) - {"mode", "sample_percent", "off_agents", "off_queues", "queues"}
        if unknown:
            raise ValueError(f"policy: unknown key(s) {', '.join(sorted(unknown))}")
        percent = _percent("policy", data)
        lists = {}
        for key in ("off_agents", "off_queues"):
            values = data.get(key, [])
            if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"policy.{key}: expected a list of strings")
            lists[key] = frozenset(values)
        rules = data.get("queues", {})
        if not isinstance(rules, Mapping):
            raise ValueError("policy.queues: expected an object of queue rules")
        queues = []
        for queue, rule in sorted(rules.items()):
            where = f"policy.queues.{queue}"
            if not isinstance(rule, Mapping) or set(rule) - {"mode", "sample_percent"}:
                raise ValueError(f"{where}: expected {{mode, sample_percent}}")
            queues.append(QueueRule(queue, str(rule.get("mode", ALL)), _percent(where, rule)))
        return cls(str(data.get("mode", ALL)), percent, **lists, queues=tuple(queues))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "mode": self.mode,
            "sample_percent": self.sample_percent,
            "off_agents": sorted(self.off_agents),
            "off_queues": sorted(self.off_queues),
        }
        if self.queues:
            data["queues"] = {
                r.queue: {"mode": r.mode, "sample_percent": r.sample_percent} for r in self.queues
            }
        return data

    def decide(self, call_id: str, agent: str = "", queue: str = "") -> Decision:
        if agent and agent in self.off_agents:
            return Decision(NOT_RECORDED, f"recording is off for agent {agent}")
        if queue and queue in self.off_queues:
            return Decision(NOT_RECORDED, f"recording is off for queue {queue}")
        mode, percent, whose = self.mode, self.sample_percent, ""
        for rule in self.queues:
            if queue and rule.queue == queue:
                mode, percent, whose = rule.mode, rule.sample_percent, f" for queue {queue}"
        if mode == OFF:
            return Decision(NOT_RECORDED, f"the recording policy is off{whose}")
        if mode == SAMPLED and not sampled_in(call_id, percent):
            return Decision(NOT_RECORDED, f"not in the {percent:g} % sample{whose}")
        if mode == CONSENT:
            return Decision(AWAITING_CONSENT, "waiting for the caller's consent")
        return Decision(RECORDING)


@dataclass
class RecordingWindow:
    """One call's window. ``recording_from_us`` is where its recording starts: the opening
    minus the pre-roll, or the consent moment (no pre-roll: nothing before consent)."""

    call_id: str
    opened_us: int
    state: str
    reason: str = ""
    queue: str = ""
    agent: str = ""
    preroll_us: int = 0
    recording_from_us: int | None = None
    close_at_us: int | None = None  # a scheduled close (the end of wrap-up)
    closed_us: int | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_us is None

    @property
    def recording(self) -> bool:
        return self.is_open and self.state == RECORDING

    def to_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "state": self.state,
            "reason": self.reason,
            "queue": self.queue,
            "agent": self.agent,
            "opened_us": self.opened_us,
            "recording_from_us": self.recording_from_us,
            "close_at_us": self.close_at_us,
        }


class RecordingWindows:
    """The calls' windows, open and recently closed (the latter for late pre-roll claims)."""

    def __init__(
        self,
        policy: RecordingPolicy | None = None,
        preroll_s: float = 5.0,
        keep_closed_s: float = 120.0,
    ) -> None:
        if preroll_s < 0:
            raise ValueError(f"preroll_s must be >= 0, got {preroll_s}")
        self.policy = policy or RecordingPolicy()
        self.preroll_us = round(preroll_s * 1e6)
        self.keep_closed_us = round(keep_closed_s * 1e6)
        self._windows: dict[str, RecordingWindow] = {}

    def get(self, call_id: str) -> RecordingWindow | None:
        return self._windows.get(call_id)

    def open(
        self, call_id: str, at_us: int, *, queue: str = "", agent: str = ""
    ) -> RecordingWindow:
        """Open ``call_id``'s window (again: returned unchanged while it is still open)."""
        window = self._windows.get(call_id)
        if window is not None and window.is_open:
            return window
        decision = self.policy.decide(call_id, agent, queue)
        window = RecordingWindow(call_id, at_us, decision.state, decision.reason, queue, agent)
        if decision.state == RECORDING:
            window.preroll_us = self.preroll_us
            window.recording_from_us = at_us - self.preroll_us
        self._windows[call_id] = window
        return window

    def consent(self, call_id: str, at_us: int) -> RecordingWindow:
        """The caller consented: a window waiting for it records from ``at_us`` on."""
        window = self._windows.get(call_id)
        if window is None or not window.is_open:
            raise KeyError(f"no open recording window for call {call_id}")
        if window.state == AWAITING_CONSENT:
            window.state, window.reason = RECORDING, "the caller consented"
            window.recording_from_us = at_us
        return window

    def close(self, call_id: str, at_us: int, now_us: int) -> RecordingWindow | None:
        """Close at ``at_us``: now if that has come, else scheduled (see :meth:`due`).
        None for an unknown or already closed call. A later close replaces a scheduled one."""
        window = self._windows.get(call_id)
        if window is None or not window.is_open:
            return None
        if at_us > now_us:
            window.close_at_us = at_us
        else:
            window.close_at_us = None
            window.closed_us = max(at_us, window.opened_us)
        return window

    def due(self, now_us: int) -> list[RecordingWindow]:
        """Close the windows whose scheduled close has come; return them."""
        closed = []
        for window in self._windows.values():
            if window.is_open and window.close_at_us is not None and window.close_at_us <= now_us:
                window.closed_us, window.close_at_us = window.close_at_us, None
                closed.append(window)
        return closed

    def prune(self, now_us: int) -> None:
        """Forget windows closed longer ago than ``keep_closed_s``."""
        for call_id, window in list(self._windows.items()):
            if window.closed_us is not None and window.closed_us < now_us - self.keep_closed_us:
                del self._windows[call_id]

    def open_windows(self) -> list[RecordingWindow]:
        return [w for w in self._windows.values() if w.is_open]

    def active_ids(self) -> list[str]:
        """The calls being recorded now, in the order their windows opened."""
        return [w.call_id for w in self._windows.values() if w.recording]

    def next_close_us(self) -> int | None:
        times = [w.close_at_us for w in self.open_windows() if w.close_at_us is not None]
        return min(times) if times else None

    def claims(self, start_us: int, end_us: int) -> list[str]:
        """Calls whose recording overlaps the finished segment ``[start, end]``: for a segment
        recorded without their ids (before the window opened: its pre-roll; or in a race with
        the opening). A consent window claims only segments that began at or after consent:
        the one cut at the consent moment holds what came before it."""
        claimed = []
        for w in self._windows.values():
            begin = w.recording_from_us
            if begin is None or (w.closed_us is not None and start_us >= w.closed_us):
                continue
            if (start_us >= begin) if w.preroll_us == 0 else (end_us > begin):
                claimed.append(w.call_id)
        return claimed


@dataclass
class SpoolSegment:
    """A finished segment still in the spool; ``name`` is its manifest's file name."""

    name: str
    start_us: int
    end_us: int
    call_ids: list[str] = field(default_factory=list)
    hold_until_us: int = 0  # not settled before this (segments left over by a dead worker)

    def add_ids(self, call_ids: Iterable[str]) -> bool:
        """Add ``call_ids``; whether anything was new."""
        merged = list(dict.fromkeys([*self.call_ids, *call_ids]))
        changed = merged != self.call_ids
        self.call_ids = merged
        return changed


class SpoolIndex:
    """Finished segments waiting in the spool until no window opening later can claim them.

    A window may open at most ``late_s`` after its ``at_us`` (the time the desktop stamped on
    the call event), and claims ``preroll_s`` before that, so a segment that ended more than
    ``preroll_s + late_s`` ago is settled: kept for the uploader if it lists a call, deleted if
    not.
    """

    def __init__(self, preroll_s: float = 5.0, late_s: float = 2.0) -> None:
        self.hold_us = round((preroll_s + late_s) * 1e6)
        self._segments: dict[str, SpoolSegment] = {}

    def __len__(self) -> int:
        return len(self._segments)

    def lists(self, call_id: str) -> bool:
        """Whether a segment still in the spool lists the call (more may be kept for it)."""
        return any(call_id in s.call_ids for s in self._segments.values())

    def add(self, segment: SpoolSegment) -> None:
        self._segments[segment.name] = segment

    def claim(self, call_id: str, from_us: int) -> list[SpoolSegment]:
        """Add ``call_id`` to the segments that end after ``from_us`` (a window opening with
        its pre-roll); return those that changed (their manifests need rewriting)."""
        return [s for s in self._segments.values() if s.end_us > from_us and s.add_ids([call_id])]

    def settle(self, now_us: int) -> tuple[list[SpoolSegment], list[SpoolSegment]]:
        """(to keep, to delete): the segments nobody can claim any more, out of the index."""
        done = [
            s
            for s in self._segments.values()
            if s.end_us < now_us - self.hold_us and s.hold_until_us <= now_us
        ]
        return self._split(done)

    def drain(self) -> tuple[list[SpoolSegment], list[SpoolSegment]]:
        """(to keep, to delete): everything (the worker is stopping)."""
        return self._split(list(self._segments.values()))

    def _split(self, done: list[SpoolSegment]) -> tuple[list[SpoolSegment], list[SpoolSegment]]:
        for segment in done:
            del self._segments[segment.name]
        done.sort(key=lambda s: s.start_us)
        return [s for s in done if s.call_ids], [s for s in done if not s.call_ids]

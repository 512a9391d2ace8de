"""Monitoring grants: which supervisor may call this softphone into which session, and what
survives a restart of the engine's process.

A grant (from the store, through the desktop) names a session id, the supervisor's SIP user,
a mode and an expiry. The engine admits a monitoring INVITE only for a granted, unexpired,
unused session id whose From user is that supervisor; each grant admits one call. The
process side (:class:`GrantReplay`) keeps the grants a new engine process must get again and
the sessions a lost one ends. Plain Python: no pjsua2 here.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from formats.clock import utc_us
from sip import events as ev
from sip.errors import ConfigError

MONITOR_HEADER = "X-AgentDesk-Monitor"  # carries the session id on the supervisor's INVITE
MODES = ("listen", "whisper", "barge")
_SESSION_ID = re.compile(r"^[A-Za-z0-9._~-]{8,128}$")
_USER = re.compile(r"^[^\s<>@;:\"]{1,64}$")
FORGET_AFTER_US = 3600 * 10**6  # an expired grant is still named as such for an hour


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"monitoring mode {mode!r} must be one of {', '.join(MODES)}")
    return mode


def check_session_id(session_id: str) -> str:
    if not _SESSION_ID.match(session_id):
        raise ConfigError(
            "a monitoring session id must be 8 to 128 letters, digits or . _ ~ - "
            f"(got {len(session_id)} characters)"
        )
    return session_id


@dataclass
class Grant:
    """One supervisor's permission to call this phone into one monitoring session."""

    session_id: str
    supervisor: str  # the SIP user the supervisor's INVITE comes From
    mode: str
    expires_us: int  # UTC µs after which the INVITE is refused
    follow: bool = False  # stay with the operator from call to call
    used: bool = False

    def check(self, now_us: int | None = None) -> Grant:
        check_session_id(self.session_id)
        check_mode(self.mode)
        if not _USER.match(self.supervisor):
            raise ConfigError(f"monitoring supervisor {self.supervisor!r} is not a SIP user name")
        if self.expires_us <= (utc_us() if now_us is None else now_us):
            raise ConfigError(f"monitoring session {self.session_id[:8]}… has already expired")
        return self

    def args(self) -> dict[str, Any]:
        """The ``grant_monitor`` arguments that give this grant again."""
        fields = dataclasses.asdict(self)
        del fields["used"]
        return fields


class GrantBook:
    """The grants one engine holds (SIP thread)."""

    def __init__(self) -> None:
        self.grants: dict[str, Grant] = {}

    def add(self, grant: Grant) -> None:
        grant.check()
        old = utc_us() - FORGET_AFTER_US
        for sid in [s for s, g in self.grants.items() if g.expires_us < old]:
            del self.grants[sid]
        known = self.grants.get(grant.session_id)
        if known is not None and known.used:
            raise ConfigError(f"monitoring session {grant.session_id[:8]}… was already used")
        self.grants[grant.session_id] = grant

    def admit(self, session_id: str, caller: str, now_us: int) -> tuple[Grant | None, str]:
        """The grant an INVITE for ``session_id`` From ``caller`` may use, or why not."""
        grant = self.grants.get(session_id)
        if grant is None:
            return None, "no such monitoring session here (forged, revoked or for another phone)"
        if grant.used:
            return None, "the monitoring session was already used (a replayed session id)"
        if grant.supervisor.lower() != caller.lower():
            return None, f"the monitoring session is for {grant.supervisor}, not {caller or '?'}"
        if now_us >= grant.expires_us:
            return None, "the monitoring session has expired"
        return grant, ""


class GrantReplay:
    """What :class:`sip.process.EngineProcess` keeps of monitoring across engine processes:
    the grants not used yet (a new process gets them again) and the sessions in progress (a
    lost process's are ended by "engine_lost"). Fed with the commands and the child's events
    (the reader thread); a used grant is never given again, so a restart cannot re-open it."""

    def __init__(self) -> None:
        self.grants: dict[str, Grant] = {}
        self.live: dict[str, ev.MonitorStarted] = {}

    def granted(self, grant: Grant) -> None:
        self.grants[grant.session_id] = grant

    def mode(self, session_id: str, mode: str) -> None:
        grant = self.grants.get(session_id)
        if grant is not None:
            grant.mode = mode

    def revoked(self, session_id: str) -> None:
        self.grants.pop(session_id, None)

    def follow(self, event: ev.Event) -> None:
        if isinstance(event, ev.MonitorStarted):
            self.live[event.session_id] = event
            if event.role == "agent":
                self.grants.pop(event.session_id, None)
        elif isinstance(event, ev.MonitorEnded):
            self.live.pop(event.session_id, None)
            if event.role == "agent":
                self.grants.pop(event.session_id, None)

    def to_replay(self, now_us: int | None = None) -> list[dict[str, Any]]:
        """The grants for a new process (expired ones are forgotten)."""
        now = utc_us() if now_us is None else now_us
        for sid in [s for s, g in self.grants.items() if g.expires_us <= now]:
            del self.grants[sid]
        return [g.args() for g in self.grants.values()]

    def commands(self) -> list[tuple[str, dict[str, Any]]]:
        return [("grant_monitor", args) for args in self.to_replay()]

    def end_all(self, reason: str) -> list[ev.MonitorEnded]:
        """A ``MonitorEnded`` for every session the lost process had in progress."""
        live, self.live = self.live, {}
        return [
            ev.MonitorEnded(
                session_id=s.session_id, role=s.role, call_id=s.call_id, reason=reason, started=True
            )
            for s in live.values()
        ]

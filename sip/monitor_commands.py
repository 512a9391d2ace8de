"""The monitoring commands of :class:`sip.process.EngineProcess` (see :mod:`sip.monitor`).

Grants are kept here as accounts are: a new engine process gets every grant not used yet
(:class:`sip.monitor_grants.GrantReplay`). A grant given while the process restarts is kept
and reaches the new one; a mode change or a revocation reaches the engine the same way.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from sip import errors
from sip.monitor_grants import Grant, GrantReplay, check_mode, check_session_id

__all__ = ["GrantReplay", "MonitorCommands"]


class MonitorCommands:
    """grant_monitor / set_monitor_mode / revoke_monitor (the agent's phone) and call_monitor
    (the supervisor's), over :class:`sip.process.EngineProcess`'s requests."""

    monitoring: GrantReplay
    _stopping: threading.Event

    def _request(self, cmd: str, args: dict[str, Any]) -> Future[Any]:
        raise NotImplementedError

    def _kept(self, cmd: str, args: dict[str, Any]) -> Future[None]:
        """Send ``cmd``; while the process restarts, its effect waits in ``monitoring``."""
        try:
            return self._request(cmd, args)
        except errors.EngineStateError:
            if self._stopping.is_set():
                raise
            done: Future[None] = Future()
            done.set_result(None)
            return done

    def grant_monitor(
        self, session_id: str, supervisor: str, mode: str, expires_us: int, follow: bool = False
    ) -> Future[None]:
        """Let ``supervisor`` (a SIP user) call this phone into ``session_id`` once, until
        ``expires_us`` (UTC µs), mixed as ``mode``; ``follow``: from call to call."""
        grant = Grant(session_id, supervisor, mode, int(expires_us), bool(follow)).check()
        self.monitoring.granted(grant)
        return self._kept("grant_monitor", grant.args())

    def set_monitor_mode(self, session_id: str, mode: str) -> Future[None]:
        check_mode(mode)
        self.monitoring.mode(session_id, mode)
        return self._kept("set_monitor_mode", {"session_id": session_id, "mode": mode})

    def revoke_monitor(self, session_id: str) -> Future[None]:
        self.monitoring.revoked(session_id)
        return self._kept("revoke_monitor", {"session_id": session_id})

    def call_monitor(self, target: str, session_id: str, account_id: str = "") -> Future[str]:
        """The supervisor's side: dial ``target`` (the agent) with the session id; returns the
        monitoring leg's call id (hang it up with ``hangup``)."""
        check_session_id(session_id)
        args = {"target": target, "session_id": session_id, "account_id": account_id}
        return self._request("call_monitor", args)

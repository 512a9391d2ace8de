"""The live channel and monitoring sessions through the store.

    client.open_monitoring("anna", "listen")          # supervisors: dial its agent_sip
    stream = LiveStream(client, on_event)             # desktops: one per desktop
    threading.Thread(target=stream.run).start(); …; stream.stop()

`LiveStream` holds one ``GET /live`` (server-sent events) open, hands each event (a dict
with ``type``) to ``on_event`` on its own thread, and reconnects after any drop with a
growing pause (0.5 s … 30 s), sending ``Last-Event-ID`` so nothing published meanwhile is
lost. The store sends a comment every 15 s: a read that waits 45 s means a dead connection.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypedDict, cast

import requests

from store.client_errors import AuthError, PermissionDenied, StoreError
from store.client_session import StoreSession, seg

log = logging.getLogger("store.client.live")
MonitorMode = Literal["listen", "whisper", "barge"]
READ_TIMEOUT_S = 45.0  # three of the store's heartbeats
BACKOFF_S = (0.5, 30.0)


class MonitorSession(TypedDict):
    id: str
    supervisor: str
    supervisor_sip: str
    agent: str
    agent_sip: str
    mode: MonitorMode
    follow: bool
    call_id: str | None
    created_us: int
    expires_us: int
    ended_us: int | None
    state: Literal["open", "active", "ended", "revoked", "rejected"]
    reason: str | None


class LiveClient(StoreSession):
    """``/monitoring`` routes and the ``/live`` stream."""

    def open_monitoring(
        self, agent: str, mode: MonitorMode, follow: bool = False
    ) -> MonitorSession:
        """A new session (supervisors, admins); `PermissionDenied` for others."""
        body = {"agent": agent, "mode": mode, "follow": follow}
        return cast(MonitorSession, self._json("POST", "/monitoring", json=body))

    def set_monitoring_mode(self, session_id: str, mode: MonitorMode) -> MonitorSession:
        path = f"/monitoring/{seg(session_id)}"
        return cast(MonitorSession, self._json("PATCH", path, json={"mode": mode}))

    def revoke_monitoring(self, session_id: str) -> MonitorSession:
        return cast(MonitorSession, self._json("DELETE", f"/monitoring/{seg(session_id)}"))

    def report_monitoring(
        self,
        session_id: str,
        state: Literal["active", "ended", "rejected"],
        reason: str = "",
    ) -> MonitorSession:
        """The agent's desktop: what became of a session it was given."""
        path = f"/monitoring/{seg(session_id)}/state"
        body = {"state": state, "reason": reason}
        return cast(MonitorSession, self._json("POST", path, json=body))

    def monitoring_session(self, session_id: str) -> MonitorSession:
        return cast(MonitorSession, self._json("GET", f"/monitoring/{seg(session_id)}"))

    def monitoring_sessions(
        self, agent: str | None = None, live: bool = False
    ) -> list[MonitorSession]:
        params: dict[str, Any] = {"live": "true" if live else "false"}
        if agent is not None:
            params["agent"] = agent
        return cast(list[MonitorSession], self._json("GET", "/monitoring", params=params))

    def open_live(self, last_event_id: str | None = None) -> requests.Response:
        """``GET /live`` opened for streaming; read it with :func:`sse_events`."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        connect = self.timeout[0] if isinstance(self.timeout, tuple) else self.timeout
        return self._request(
            "GET", "/live", headers=headers, stream=True, timeout=(connect, READ_TIMEOUT_S)
        )


def sse_events(response: requests.Response) -> Iterator[tuple[str | None, str]]:
    """(id, data) of each event of a ``text/event-stream`` body as it arrives; comments and
    fields other than ``id`` and ``data`` are skipped."""
    buffer = b""
    event_id: str | None = None
    data: list[str] = []
    for chunk in response.iter_content(chunk_size=None):  # each chunk as it comes
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            if not line:
                if data:
                    yield event_id, "\n".join(data)
                event_id, data = None, []
            elif line.startswith(":"):
                continue
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "data":
                    data.append(value)
                elif name == "id":
                    event_id = value


class LiveStream:
    """The desktop's one live connection, kept open until :meth:`stop`."""

    def __init__(
        self,
        client: LiveClient,
        on_event: Callable[[dict[str, Any]], None],
        on_status: Callable[[str], None] | None = None,
        last_event_id: str | None = None,
    ) -> None:
        """``on_event`` and ``on_status`` (``"connected"`` or why it is not) are called on
        the thread running :meth:`run`."""
        self.client = client
        self.on_event = on_event
        self.on_status = on_status or (lambda status: None)
        self.last_event_id = last_event_id
        self._seen: deque[str] = deque(maxlen=256)  # ids delivered: a replay repeats none
        self._stop = threading.Event()
        self._response: requests.Response | None = None
        self._lock = threading.Lock()
        self.connects = 0

    def run(self) -> None:
        """Until :meth:`stop`, or until the store refuses the token (401/403)."""
        delay = BACKOFF_S[0]
        while not self._stop.is_set():
            try:
                got = self._follow_once()
            except (AuthError, PermissionDenied) as exc:
                self.on_status(str(exc))
                return  # the owner decides: another token, later
            except Exception as exc:  # a drop, a refusal, or the read cut by stop()
                if self._stop.is_set():
                    break
                if not isinstance(exc, StoreError | requests.RequestException | OSError):
                    log.warning("live channel: unexpected %r", exc, exc_info=exc)
                self.on_status(f"{type(exc).__name__}: {exc}")
                got = False
            if got:
                delay = BACKOFF_S[0]
            self._stop.wait(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, BACKOFF_S[1])

    def _follow_once(self) -> bool:
        """One connection until it drops; True if it delivered anything."""
        response = self.client.open_live(self.last_event_id)
        with self._lock:
            if self._stop.is_set():
                response.close()
                return False
            self._response = response
        self.connects += 1
        self.on_status("connected")
        got = False
        try:
            for event_id, data in sse_events(response):
                got = True
                if event_id is not None:
                    if event_id in self._seen:
                        continue
                    self._seen.append(event_id)
                try:
                    event = json.loads(data)
                except ValueError:
                    log.warning("live channel: an event that is not JSON: %.200r", data)
                    continue
                if isinstance(event, dict) and isinstance(event.get("type"), str):
                    try:
                        self.on_event(event)
                    except Exception:  # the handler's fault: not a reason to replay forever
                        log.exception("live channel: handling %s failed", event["type"])
                if event_id is not None:  # after it was handled: a crash replays it
                    self.last_event_id = event_id
        finally:
            with self._lock:
                self._response = None
            response.close()
        return got  # the store ended it (its hourly end, a restart): reconnect quietly

    def stop(self) -> None:
        """Ends :meth:`run` soon, from any thread (a blocked read is cut)."""
        self._stop.set()
        with self._lock:
            response = self._response
        if response is not None:
            with contextlib.suppress(Exception):
                sock = response.raw.connection.sock
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(Exception):
                response.close()

"""Publishes this agent's live snapshot (current call, hold, recording, upload backlog) to the
store for the supervisors' board: on every change and every few seconds, from its own thread.
While the store's live channel is up it says what the heartbeat's answer would (a watch of
this screen starting: :meth:`PresencePublisher.post_now`), so the heartbeat slows to
``pushed_every_s``, well within the store's 30 s freshness.

No Qt: ``update(**fields)`` only stores the new values under a lock and wakes the thread, so
the UI thread never waits on the network. A failed post is logged once and retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from store.client_types import Presence

log = logging.getLogger(__name__)
FIELDS = frozenset(Presence.__annotations__)


class PresenceSink(Protocol):
    def put_presence(self, agent: str, snapshot: Presence) -> Presence: ...


class PresencePublisher:
    """Posts ``snapshot`` through ``client.put_presence`` when it changes, when asked to, and
    every ``every_s`` (``pushed_every_s`` while :meth:`pushed` says the live channel is up)."""

    def __init__(
        self,
        client: PresenceSink,
        agent: str | Callable[[], str],
        every_s: float = 2.0,
        pushed_every_s: float = 10.0,
        on_error: Callable[[Exception], None] | None = None,
        on_answer: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> None:
        """``on_answer`` gets each answer of the store, on this publisher's thread (it says
        whether a supervisor watches the screen: ``watched``, ``show_watched``)."""
        self._client = client
        self._agent = agent if callable(agent) else (lambda: agent)  # the token's owner
        self._every_s = every_s
        self._pushed_every_s = pushed_every_s
        self._pushed = False
        self._on_error = on_error
        self._on_answer = on_answer
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._snapshot: dict[str, Any] = {"recording": False, "upload_backlog": 0}
        self._thread: threading.Thread | None = None
        self.posted = 0  # successful posts, for tests and diagnostics
        self.failing = False

    def update(self, **fields: Any) -> None:
        """Change some fields (``call_id=None`` clears one); returns at once."""
        unknown = set(fields) - FIELDS
        if unknown:
            raise TypeError(f"unknown presence fields: {', '.join(sorted(unknown))}")
        with self._lock:
            changed = any(self._snapshot.get(k) != v for k, v in fields.items())
            self._snapshot.update(fields)
        if changed:
            self._wake.set()

    def post_now(self) -> None:
        """Post at once (the store pushed news the answer carries, e.g. a watch began)."""
        self._wake.set()

    def pushed(self, on: bool) -> None:
        """Whether the live channel is up: the heartbeat slows while it is, and is back to
        ``every_s`` at once when it is not."""
        if on != self._pushed:
            self._pushed = on
            if not on:
                self._wake.set()

    @property
    def every_s(self) -> float:
        """The heartbeat's period now."""
        return self._pushed_every_s if self._pushed else self._every_s

    def snapshot(self) -> Presence:
        with self._lock:
            return Presence(**self._snapshot)  # type: ignore[typeddict-item]

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="presence", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (a post in flight ends within the client's timeout)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._post(self.snapshot())
            # Sleep until the next heartbeat, or less when something changes meanwhile.
            self._wake.wait(self.every_s)
            self._wake.clear()

    def _post(self, snapshot: Presence) -> None:
        try:
            answer = self._client.put_presence(self._agent(), snapshot)
        except Exception as exc:  # the store is down or refused: log once, retry next beat
            if not self.failing:
                log.warning("presence: cannot post to the store: %s", exc)
                if self._on_error is not None:
                    self._on_error(exc)
            self.failing = True
            return
        if self.failing:
            log.info("presence: posting again")
        self.failing = False
        self.posted += 1
        if self._on_answer is not None:
            self._on_answer(answer)

"""The worker's live screen: the recorder's pictures sent to the store while a supervisor
watches the agent (:class:`~recorder.live.publisher.LivePublisher`), and the ``live`` events
that tell the desktop how it goes."""

from __future__ import annotations

from collections.abc import Callable

from formats import pipe
from recorder.live.publisher import LivePublisher
from recorder.worker_upload import Emit
from store.client import StoreClient


class LiveScreen:
    """``publisher`` takes the recorder's pictures; ``client()`` is the store's client for
    live frames (None: no store to send them to)."""

    def __init__(self, emit: Emit, client: Callable[[], StoreClient | None]) -> None:
        self.publisher = LivePublisher(self._send)
        self._emit, self._client = emit, client
        self._agent = ""
        self._shown: pipe.LiveState | None = None

    def watch(self, command: pipe.Watch, *, capture: bool) -> None:
        """A supervisor began or stopped watching (never watched without a screen)."""
        self._agent = command.agent or self._agent
        self.publisher.watch(command.watched and capture)
        self.report()

    def report(self) -> None:
        """A ``live`` event when the live screen's state or figures changed."""
        s = self.publisher.stats
        state = pipe.LiveState(
            watched=self.publisher.watching,
            frames=s.frames,
            key_frames=s.key_frames,
            bytes=s.bytes,
            failures=s.failures,
            encode_cpu_s=round(s.encode_s, 4),
        )
        if state != self._shown:
            self._shown = state
            self._emit(state)

    def _send(self, data: bytes) -> bool:
        """One live frame to the store; whether the agent is still watched."""
        client = self._client()
        if client is None:
            raise RuntimeError("no store to send the live screen to")
        return bool(client.put_screen_live(self._agent, data).get("watched"))

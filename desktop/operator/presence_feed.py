"""Feeds the supervisors' live board: the current call, hold, recording and upload backlog of
this desktop go to a :class:`~desktop.agent.presence.PresencePublisher` as they change.

The current call is read from the call model; the publisher posts from its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import SignalInstance

from desktop.calls.model import Call, CallBook
from desktop.recording.indicator import ON, recording_mode


class Publisher(Protocol):
    def update(self, **fields: Any) -> None: ...


class CallSnapshot:
    """The call model's calls reduced to the one the board shows (the talking one first)."""

    def __init__(self, publisher: Publisher, book: CallBook) -> None:
        self.publisher = publisher
        self.book = book
        for signal in (book.added, book.changed, book.ended, book.dialled):
            signal.connect(self._publish)

    def current(self) -> Call | None:
        def rank(call: Call) -> tuple[bool, bool, int]:
            return (call.answered, call.hold_since_us is None, call.started_us)

        return max(self.book.live(), key=rank, default=None)

    def _publish(self, _changed: object = None) -> None:
        call = self.current()
        if call is None:
            self.publisher.update(
                call_id=None,
                call_number=None,
                call_direction=None,
                call_started_us=None,
                call_answered_us=None,
                hold_since_us=None,
            )
            return
        self.publisher.update(
            call_id=call.call_id,
            call_number=call.number,
            call_direction=call.direction,
            call_started_us=call.started_us,
            call_answered_us=call.answered_us,
            hold_since_us=call.hold_since_us,
        )


class RecorderLike(Protocol):
    """What is read of ``desktop.recording.link.RecorderLink``."""

    @property
    def state(self) -> dict[str, Any]: ...
    @property
    def pid(self) -> int | None: ...
    @property
    def status_changed(self) -> SignalInstance: ...
    @property
    def worker_event(self) -> SignalInstance: ...


def recording_of(publisher: Publisher, recorder: RecorderLike) -> Callable[..., None]:
    """A slot for the recorder's signals: whether the screen is recorded, to ``publisher``."""

    def recording(*_: object) -> None:
        on = recording_mode(recorder.state, recorder.pid is not None) == ON
        publisher.update(recording=on)

    return recording


def backlog_of(publisher: Publisher) -> Callable[[dict[str, Any]], None]:
    """A slot for the upload queue's ``status_changed``: the backlog, to ``publisher``."""

    def backlog(status: dict[str, Any]) -> None:
        publisher.update(
            upload_backlog=int(status.get("items") or 0),
            upload_backlog_bytes=int(status.get("bytes") or 0),
        )

    return backlog

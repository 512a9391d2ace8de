"""Feeds the supervisors' live board: the current call, hold, recording and upload backlog of
this desktop go to a :class:`~desktop.agent.presence.PresencePublisher` as they change.

Only signal connections here; the publisher posts from its own thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import SignalInstance

from desktop.widgets.recording_indicator import ON, recording_mode
from formats.clock import utc_us
from sip import events as ev


class Publisher(Protocol):
    def update(self, **fields: Any) -> None: ...


@dataclass
class _Call:
    number: str
    direction: str
    started_us: int
    answered_us: int | None = None
    hold_since_us: int | None = None


class CallSnapshot:
    """The calls of this desktop, reduced to the one the board shows (the talking one first)."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.calls: dict[str, _Call] = {}

    def dialled(self, call_id: str, number: str) -> None:
        self.calls.setdefault(call_id, _Call(number, "outbound", utc_us()))
        self._publish()

    def on_sip_event(self, event: object) -> None:
        if isinstance(event, ev.IncomingCall):
            self.calls[event.call_id] = _Call(event.number, "inbound", event.at_us)
        elif isinstance(event, ev.CallStateChanged) and event.call_id in self.calls:
            call = self.calls[event.call_id]
            if event.state == "confirmed" and call.answered_us is None:
                call.answered_us = event.at_us
            elif event.state == "disconnected":
                del self.calls[event.call_id]
        elif isinstance(event, ev.CallMediaChanged) and event.call_id in self.calls:
            call = self.calls[event.call_id]
            if event.media == "local_hold":
                call.hold_since_us = call.hold_since_us or event.at_us
            elif event.media == "active":
                call.hold_since_us = None
        elif isinstance(event, ev.CallEnded):
            self.calls.pop(event.call_id, None)
        else:
            return
        self._publish()

    def current(self) -> tuple[str, _Call] | None:
        def rank(item: tuple[str, _Call]) -> tuple[bool, bool, int]:
            _, call = item
            return (call.answered_us is not None, call.hold_since_us is None, call.started_us)

        return max(self.calls.items(), key=rank, default=None)

    def _publish(self) -> None:
        found = self.current()
        if found is None:
            self.publisher.update(
                call_id=None,
                call_number=None,
                call_direction=None,
                call_started_us=None,
                call_answered_us=None,
                hold_since_us=None,
            )
            return
        call_id, call = found
        self.publisher.update(
            call_id=call_id,
            call_number=call.number,
            call_direction=call.direction,
            call_started_us=call.started_us,
            call_answered_us=call.answered_us,
            hold_since_us=call.hold_since_us,
        )


def feed(
    publisher: Publisher,
    *,
    sip_event: SignalInstance,
    dialled: SignalInstance,
    recorder: Any = None,
    uploads: Any = None,
) -> CallSnapshot:
    """Connect the desktop's signals to ``publisher``; returns the call tracker (keep it)."""
    calls = CallSnapshot(publisher)
    sip_event.connect(calls.on_sip_event)
    dialled.connect(calls.dialled)
    if recorder is not None:

        def recording(*_: object) -> None:
            on = recording_mode(recorder.state, recorder.pid is not None) == ON
            publisher.update(recording=on)

        recorder.status_changed.connect(recording)
        recorder.worker_event.connect(recording)
    if uploads is not None:

        def backlog(status: dict[str, Any]) -> None:
            publisher.update(
                upload_backlog=int(status.get("items") or 0),
                upload_backlog_bytes=int(status.get("bytes") or 0),
            )

        uploads.status_changed.connect(backlog)
    return calls

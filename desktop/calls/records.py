"""Calls as the store keeps them: sip events turned into the store's call record (agent,
direction, numbers, times, holds, transfers, who ended it, cause, events), handed to the
upload queue with the call's audio once the call has ended and its recording is merged.

The recording is merged off the SIP thread after ``CallEnded``; a call that started one waits
for ``RecordingFinished`` (at most ``AUDIO_WAIT_MS``, then it goes without: the WAV is still
found by the recovery at the next start).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Slot

from sip import events as ev

if TYPE_CHECKING:
    from desktop.recording.uploads import UploadQueue

log = logging.getLogger(__name__)

AUDIO_WAIT_MS = 15_000
ENDED_BY = {
    "local": "agent",
    "rejected": "agent",
    "remote": "remote",
    "transfer": "transfer",
    "replaced": "transfer",
    "failed": "system",
}
MAX_EVENTS = 1000


class CallRecords(QObject):
    """Collects each call's events; on the UI thread (connect to ``sip_event``)."""

    def __init__(self, queue: UploadQueue, agent: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue, self.agent = queue, agent
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._recording: dict[str, bool] = {}  # call → its recording is finished
        self._audio: dict[str, Path] = {}
        self._ended: dict[str, dict[str, Any]] = {}

    @Slot(object)
    def on_sip_event(self, event: ev.Event) -> None:
        call_id = getattr(event, "call_id", None)
        if not isinstance(call_id, str):
            return
        note = _event_note(event)
        if note is not None:
            events = self._events.setdefault(call_id, [])
            if len(events) < MAX_EVENTS:
                events.append({"at_us": event.at_us, **note})
        if isinstance(event, ev.RecordingStarted):
            self._recording[call_id] = False
        elif isinstance(event, ev.RecordingFinished):
            self._recording[call_id] = True
            self._audio[call_id] = Path(event.path)
            if call_id in self._ended:
                self._send(call_id)
        elif isinstance(event, ev.CallEnded):
            self._ended[call_id] = self.to_store(event)
            if self._recording.get(call_id) is False:
                QTimer.singleShot(AUDIO_WAIT_MS, lambda: self._send(call_id))
            else:
                self._send(call_id)

    def to_store(self, event: ev.CallEnded) -> dict[str, Any]:
        """The store's call record (``CallInput`` + ``id``) from the engine's history."""
        rec = event.record
        started = int(rec.get("ring_at_us") or event.at_us)
        record: dict[str, Any] = {
            "id": event.call_id,
            "agent": self.agent,
            "direction": rec.get("direction") if rec.get("direction") else "inbound",
            "remote_number": rec.get("number") or None,
            "sip_call_id": rec.get("sip_call_id") or None,
            "started_us": started,
            "answered_us": rec.get("answer_at_us"),
            "ended_us": rec.get("end_at_us") or event.at_us,
            "holds": [
                {"start_us": h["start_us"], "end_us": h.get("end_us")} for h in rec.get("holds", [])
            ],
            "transfers": [
                {
                    "at_us": t.get("at_us", started),
                    "to": str(t.get("target") or "?")[:64],
                    "kind": "attended" if t.get("kind") == "attended" else "blind",
                }
                for t in rec.get("transfers", [])
            ],
            "ended_by": ENDED_BY.get(str(rec.get("ended_by"))),
            "cause": f"{rec.get('cause_code', 0)} {rec.get('cause_reason', '')}".strip()[:100],
            "events": self._events.get(event.call_id, []),
        }
        return {k: v for k, v in record.items() if v is not None}

    def _send(self, call_id: str) -> None:
        record = self._ended.pop(call_id, None)
        if record is None:
            return  # already sent
        self._events.pop(call_id, None)
        self._recording.pop(call_id, None)
        self.queue.call_ended(record, self._audio.pop(call_id, None))


def _event_note(event: ev.Event) -> dict[str, Any] | None:
    """The call event as the store's ``events[]`` keeps it (None: not kept)."""
    if isinstance(event, ev.IncomingCall):
        return {"kind": "ringing", "detail": event.number}
    if isinstance(event, ev.CallStateChanged):
        return {"kind": event.state, "detail": f"{event.code} {event.reason}".strip()}
    if isinstance(event, ev.CallMediaChanged):
        return {"kind": f"media_{event.media}", "detail": ""}
    if isinstance(event, ev.DtmfReceived):
        return {"kind": "dtmf", "detail": event.digit}
    if isinstance(event, ev.TransferProgress):
        return {"kind": "transfer", "detail": f"{event.code} {event.reason}".strip()}
    return None
